// A network's trace takes each layer's forward tensors from the network's forward pass (a kind's traceForward:
// conv2d's a, a_t, z_t and z made once) rather than have its record make them again. Property: on random small
// networks (convs of any stride, padding, groups and bias, residual adds, concat, batchnorm in both modes, max and
// average pooling (padded, ceil_mode), conv_transpose2d, with a loss or without), float32 and float64, kernels on and off, the trace
// is the old path's bit for bit (every tensor, statistic, stage and check), and so is a layer traced from a run.

import * as assert from 'assert';
import { forwardLayer, forwardLayers, layerTrace, NetworkProblem, recordNetwork, traceNetwork } from '../../src/engine/network';
import { planNetwork } from '../../src/engine/networkPlan';
import { runNetwork, traceRunLayer } from '../../src/engine/networkRun';
import { layerSources } from '../../src/engine/graph';
import { DType } from '../../src/engine/tensor';
import { setWasmGemm } from '../../src/engine/wasm/gemmWasm';
import { readNetworkSpec } from '../../src/specReader/networkSpec';
import { JsonSource } from '../../src/specReader/source';
import { rng } from './helpers';

type Random = () => number;

/** Nested arrays of `shape`, values in [-1, 1) (a few exact zeros, which ReLU and the statistics' signs meet). */
function values(shape: readonly number[], random: Random): unknown {
  if (shape.length === 0) return random() < 0.05 ? 0 : Math.round((random() * 2 - 1) * 1e6) / 1e6;
  return Array.from({ length: shape[0] }, () => values(shape.slice(1), random));
}

