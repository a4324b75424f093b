// Networks: every layer type against PyTorch autograd and central finite
// differences, pooling ties and padding, losses by hand, chain errors by layer.

import * as assert from 'assert';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { EngineError } from '../../src/engine/errors';
import { PoolOptions, poolForward, poolInfo, pooledSize } from '../../src/engine/layers';
import { crossEntropyLoss, mseLoss } from '../../src/engine/layerKinds/loss';
import { LayerSpec, NetworkProblem, NetworkTrace, networkShapes, networkTensor, traceNetwork } from '../../src/engine/network';
import { Tensor, tensor } from '../../src/engine/tensor';
import { TensorName } from '../../src/engine/trace';
import { traceAnySpecText } from '../../src/specReader/convSpec';
import { networkKeyHover } from '../../src/specReader/hoverText';
import { SpecError } from '../../src/specReader/source';
import { assertClose, lossFiniteDifferences, randomTensor, rng } from './helpers';

const FIXTURES = path.join(__dirname, '../../../test/fixtures/torch/network_cases.json');
const { generator, cases } = JSON.parse(fs.readFileSync(FIXTURES, 'utf8')) as {
  generator: string;
  cases: { name: string; spec: Record<string, unknown>; expected: { loss: number; layers: { out: { shape: number[]; data: number[] }; din: { shape: number[]; data: number[] }; dW?: number[]; db?: number[] }[] } }[];
};

const OUT: Record<string, TensorName> = { conv2d: 'z', linear: 'z', maxpool2d: 'z', avgpool2d: 'z', flatten: 'z', relu: 'h', leaky_relu: 'h', sigmoid: 'h', tanh: 'h' };
const DIN: Record<string, TensorName> = { conv2d: 'dA', linear: 'dA', maxpool2d: 'dA', avgpool2d: 'dA', flatten: 'dA', relu: 'dZ', leaky_relu: 'dZ', sigmoid: 'dZ', tanh: 'dZ' };

describe(`networks agree with PyTorch (${generator})`, () => {
  for (const c of cases) {
    it(c.name, () => {
      const trace = traceAnySpecText(c.name, JSON.stringify(c.spec)) as NetworkTrace;
      assert.strictEqual(trace.kind, 'network');
      assert.ok(Math.abs(trace.loss!.value - c.expected.loss) <= 1e-9 * Math.max(1, Math.abs(c.expected.loss)), `loss ${trace.loss!.value} vs ${c.expected.loss}`);
      c.expected.layers.forEach((e, i) => {
        const l = trace.layers[i];
        assertClose(l.tensors[OUT[l.op]]!, tensor(e.out.shape, e.out.data), 1e-9, `layers[${i}] ${l.op} output`);
        assertClose(l.tensors[DIN[l.op]]!, tensor(e.din.shape, e.din.data), 1e-9, `layers[${i}] ${l.op} input gradient`);
        if (e.dW) assertClose(l.tensors.dW!, tensor(l.tensors.dW!.shape, e.dW), 1e-9, `layers[${i}] dW`);
        if (e.db) assertClose(l.tensors.db!, tensor([e.db.length], e.db), 1e-9, `layers[${i}] db`);
      });
    });
  }
});

/** C of a network (forward only), for finite differences. */
function lossOf(p: NetworkProblem): number {
  return traceNetwork(p).loss!.value;
}

/** ∂C/∂target[i] by central differences. */
function centralDifference(p: NetworkProblem, target: Tensor, i: number, h: number): number {
  const keep = target.data[i];
  target.data[i] = keep + h;
  const up = lossOf(p);
  target.data[i] = keep - h;
  const down = lossOf(p);
  target.data[i] = keep;
  return (up - down) / (2 * h);
}

function fdCheck(p: NetworkProblem, target: Tensor, analytic: Tensor, what: string, h = 1e-5): void {
  assertClose(analytic, lossFiniteDifferences(p, target, h), 1e-5, what);
}

