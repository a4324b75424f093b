// Fuzzing the backward passes: random chains of the kinds with geometry of their own (conv2d and conv_transpose2d of
// any stride, padding (conv_transpose2d's on four sides apart too), dilation and groups; max and average pooling with
// even or uneven padding, dilation, ceil_mode and count_include_pad; pad2d in every mode with crops; upsample2d nearest
// and bilinear by fractional scales or to sizes, corners aligned or not, or by an ONNX coordinate transform;
// batchnorm in both modes; smooth activations) under an mse loss, in float64: every gradient the trace declares
// agrees with central finite differences on a few cells (checkGradientCell), whatever the attributes drawn, and the
// lean run (runNetwork, each kind's backward on its fast path) gives the same parameter gradients and ∂C/∂input.

import * as assert from 'assert';
import { EngineError } from '../../src/engine/errors';
import { checkGradientCell } from '../../src/engine/gradcheck';
import { gradientOfIn } from '../../src/engine/layerKinds/views';
import { LINEAR_TRANSFORMS } from '../../src/engine/resample';
import { NetworkLayer, NetworkProblem, NetworkTrace, qualifiedName, traceNetwork } from '../../src/engine/network';
import { planNetwork } from '../../src/engine/networkPlan';
import { runNetwork } from '../../src/engine/networkRun';
import { Tensor, indexOf } from '../../src/engine/tensor';
import { assertClose, randomTensor, rng } from './helpers';

type Random = () => number;

const NETWORKS = 12;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