const pick = <T>(random: Random, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const int = (random: Random, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

/** A random network spec's text: a chain of 3 to 7 layers, some reaching back to an earlier output of the same shape. */
function randomNetwork(random: Random, wideConv: boolean): string {
  let shape = [int(random, 1, 2), wideConv ? 48 : int(random, 1, 3), int(random, 5, 9), int(random, 5, 9)];
  const input = values(shape, random);
  const layers: Record<string, unknown>[] = [];
  const shapes: number[][] = [];
  const push = (layer: Record<string, unknown>, out: number[]) => { layers.push(layer); shapes.push(out); shape = out; };
  const conv = (cout: number, k: number, stride: number, padding: number, groups = 1) => {
    const [B, C, H, W] = shape;
    const out = (n: number) => Math.floor((n + 2 * padding - k) / stride) + 1;
    const bias = random() < 0.7 ? { bias: values([cout], random) } : {};
    push({ type: 'conv2d', weight: values([cout, C / groups, k, k], random), ...bias, stride, padding, ...(groups > 1 ? { groups } : {}) }, [B, cout, out(H), out(W)]);
  };
  // The first layer a conv: its ∂C/∂input is what the trace shows of the network's input.
  if (wideConv) conv(2, 3, 1, 1); // Kg = 48·9 > 384: the kernel sums it in two runs; the output is convolve's
  else conv(int(random, 1, 4), int(random, 1, 3), int(random, 1, 2), int(random, 0, 1));
  const count = int(random, 2, 6);
  for (let n = 0; n < count && shape[2] >= 2 && shape[3] >= 2; n++) {
    const [B, C, H, W] = shape;
    const kind = pick(random, ['conv', 'grouped', 'relu', 'batchnorm', 'maxpool', 'avgpool', 'residual', 'concat', 'convT']);
    if (kind === 'conv') conv(int(random, 1, 4), int(random, 1, Math.min(3, H, W)), int(random, 1, 2), int(random, 0, 1));
    else if (kind === 'grouped' && C > 1) conv(C * 2, 1, 1, 0, C);
    else if (kind === 'relu') push({ type: pick(random, ['relu', 'sigmoid', 'tanh']) }, shape);
    else if (kind === 'batchnorm') {
      const training = random() < 0.5;
      push({ type: 'batchnorm2d', weight: values([C], random), bias: values([C], random), ...(training ? { training: true } : {}) }, shape);
    } else if (kind === 'maxpool' || kind === 'avgpool') {
      // Windows over the padding and past it (ceil_mode) too: the trace reduces pool_t, the run reads the input.
      const [k, stride, ceil] = [int(random, 2, 3), int(random, 1, 2), random() < 0.3];
      const padding = int(random, 0, 1);
      const out = (n: number) => {
        const o = (ceil ? Math.ceil : Math.floor)((n + 2 * padding - k) / stride) + 1;
        return ceil && (o - 1) * stride >= n + padding ? o - 1 : o;
      };
      if (H + 2 * padding < k || W + 2 * padding < k) continue;
      push({ type: `${kind}2d`, kernel: k, stride, padding, ...(ceil ? { ceil_mode: true } : {}) }, [B, C, out(H), out(W)]);
    }
    else if (kind === 'residual' || kind === 'concat') {
      const from = shapes.length - 1;
      conv(C, 3, 1, 1);
      const out = kind === 'residual' ? shape : [B, 2 * C, H, W];
      push({ type: kind === 'residual' ? 'add' : 'concat', inputs: [`layers[${from}]`, `layers[${from + 1}]`] }, out);
    } else if (kind === 'convT') {
      const cout = int(random, 1, 3);
      push({ type: 'conv_transpose2d', weight: values([C, cout, 2, 2], random), ...(random() < 0.5 ? { bias: values([cout], random) } : {}), stride: 2 }, [B, cout, 2 * H, 2 * W]);
    }
  }
  const loss = random() < 0.6 ? { loss: { type: 'mse', target: values(shape, random) } } : {};
  return JSON.stringify({ input, layers, ...loss });
}

/** The trace the old way: each layer's forward pass its kind's `forward`, its record making its forward tensors again. */
function oldTrace(problem: NetworkProblem) {
  const plan = planNetwork(problem, true);
  return recordNetwork(problem, plan, forwardLayers(problem, plan), {});
}

/** Layer i traced from a run the old way: its kind's `forward` again, then its record. */
function oldRunLayer(problem: NetworkProblem, i: number) {
  const run = runNetwork(problem);
  const layerPlan = run.plan.layers[i];
  const inputs = layerSources(problem.layers)[i].map(s => (s === 'input' ? problem.input : run.outputs[s]));
  const { cache } = forwardLayer(problem.layers[i], inputs, layerPlan);
  const step = { spec: problem.layers[i], inputs, names: layerPlan.inputs.map(x => x.name), output: run.outputs[i], cache };
  const g = run.gradients!;
  return layerTrace(step, i, layerPlan.cost, g.deltas[i], g.from[i], { backward: g.deltas[i] !== undefined }).trace;
}

describe('a network trace takes its layers\' forward tensors from the forward pass: the old path\'s trace, bit for bit', () => {
  for (const kernels of [true, false]) {
    for (const dtype of ['float32', 'float64'] as DType[]) {
      it(`random networks, ${dtype}, kernels ${kernels ? 'on' : 'off'}: every tensor and record the same`, () => {
        const random = rng(kernels ? 2026 : 7 + (dtype === 'float32' ? 1 : 0));
        setWasmGemm(kernels);
        try {
          for (let n = 0; n < 25; n++) {
            const text = randomNetwork(random, n === 0);
            const problem = readNetworkSpec(JsonSource.parse(`random-${n}.json`, text), { dtype });
            const what = `network ${n}: ${problem.layers.map(l => l.type).join(', ')}`;
            // deepStrictEqual compares typed arrays byte by byte: NaN, −0 and the last bit all count.
            assert.deepStrictEqual(traceNetwork(problem), oldTrace(problem), what);
            const run = runNetwork(problem);
            for (const i of [0, problem.layers.length - 1]) assert.deepStrictEqual(traceRunLayer(run, i), oldRunLayer(problem, i), `${what}: layer ${i} traced from the run`);
          }
        } finally {
          setWasmGemm(true);
        }
      });
    }
  }
});