/**
 * How far a network is from a kink of its loss: the smallest |z| a ReLU sees, or the smallest
 * gap between a max-pooling window's largest value and the next. Central differences straddle
 * a kink closer than their step (and disagree with the one-sided true gradient there).
 */
function kinkMargin(t: NetworkTrace): number {
  let margin = Infinity;
  for (const l of t.layers) {
    if ((l.op === 'relu' || l.op === 'leaky_relu') && l.tensors.z) for (const v of l.tensors.z.data) margin = Math.min(margin, Math.abs(v));
    const windows = l.op === 'maxpool2d' ? l.tensors.pool_t : undefined;
    if (!windows) continue;
    const k = windows.shape[windows.shape.length - 1];
    for (let r = 0; r < windows.data.length; r += k) {
      const w = Array.from(windows.data.subarray(r, r + k)).sort((a, b) => b - a);
      if (k > 1 && Number.isFinite(w[1])) margin = Math.min(margin, w[0] - w[1]);
    }
  }
  return margin;
}

describe('network gradients = central finite differences', () => {
  const layerArb = fc.constantFrom<LayerSpec['type']>('relu', 'leaky_relu', 'sigmoid', 'tanh', 'maxpool2d', 'avgpool2d');
  it('conv → (random middle layer) → flatten → linear → cross-entropy, every parameter and the input', () => {
    fc.assert(fc.property(layerArb, fc.integer({ min: 1, max: 1e6 }), fc.boolean(), (middle, seed, ceil) => {
      const random = rng(seed);
      const input = randomTensor([2, 2, 7, 7], random);
      const conv = { type: 'conv2d' as const, weight: randomTensor([3, 2, 3, 3], random), bias: randomTensor([3], random), options: { padding: 1 } };
      const mid: LayerSpec = middle === 'maxpool2d' || middle === 'avgpool2d' ? { type: middle, options: { kernel: 3, stride: 2, padding: 1, ceilMode: ceil } }
        : middle === 'leaky_relu' ? { type: 'leaky_relu', slope: 0.2 } : { type: middle as 'relu' };
      const shapes = traceNetwork({ input, layers: [conv, mid, { type: 'flatten' }], dtype: 'float64' }).layers[2].outputShape;
      const linear = { type: 'linear' as const, weight: randomTensor([4, shapes[1]], random), bias: randomTensor([4], random) };
      const p: NetworkProblem = { input, layers: [conv, mid, { type: 'flatten' }, linear], loss: { type: 'cross_entropy', target: [1, 3] }, dtype: 'float64' };
      const t = traceNetwork(p);
      // Steps of 1e-5 move the conv's outputs by well under 1e-3: away from every kink, the loss is smooth.
      fc.pre(kinkMargin(t) > 1e-3);
      fdCheck(p, input, t.layers[0].tensors.dA!, `input (${middle})`);
      fdCheck(p, conv.weight, t.layers[0].tensors.dW!, `conv weight (${middle})`);
      fdCheck(p, conv.bias, t.layers[0].tensors.db!, `conv bias (${middle})`);
      fdCheck(p, linear.weight, t.layers[3].tensors.dW!, `linear weight (${middle})`);
    }), { numRuns: 12 });
  });

  it('mse loss through a tanh', () => {
    const random = rng(5);
    const input = randomTensor([1, 1, 4, 4], random);
    const target = randomTensor([1, 1, 4, 4], random);
    const p: NetworkProblem = { input, layers: [{ type: 'tanh' }], loss: { type: 'mse', target }, dtype: 'float64' };
    fdCheck(p, input, traceNetwork(p).layers[0].tensors.dZ!, 'input');
  });
});

