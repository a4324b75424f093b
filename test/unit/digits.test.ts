// The trained digits example (examples/make/make_digits.py): the spec reads its weights from the
// .safetensors file and traces to PyTorch's own logits, loss and gradients; the .pt checkpoint and the
// ONNX initializers hold the same weights.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { NetworkTrace, Tensor, networkTensor, tensor, traceFile } from '../../src/lib';
import { decodeOnnx, listOnnx } from '../../src/specReader/onnx/tensor';
import { decodeSafetensors, listSafetensors } from '../../src/specReader/safetensors';
import { decodeTorch } from '../../src/specReader/torch';
import { assertClose } from './helpers';

const ROOT = path.resolve(__dirname, '../../..');
const example = (name: string) => new Uint8Array(fs.readFileSync(path.join(ROOT, 'examples', name)));

interface DigitsReference {
  accuracy: number;
  label: number;
  logits: number[];
  loss: number;
  input_grad: number[];
  grads: Record<string, number[]>;
}
const ref = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/examples/digits.ref.json'), 'utf8')) as DigitsReference;

/** Where each PyTorch parameter's gradient is in the trace. */
const GRADS: Record<string, string> = {
  'conv1.weight': 'layers[0].dW', 'conv1.bias': 'layers[0].db',
  'conv2.weight': 'layers[3].dW', 'conv2.bias': 'layers[3].db',
  'fc.weight': 'layers[7].dW', 'fc.bias': 'layers[7].db',
};

function named(trace: NetworkTrace, name: string): Tensor {
  const t = networkTensor(trace, name);
  assert.ok(t, `no ${name} in the trace`);
  return t;
}

describe('examples/digits: a CNN trained on real handwriting', () => {
  let trace: NetworkTrace;
  before(async () => {
    trace = await traceFile(path.join(ROOT, 'examples/digits.conv.json')) as NetworkTrace;
  });

  it('its logits and loss are PyTorch\'s, and it names the right digit', () => {
    const logits = named(trace, 'layers[7].z');
    assertClose(logits, tensor([1, 10], ref.logits), 1e-9, 'logits');
    assert.ok(Math.abs(trace.loss!.value - ref.loss) < 1e-9 * Math.max(1, ref.loss), `loss ${trace.loss!.value} vs ${ref.loss}`);
    const predicted = Array.from(logits.data).indexOf(Math.max(...logits.data));
    assert.strictEqual(predicted, ref.label);
  });

  it('every parameter\'s gradient and the input\'s are PyTorch autograd\'s', () => {
    for (const [param, name] of Object.entries(GRADS)) {
      const t = named(trace, name);
      assertClose(t, tensor(t.shape, ref.grads[param]), 1e-9, name);
    }
    const dInput = named(trace, 'layers[0].dA');
    assertClose(dInput, tensor(dInput.shape, ref.input_grad), 1e-9, 'layers[0].dA');
  });

  it('digits.pt and digits.onnx hold the weights of digits.safetensors, exactly', () => {
    const st = example('digits.safetensors');
    const pt = example('digits.pt');
    const onnx = example('digits.onnx');
    const keys = listSafetensors(st).map(t => String(t.key));
    assert.deepStrictEqual(keys.sort(), Object.keys(GRADS).sort());
    assert.deepStrictEqual(listOnnx(onnx).map(t => String(t.key)).sort(), keys);
    for (const key of keys) {
      const want = decodeSafetensors(st, key, 'float64', 1e6).tensor;
      assertClose(decodeTorch(pt, key, 'float64', 1e6, 8e6).tensor, want, 0, `digits.pt ${key}`);
      assertClose(decodeOnnx(onnx, key, 'float64', 1e6).tensor, want, 0, `digits.onnx ${key}`);
    }
  });

  it('the spec states the held-out accuracy the script measured', () => {
    const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/digits.conv.json'), 'utf8')) as { description: string };
    assert.ok(spec.description.includes(`${(ref.accuracy * 100).toFixed(1)}%`), spec.description);
    assert.ok(ref.accuracy > 0.95, `held-out accuracy ${ref.accuracy}`);
  });
});
