// When conv-trace starts helper threads: a model always, a spec only when its planned products are big enough to
// gain (a short process on 2 cores was slower with a helper for the bench's two ResNet-block convs at batch 1).

import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { THREADS_FROM_MULTIPLY_ADDS, plannedMultiplyAdds, run } from '../../src/cli/convTrace';
import type { LayerSpec, NetworkProblem } from '../../src/engine/network';
import { zeros } from '../../src/engine/tensor';
import type { ConvProblem } from '../../src/engine/trace';
import { encodeNpy } from '../../src/specReader/npy';

const ROOT = path.join(__dirname, '../../..');

/** A temporary folder with .npy files of zeros, by name and shape. */
function npyFolder(files: Record<string, number[]>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cvd-cli-threads-'));
  for (const [name, shape] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), encodeNpy(zeros(shape, 'float32')));
  return dir;
}

/** run() with output to /dev/null; how many times it asked for threads, and its status. */
async function threadsAsked(argv: string[]): Promise<{ status: number; asked: number }> {
  const fd = fs.openSync(os.devNull, 'w');
  let asked = 0;
  try {
    const status = await run(argv, fd, fd, () => { asked++; });
    return { status, asked };
  } finally {
    fs.closeSync(fd);
  }
}

describe('conv-trace: helper threads for runs big enough to gain', function () {
  this.timeout(60_000);

  it('counts a conv\'s multiply-adds, three times over with the backward pass', () => {
    const problem: ConvProblem = { input: zeros([2, 3, 10, 12], 'float32'), weight: zeros([4, 3, 3, 5], 'float32'), options: {}, dtype: 'float32' };
    // (2, 4, 8, 8) outputs, each 3·3·5 multiply-adds.
    const forward = 2 * 4 * 8 * 8 * 3 * 3 * 5;
    assert.strictEqual(plannedMultiplyAdds(problem, false), forward);
    assert.strictEqual(plannedMultiplyAdds(problem, true), 3 * forward);
  });

  it('the bench\'s two ResNet-block convs stay on one thread at batch 1, use helpers at batch 8', () => {
    const network = (batch: number): NetworkProblem => {
      const conv: LayerSpec = { type: 'conv2d', weight: zeros([64, 64, 3, 3], 'float32'), options: { padding: 1 } };
      return { input: zeros([batch, 64, 56, 56], 'float32'), layers: [conv, { type: 'relu' }, conv], loss: { type: 'mse', target: zeros([batch, 64, 56, 56], 'float32') }, dtype: 'float32' };
    };
    const conv = 64 * 56 * 56 * 64 * 9;
    const one = plannedMultiplyAdds(network(1), true);
    // The products, and the relu's and the loss's few operations a value (counted as half a multiply-add each).
    assert.ok(one >= 3 * 2 * conv && one < 3 * 2 * conv * 1.01, `${one}`);
    assert.ok(one < THREADS_FROM_MULTIPLY_ADDS);
    assert.ok(plannedMultiplyAdds(network(8), true) >= THREADS_FROM_MULTIPLY_ADDS);
  });

  it('a small spec runs without asking for threads; a big one asks once, before it runs', async () => {
    assert.deepStrictEqual(await threadsAsked([path.join(ROOT, 'examples/lenet.conv.json'), '--only', 'layers[0].z']), { status: 0, asked: 0 });
    // (1, 64, 130, 130) ⋆ (64, 64, 3, 3): 128 × 128 outputs of 576 multiply-adds, 64 kernels, three passes: 1.8G.
    const dir = npyFolder({ 'x.npy': [1, 64, 130, 130], 'w.npy': [64, 64, 3, 3] });
    try {
      const spec = path.join(dir, 'big.conv.json');
      fs.writeFileSync(spec, JSON.stringify({ dtype: 'float32', input: { npy: 'x.npy' }, weight: { npy: 'w.npy' } }));
      assert.deepStrictEqual(await threadsAsked([spec, '--only', 'db']), { status: 0, asked: 1 });
      // The same forward only: 0.6G, under the threshold.
      assert.deepStrictEqual(await threadsAsked([spec, '--only', 'z', '--forward-only']), { status: 0, asked: 0 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a model asks for threads', async () => {
    const dir = npyFolder({ 'x.npy': [1, 1, 8, 8] });
    try {
      assert.deepStrictEqual(await threadsAsked([path.join(ROOT, 'examples/digits.onnx'), '--input', path.join(dir, 'x.npy')]), { status: 0, asked: 1 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