describe('examples/lenet.conv.json: every gradient = central finite differences', () => {
  const text = fs.readFileSync(path.join(__dirname, '../../../examples/lenet.conv.json'), 'utf8');
  const trace = traceAnySpecText('lenet.conv.json', text) as NetworkTrace;

  /** The same network as a problem whose tensors the check can nudge. */
  function problem(): NetworkProblem {
    const spec = JSON.parse(text);
    const t = (v: unknown): Tensor => {
      const shape: number[] = [];
      for (let x = v; Array.isArray(x); x = x[0]) shape.push(x.length);
      return tensor(shape, (v as unknown[]).flat(Infinity) as number[]);
    };
    const layers: LayerSpec[] = spec.layers.map((l: Record<string, unknown>) => {
      switch (l.type) {
        case 'conv2d': return { type: 'conv2d', weight: t(l.weight), bias: t(l.bias), options: {} };
        case 'linear': return { type: 'linear', weight: t(l.weight), bias: t(l.bias) };
        case 'maxpool2d': return { type: 'maxpool2d', options: { kernel: l.kernel as number } };
        default: return { type: l.type as 'relu' };
      }
    });
    return { input: t(spec.input), layers, loss: { type: 'cross_entropy', target: spec.loss.target }, dtype: 'float64' };
  }

  /** Central differences at some cells: where the gradient is largest, and at random. */
  function fdSample(p: NetworkProblem, target: Tensor, analytic: Tensor, what: string, h = 1e-6): void {
    const random = rng(what.length * 7919);
    const byMagnitude = Array.from(analytic.data.keys()).sort((a, b) => Math.abs(analytic.data[b]) - Math.abs(analytic.data[a]));
    const cells = new Set([...byMagnitude.slice(0, 8), ...Array.from({ length: 8 }, () => Math.floor(random() * analytic.data.length))]);
    for (const i of cells) {
      const fd = centralDifference(p, target, i, h);
      assert.ok(Math.abs(fd - analytic.data[i]) <= 1e-6 * Math.max(1, Math.abs(fd)), `${what}[${i}]: finite differences ${fd}, gradient ${analytic.data[i]}`);
    }
  }

  it('the loss matches the trace; ∂C/∂input, both convs\' and the linear layer\'s weights and biases', function () {
    this.timeout(60_000);
    const p = problem();
    assert.strictEqual(lossOf(p), trace.loss!.value);
    const [conv1, , , conv2, , , , linear] = p.layers as (LayerSpec & { weight?: Tensor; bias?: Tensor })[];
    fdSample(p, p.input, trace.layers[0].tensors.dA!, 'input');
    for (const [i, l] of [[0, conv1], [3, conv2], [7, linear]] as const) {
      fdSample(p, l.weight!, trace.layers[i].tensors.dW!, `layers[${i}].weight`);
      fdSample(p, l.bias!, trace.layers[i].tensors.db!, `layers[${i}].bias`);
    }
  });
});