const int = (random: Random, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const pick = <T>(random: Random, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];

/** One layer drawn for an input of `channels` channels: its spec (the plan says whether it fits). */
function randomLayer(random: Random, channels: number): NetworkLayer {
  const t = (...shape: number[]) => randomTensor(shape, random);
  const k = () => [int(random, 1, 3), int(random, 1, 3)] as [number, number];
  switch (pick(random, ['conv', 'convT', 'maxpool', 'avgpool', 'pad', 'upsample', 'batchnorm', 'activation'])) {
    case 'conv': {
      const groups = pick(random, [1, 1, channels]);
      const out = groups * int(random, 1, 2);
      const [kh, kw] = k();
      return {
        type: 'conv2d', weight: t(out, channels / groups, kh, kw), ...(random() < 0.6 ? { bias: t(out) } : {}),
        options: { stride: [int(random, 1, 2), int(random, 1, 2)], padding: [int(random, 0, 2), int(random, 0, 1)], dilation: [int(random, 1, 2), int(random, 1, 2)], groups },
      };
    }
    case 'convT': {
      const groups = pick(random, [1, 1, channels]);
      const perGroup = int(random, 1, 2);
      const [kh, kw] = k();
      const stride: [number, number] = [int(random, 1, 2), int(random, 1, 2)];
      const dilation: [number, number] = [int(random, 1, 2), int(random, 1, 2)];
      return {
        type: 'conv_transpose2d', weight: t(channels, perGroup, kh, kw), ...(random() < 0.5 ? { bias: t(groups * perGroup) } : {}),
        // One number, a pair, or the four sides apart (ONNX's pads).
        options: { stride, padding: pick(random, [int(random, 0, 1), [int(random, 0, 1), int(random, 0, 1)], [int(random, 0, 1), int(random, 0, 2), int(random, 0, 2), int(random, 0, 1)]]), dilation, groups, output_padding: [int(random, 0, Math.max(stride[0], dilation[0]) - 1), int(random, 0, Math.max(stride[1], dilation[1]) - 1)] },
      };
    }
    case 'maxpool':
    case 'avgpool': {
      const kernel = [int(random, 1, 3), int(random, 1, 3)] as [number, number];
      const max = random() < 0.5;
      // Even padding up to half the kernel (PyTorch's), or each side under the kernel (ONNX's uneven pads).
      const [kh, kw] = kernel;
      const padding = random() < 0.6 ? [int(random, 0, kh >> 1), int(random, 0, kw >> 1)] : [int(random, 0, kh - 1), int(random, 0, kh - 1), int(random, 0, kw - 1), int(random, 0, kw - 1)];
      return {
        type: max ? 'maxpool2d' : 'avgpool2d',
        options: {
          kernel, stride: [int(random, 1, 2), int(random, 1, 2)], padding: padding as [number, number], ceilMode: random() < 0.4,
          ...(max ? { dilation: [int(random, 1, 2), int(random, 1, 2)] } : random() < 0.5 ? { countIncludePad: false } : {}),
        },
      };
    }
    case 'pad':
      return { type: 'pad2d', padding: [int(random, -1, 2), int(random, -1, 2), int(random, -1, 2), int(random, -1, 2)], mode: pick(random, ['constant', 'reflect', 'replicate'] as const), value: random() - 0.5 };
    case 'upsample': {
      const bilinear = random() < 0.6;
      const how = random() < 0.5 ? { scale_factor: [pick(random, [0.7, 1, 1.5, 2]), pick(random, [0.7, 1.3, 2])] as [number, number] } : { size: [int(random, 1, 7), int(random, 1, 7)] as [number, number] };
      // Bilinear as torch (align_corners or not) or as ONNX's Resize (a coordinate transform, onnxruntime's).
      const rule = random() < 0.4 ? { coordinate_transformation_mode: pick(random, [...LINEAR_TRANSFORMS]) } : random() < 0.4 ? { align_corners: true } : {};
      return { type: 'upsample2d', mode: bilinear ? 'bilinear' : 'nearest', ...how, ...(bilinear ? rule : {}) };
    }
    case 'batchnorm': {
      const training = random() < 0.5;
      const variance = t(channels);
      const running = { running_mean: t(channels), running_var: { ...variance, data: variance.data.map(v => 0.5 + Math.abs(v)) } };
      return { type: 'batchnorm2d', weight: t(channels), bias: t(channels), eps: 1e-5, momentum: 0.1, training, ...(training ? {} : running) };
    }
    default:
      return pick(random, [{ type: 'sigmoid' }, { type: 'tanh' }, { type: 'softmax' }, { type: 'leaky_relu', slope: 0.2 }] as NetworkLayer[]);
  }
}

/** A chain of 2 to 5 layers that the plan accepts (a layer that does not fit is drawn again, a few times). */
function randomNetwork(random: Random): NetworkProblem {
  const input = randomTensor([int(random, 1, 2), int(random, 1, 3), int(random, 3, 7), int(random, 3, 7)], random);
  const layers: NetworkLayer[] = [];
  let shape = input.shape;
  const count = int(random, 2, 5);
  for (let tries = 0; layers.length < count && tries < 40; tries++) {
    const layer = randomLayer(random, shape[1]);
    try {
      const plan = planNetwork({ input, layers: [...layers, layer], dtype: 'float64' }, true);
      const out = plan.layers[layers.length].output;
      if (out.reduce((a, b) => a * b, 1) > 400) continue;
      layers.push(layer);
      shape = out;
    } catch (e) {
      if (!(e instanceof EngineError)) throw e;
    }
  }
  return { input, layers, loss: { type: 'mse', target: randomTensor([...shape], random) }, dtype: 'float64' };
}

/**
 * Whether a max pooling's window holds its maximum twice (cells a zero padding, a pad or a nearest upsample made
 * equal): C has no derivative there, and finite differences across several such windows can even agree each way.
 */
function maxTies(trace: NetworkTrace): boolean {
  return trace.layers.some(l => {
    const [windows, z] = [l.tensors.pool_t, l.tensors.z];
    if (l.op !== 'maxpool2d' || !windows || !z) return false;
    const taps = windows.shape[3];
    return z.data.some((m, r) => windows.data.subarray(r * taps, (r + 1) * taps).filter(v => v === m).length > 1);
  });
}

/** Two cells of a tensor: the first and one drawn. */
const someCells = (t: Tensor, random: Random): number[][] => [...new Set([0, int(random, 0, t.data.length - 1)])].map(k => indexOf(t.shape, k));

describe(`fuzz: random chains of every geometry, their gradients against finite differences (seed ${SEED})`, () => {
  it(`${NETWORKS} networks: every declared gradient agrees on a few cells`, function () {
    this.timeout(120_000);
    const random = rng(SEED);
    // About 8 % of draws tie: the guard only catches a generator that ties most of the time.
    let [checked, kinks, ties] = [0, 0, 0];
    for (let n = 0; n < NETWORKS; n++) {
      const problem = randomNetwork(random);
      const what = `network ${n}: ${JSON.stringify(problem.layers.map(l => ({ ...l, weight: undefined, bias: undefined, running_mean: undefined, running_var: undefined })))} on (${problem.input.shape.join(', ')})`;
      const trace = traceNetwork(problem);
      const run = runNetwork(problem);
      const tied = maxTies(trace);
      if (tied) ties++;
      for (const [i, l] of trace.layers.entries()) {
        for (const [short, tensor] of Object.entries(l.tensors)) {
          const of = tensor && gradientOfIn(l.geometry, short);
          if (!tensor || !of) continue;
          // The trace's record and the lean backward: two ways to each gradient.
          // A parameter left out of the spec (a conv's bias, batchnorm's γ) has a gradient in the trace alone.
          const lean = 'param' in of && l.op !== 'loss' ? run.gradients!.params[i][of.param] : undefined;
          if ('param' in of && l.op !== 'loss' && (lean || of.absent === undefined)) assertClose(lean!, tensor, 1e-9, `${what}: lean ${l.name}.${of.param}'s gradient`);
          if ('input' in of && i === 0) assertClose(run.gradients!.input!, tensor, 1e-9, `${what}: lean ∂C/∂input`);
          if (tied) continue;
          for (const index of someCells(tensor, random)) {
            const c = checkGradientCell(problem, qualifiedName(l, short), tensor, index);
            // Where C has no derivative (its one-sided differences differ: a max over cells a pad, a nearest
            // upsample or a constant region made equal), no value is the gradient: the cell is counted, not judged.
            if (c.kink) { kinks++; continue; }
            checked++;
            // 10× the check's float64 tolerance: a gradient of about 0 (a bias before batchnorm in training) meets
            // the finite difference's own noise there; a wrong gradient is off by far more.
            assert.ok(c.agrees || c.relError <= 1e-4, `${what}: ${qualifiedName(l, short)}[${index}] (∂C/∂${c.of}): analytic ${c.analytic}, finite difference ${c.numeric}, relative error ${c.relError}`);
          }
        }
      }
    }
    assert.ok(kinks < checked / 4 && ties <= NETWORKS / 2, `${kinks} cells at a kink, ${checked} checked, ${ties} networks with tied maxima: the draws should rarely tie`);
  });
});
