// examples/unet-up.conv.json (examples/make/make_unet_up.py): a transposed conv upsamples and a concat joins the
// skip; every layer's output, the loss and every gradient against PyTorch autograd (float64), and the skip's δ
// the sum of its two paths.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { NetworkTrace, Tensor, networkTensor, tensor, traceFile } from '../../src/lib';
import { assertClose } from './helpers';

const ROOT = path.resolve(__dirname, '../../..');
const ref = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/examples/unet-up.ref.json'), 'utf8')) as {
  outputs: number[][]; loss: number; input_grad: number[]; grads: Record<string, number[]>;
};

/** Each layer's output in the trace: an activation's is h, the others' z. */
const OUTPUTS = ['layers[0].z', 'layers[1].h', 'layers[2].z', 'layers[3].z', 'layers[4].h', 'layers[5].z', 'layers[6].z', 'layers[7].z', 'layers[8].h'];
/** Where each PyTorch parameter's gradient is in the trace. */
const GRADS: Record<string, string> = {
  'down.weight': 'layers[0].dW', 'down.bias': 'layers[0].db', 'mid.weight': 'layers[3].dW', 'mid.bias': 'layers[3].db',
  'up.weight': 'layers[5].dW', 'up.bias': 'layers[5].db', 'out.weight': 'layers[7].dW', 'out.bias': 'layers[7].db',
};

describe('examples/unet-up: a U-Net\'s up path against PyTorch', () => {
  let trace: NetworkTrace;
  const named = (name: string): Tensor => {
    const t = networkTensor(trace, name);
    assert.ok(t, `no ${name} in the trace`);
    return t;
  };
  before(async () => {
    trace = await traceFile(path.join(ROOT, 'examples/unet-up.conv.json')) as NetworkTrace;
  });

  it('every layer\'s output and the loss are PyTorch\'s', () => {
    OUTPUTS.forEach((name, i) => assertClose(named(name), tensor(named(name).shape, ref.outputs[i]), 1e-12, name));
    assert.ok(Math.abs(trace.loss!.value - ref.loss) < 1e-12, `loss ${trace.loss!.value} vs ${ref.loss}`);
  });

  it('every weight\'s and bias\'s gradient and the input\'s are PyTorch autograd\'s', () => {
    for (const [param, name] of Object.entries(GRADS)) assertClose(named(name), tensor(named(name).shape, ref.grads[param]), 1e-12, name);
    assertClose(named('layers[0].dA'), tensor([1, 1, 6, 6], ref.input_grad), 1e-12, 'layers[0].dA');
  });

  it('the skip\'s δ is the sum of the concat\'s and the pooling\'s, and says so', () => {
    const skip = trace.layers[1];
    assert.strictEqual(skip.deltaSource, 'sum');
    assert.deepStrictEqual([...skip.deltaFrom!].sort(), ['layers[2]', 'layers[6]']);
    const fromPool = named('layers[2].dA');
    const fromConcat = named('layers[6].dA_0');
    const sum = tensor(fromPool.shape, Array.from(fromPool.data, (v, i) => v + fromConcat.data[i]));
    assertClose(named('layers[1].delta'), sum, 1e-15, 'layers[1].delta');
  });
});