describe('pooling and losses', () => {
  it('max pooling ties go to the first index of the window (row-major)', () => {
    const x = tensor([1, 1, 2, 2], [5, 5, 5, 5]);
    const f = poolForward(x, poolInfo('max', x.shape, { kernel: 2 }));
    assert.deepStrictEqual([...f.argmax!.data], [0]);
    const t = traceNetwork({ input: x, layers: [{ type: 'maxpool2d', options: { kernel: 2 } }], dtype: 'float64' });
    assert.deepStrictEqual([...t.layers[0].tensors.dA!.data], [1, 0, 0, 0], 'δ goes to the first maximum only');
  });

  it('max pooling pads with −∞ and average pooling with 0 (counted, as PyTorch)', () => {
    const x = tensor([1, 1, 2, 2], [-1, -2, -3, -4]);
    const m = poolForward(x, poolInfo('max', x.shape, { kernel: 2, stride: 1, padding: 1 }));
    assert.deepStrictEqual([...m.z.data], [-1, -1, -2, -1, -1, -2, -3, -3, -4]);
    const a = poolForward(x, poolInfo('avg', x.shape, { kernel: 2, stride: 1, padding: 1 }));
    assert.deepStrictEqual([...a.z.data], [-0.25, -0.75, -0.5, -1, -2.5, -1.5, -0.75, -1.75, -1]);
  });

  it('average pooling with count_include_pad false divides by the taps inside the input; padding may differ on each side', () => {
    const x = tensor([1, 1, 2, 2], [-1, -2, -3, -4]);
    const a = poolForward(x, poolInfo('avg', x.shape, { kernel: 2, stride: 1, padding: 1, countIncludePad: false }));
    assert.deepStrictEqual([...a.z.data], [-1, -1.5, -2, -2, -2.5, -3, -3, -3.5, -4]);
    // [top, bottom, left, right] = [0, 1, 0, 1]: the windows run past the bottom and right only.
    const m = poolForward(x, poolInfo('max', x.shape, { kernel: 2, stride: 1, padding: [0, 1, 0, 1] }));
    assert.deepStrictEqual([m.z.shape, [...m.z.data]], [[1, 1, 2, 2], [-1, -2, -3, -4]]);
    const u = poolForward(x, poolInfo('avg', x.shape, { kernel: 2, stride: 1, padding: [1, 0, 0, 1], countIncludePad: false }));
    assert.deepStrictEqual([u.z.shape, [...u.z.data]], [[1, 1, 2, 2], [-1.5, -2, -2.5, -3]]);
  });

  it('losses by hand: mse and softmax cross-entropy', () => {
    const y = tensor([1, 2], [1, 3]);
    const m = mseLoss(y, tensor([1, 2], [0, 1]));
    assert.strictEqual(m.value, (1 + 4) / 2);
    assert.deepStrictEqual([...m.delta.data], [1, 2]);
    const ce = crossEntropyLoss(tensor([1, 2], [0, Math.log(3)]), [1]);
    assert.ok(Math.abs(ce.value - Math.log(4 / 3)) < 1e-12, 'p = [1/4, 3/4]: C = −log(3/4)');
    assert.deepStrictEqual([...ce.delta.data].map(v => +v.toFixed(12)), [0.25, -0.25]);
  });
});

describe('pooling: a window on padding alone (no cell of the input) is refused, not computed as −∞ or 0 / 0', () => {
  const onPadding = (args: Record<string, unknown>) => (e: unknown) =>
    e instanceof EngineError && e.problem.code === 'pool.windowOnPadding' && e.argument === 'padding' && assert.deepStrictEqual(e.problem.args, args) === undefined;
  /** Max pooling by a plain loop over the taps inside the input (no padded copy). */
  const naiveMax = (x: Tensor, p: ReturnType<typeof poolInfo>) => {
    const out: number[] = [];
    for (let i = 0; i < p.outHeight; i++) for (let j = 0; j < p.outWidth; j++) {
      let m = -Infinity;
      for (let ki = 0; ki < p.kernelHeight; ki++) for (let kj = 0; kj < p.kernelWidth; kj++) {
        const [y, c] = [i * p.strideHeight - p.padTop + ki * p.dilationHeight, j * p.strideWidth - p.padLeft + kj * p.dilationWidth];
        if (y >= 0 && y < p.inHeight && c >= 0 && c < p.inWidth) m = Math.max(m, x.data[y * p.inWidth + c]);
      }
      out.push(m);
    }
    return out;
  };

  it('maxpool2d with four-sided padding and dilation: ONNX\'s case (W = 1, kernel 2, dilation 2, pads 1 and 1) is refused', () => {
    const x = tensor([1, 1, 3, 1], [1, 2, 3]);
    assert.throws(() => poolInfo('max', x.shape, { kernel: [1, 2], stride: 1, dilation: [1, 2], padding: [0, 0, 1, 1] }), onPadding({ axis: 'width', window: 0, start: -1, kernel: 2, dilation: 2, padding: [1, 1], input: 1 }));
    // The height's the same way: taps −1 and 1 of a one-row input.
    assert.throws(() => poolInfo('max', [1, 1, 1, 3], { kernel: [2, 1], stride: 1, dilation: [2, 1], padding: [1, 1, 0, 0] }), onPadding({ axis: 'height', window: 0, start: -1, kernel: 2, dilation: 2, padding: [1, 1], input: 1 }));
    // One cell wider, each window reads one cell (the first its last tap, the second its first): computed, [b, a].
    const w = tensor([1, 1, 1, 2], [4, 7]);
    const p = poolInfo('max', w.shape, { kernel: [1, 2], stride: 1, dilation: [1, 2], padding: [0, 0, 1, 1] });
    assert.deepStrictEqual([...poolForward(w, p).z.data], [7, 4]);
    assert.deepStrictEqual([...poolForward(w, p).z.data], naiveMax(w, p));
  });

  it('PyTorch\'s form too (padding at most half the kernel): W = 2, kernel 2, dilation 3, padding 1 reads −1 and 2 (PyTorch: −∞), with ceil_mode too', () => {
    for (const ceilMode of [false, true]) {
      assert.throws(() => poolInfo('max', [1, 1, 1, 2], { kernel: [1, 2], stride: 1, dilation: [1, 3], padding: [0, 1], ceilMode }), onPadding({ axis: 'width', window: 0, start: -1, kernel: 2, dilation: 3, padding: [1, 1], input: 2 }));
    }
    // ceil_mode keeps a window whose last tap is past the padding: kernel 2, dilation 3, stride 2, padding 1 of W = 2 (PyTorch: −∞).
    assert.throws(() => poolInfo('max', [1, 1, 1, 2], { kernel: [1, 2], stride: 2, dilation: [1, 3], padding: [0, 1], ceilMode: true }), onPadding({ axis: 'width', window: 0, start: -1, kernel: 2, dilation: 3, padding: [1, 1], input: 2 }));
    // W = 3 reaches a cell in each window: PyTorch's [2, 1] of [1, 5, 2].
    const x = tensor([1, 1, 1, 3], [1, 5, 2]);
    for (const ceilMode of [false, true]) {
      const p = poolInfo('max', x.shape, { kernel: [1, 2], stride: 1, dilation: [1, 3], padding: [0, 1], ceilMode });
      assert.deepStrictEqual([...poolForward(x, p).z.data], [2, 1]);
      assert.deepStrictEqual([...poolForward(x, p).z.data], naiveMax(x, p));
    }
  });

  it('avgpool2d: a mean that counts its padding is 0 on padding alone; one that does not never has such a window (no dilation, pads under the kernel)', () => {
    // Four-sided pads of 3 before a 2-wide kernel: window 0 reads columns −3 and −2, zeros counted.
    const x = tensor([1, 1, 1, 2], [4, 8]);
    const counted = poolForward(x, poolInfo('avg', x.shape, { kernel: [1, 2], stride: 1, padding: [0, 0, 3, 0] }));
    assert.deepStrictEqual([...counted.z.data], [0, 0, 2, 6]);
    // Not counting its padding, the same pads are refused before (each side must be under the kernel)...
    assert.throws(() => poolInfo('avg', x.shape, { kernel: [1, 2], stride: 1, padding: [0, 0, 3, 0], countIncludePad: false }), (e: unknown) => e instanceof EngineError && e.problem.code === 'pool.paddingKernel');
    // ...and under the kernel, with no dilation, every window reads a cell (the sweep below: never refused).
    const u = poolForward(x, poolInfo('avg', x.shape, { kernel: [1, 2], stride: 1, padding: [0, 0, 1, 1], countIncludePad: false }));
    assert.deepStrictEqual([...u.z.data], [4, 6, 8]);
  });

  it('a sweep of one-row axes: refused exactly where a window reads no cell, and every computed max and mean finite', () => {
    let [refused, computed] = [0, 0];
    for (let n = 1; n <= 6; n++) for (let k = 1; k <= 3; k++) for (let s = 1; s <= 3; s++) for (let d = 1; d <= 4; d++) for (let before = 0; before < k; before++) for (let after = 0; after < k; after++) {
      // ONNX's four sides, and PyTorch's pair where it takes them (even, at most half the kernel).
      const paddings: PoolOptions['padding'][] = [[0, 0, before, after], ...(before === after && before <= k / 2 ? [[0, before] as [number, number]] : [])];
      const kinds = [{ kind: 'max' as const, countIncludePad: false }, ...(d > 1 ? [] : [false, true].map(countIncludePad => ({ kind: 'avg' as const, countIncludePad })))];
      for (const padding of paddings) for (const ceilMode of [false, true]) for (const { kind, countIncludePad } of kinds) {
        const out = pooledSize(n, k, s, before, after, d, ceilMode);
        if (out < 1) continue;
        const x = tensor([1, 1, 1, n], Array.from({ length: n }, (_, c) => c - 2));
        const o: PoolOptions = { kernel: [1, k], stride: [1, s], dilation: [1, d], padding, ceilMode, countIncludePad };
        const what = JSON.stringify({ n, kind, ...o });
        const missing = Array.from({ length: out }, (_, i) => i).find(i => !Array.from({ length: k }, (_, j) => i * s - before + j * d).some(c => c >= 0 && c < n));
        if (missing !== undefined && !countIncludePad) {
          assert.throws(() => poolInfo(kind, x.shape, o), onPadding({ axis: 'width', window: missing, start: missing * s - before, kernel: k, dilation: d, padding: [before, after], input: n }), what);
          refused++;
          continue;
        }
        const p = poolInfo(kind, x.shape, o);
        const z = poolForward(x, p).z;
        assert.ok(z.data.every(Number.isFinite), `${what}: ${[...z.data]}`);
        if (kind === 'max') assert.deepStrictEqual([...z.data], naiveMax(x, p), what);
        computed++;
      }
    }
    // Only a dilated max pooling has such a window: its taps straddle an input narrower than the dilation.
    assert.ok(refused > 50 && computed > 3000, `${refused} refused, ${computed} computed`);
  });

  it('checks only the windows at the edges: a planned axis of 7.6e72 cells (a conv padded by 3.8e72) is planned at once', () => {
    // Found by the spec fuzz (seed 413): the check walked every window of a shape that is only ever planned (the
    // budget refuses it later), and hung.
    const t0 = performance.now();
    const p = poolInfo('max', [1, 2, 7.637526165718054e72, 7.637526165718054e72], { kernel: 2 });
    assert.ok(p.outHeight > 1e72 && performance.now() - t0 < 100);
    assert.throws(() => poolInfo('max', [1, 1, 1e60, 1], { kernel: 2, dilation: 2, padding: [0, 0, 1, 1] }), onPadding({ axis: 'width', window: 0, start: -1, kernel: 2, dilation: 2, padding: [1, 1], input: 1 }));
  });
});

describe('network specs: chain errors name the layer and both shapes', () => {
  const input = [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]];
  const fails = (layers: unknown[], pattern: RegExp, pathWanted: string) => {
    assert.throws(() => traceAnySpecText('net.json', JSON.stringify({ input, layers })), (e: unknown) => {
      assert.ok(e instanceof SpecError, String(e));
      assert.match(e.message, pattern);
      assert.strictEqual(JSON.stringify(e.path), pathWanted);
      return true;
    });
  };
  it('a linear layer after a 4-D output: put a flatten before it', () => {
    fails([{ type: 'relu' }, { type: 'linear', weight: [[1, 2]] }], /layers\[1\] \(linear\): expects a 2-D input \(B, in\), got \(1, 1, 3, 3\): put a flatten before it — its input \(1, 1, 3, 3\) comes from layers\[0\]/, '["layers",1]');
  });
  it('a linear layer with the wrong number of features', () => {
    fails([{ type: 'flatten' }, { type: 'linear', weight: [[1, 2]] }], /layers\[1\] \(linear\): input has 9 features but weight expects 2 \(input \(1, 9\), weight \(1, 2\)\)/, '["layers",1,"weight"]');
  });
  it('a conv whose channels do not match the layer below', () => {
    fails([{ type: 'conv2d', weight: [[[[1]]], [[[1]]]] }, { type: 'conv2d', weight: [[[[1]]]] }], /layers\[1\] \(conv2d\): input has 2 channels but weight expects 1/, '["layers",1,"weight"]');
  });
  it('a pooling window on padding alone, at its padding', () => {
    fails([{ type: 'maxpool2d', kernel: 2, dilation: 4, padding: 1 }], /layers\[0\] \(maxpool2d\): the window of output row 0 lies on padding alone: its taps at -1 and 3 miss the input's rows 0\.\.2 \(kernel 2, dilation 4, padding 1 before and 1 after\), so it has no value/, '["layers",0,"padding"]');
  });
  it('a pooling window larger than its input', () => {
    fails([{ type: 'maxpool2d', kernel: 2, stride: 2 }, { type: 'maxpool2d', kernel: 2, stride: 2 }], /layers\[1\] \(maxpool2d\): a 2x2 window .* does not fit the input 1x1/, '["layers",1]');
  });
  it('an unknown layer type and an unknown key, at their paths', () => {
    fails([{ type: 'lstm' }], /\$\.layers\[0\]\.type: "type" must be one of conv2d, relu/, '["layers",0,"type"]');
    fails([{ type: 'relu', slope: 1 }], /\$\.layers\[0\]\.slope: a relu layer has no "slope"/, '["layers",0,"slope"]');
  });
  it('names tensors layers[i].<name> and loss.<name>', () => {
    const t = traceAnySpecText('net.json', JSON.stringify({ input, layers: [{ type: 'flatten' }, { type: 'linear', weight: [[1, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 1]] }], loss: { type: 'cross_entropy', target: [1] } })) as NetworkTrace;
    assert.deepStrictEqual([...networkTensor(t, 'layers[1].z')!.data], [1, 9]);
    assert.strictEqual(networkTensor(t, 'loss.loss')!.data[0], t.loss!.value);
    assert.strictEqual(networkTensor(t, 'layers[9].z'), undefined);
  });
});

describe('networkShapes (hovers, CodeLens, diagnostics) reads shapes, never values', () => {
  /** A tensor whose values throw when read: a forward pass would touch them. */
  function untouchable(shape: number[]): Tensor {
    const data = new Proxy(new Float64Array(shape.reduce((a, b) => a * b, 1)), {
      get(target, key) {
        if (typeof key === 'string' && /^\d+$/.test(key)) throw new Error(`value ${key} was read: a forward pass ran`);
        const v = Reflect.get(target, key, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    return { shape, dtype: 'float64', data };
  }

  it('gives every layer\'s shapes of LeNet without reading a value', () => {
    const layers: LayerSpec[] = [
      { type: 'conv2d', weight: untouchable([6, 1, 5, 5]), bias: untouchable([6]), options: {} },
      { type: 'relu' }, { type: 'maxpool2d', options: { kernel: 2 } },
      { type: 'conv2d', weight: untouchable([16, 6, 5, 5]), options: {} },
      { type: 'tanh' }, { type: 'avgpool2d', options: { kernel: 2 } },
      { type: 'flatten' }, { type: 'linear', weight: untouchable([10, 256]) },
    ];
    const shapes = networkShapes({ input: untouchable([1, 1, 28, 28]), layers, loss: { type: 'cross_entropy', target: [7] }, dtype: 'float64' });
    assert.deepStrictEqual(shapes.map(s => s.output), [[1, 6, 24, 24], [1, 6, 24, 24], [1, 6, 12, 12], [1, 16, 8, 8], [1, 16, 8, 8], [1, 16, 4, 4], [1, 256], [1, 10]]);
    // A hover on each layer reads the plan's geometry, no value either.
    shapes.forEach((_, i) => assert.match(networkKeyHover(['layers', i], { problems: [], layers: shapes }) ?? '', new RegExp(`^\\*\\*layers\\[${i}\\]\\*\\* .+\n\n- `)));
    // The same tensors make traceNetwork read them: the proxy does catch a forward pass.
    assert.throws(() => traceNetwork({ input: untouchable([1, 1, 28, 28]), layers, dtype: 'float64' }), /was read: a forward pass ran/);
  });
});
