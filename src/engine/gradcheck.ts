// The gradient check: a cell of any gradient the trace recorded (∂C/∂w, ∂C/∂a,
// batchnorm's ∂C/∂γ, a layer's δ) against the central finite difference
// (C(x + ε) − C(x − ε)) / 2ε of the value it is the gradient of. Which value
// that is, each kind's view declares (`gradientOf`: a spec key, an input, the
// output); the forward pass runs again as the trace ran it (train-mode
// batchnorm with the batch's statistics, dropout as the identity), and C is
// the loss, or Σ grad ⊙ output when the spec gives ∂C/∂output, or Σ output
// when it gives neither (δ = ones).
//
// ε and the agreement, by dtype: central differences err by O(ε²) from the
// curvature and by about u·|C|/ε from rounding (u the unit roundoff), so ε is
// near u^(1/3): float64 1e-6, float32 1e-3, both times max(1, |x|). The
// relative error |numeric − analytic| / max(|numeric|, |analytic|, floor) must
// be at most the tolerance (float64 1e-5, float32 1e-2); the floor,
// (1e-3 | 1e-1)·max(1, |C|), stops a gradient near 0 from being judged by
// rounding noise alone.
//
// At a kink (relu at exactly 0, a max's tie, clip's bounds: integer examples
// sit on them) C has no derivative, the central difference is the mean of the
// two one-sided ones, and the trace, as PyTorch, picks one side. When the
// central difference disagrees, the one-sided differences (C(x + ε) − C(x)) / ε
// and (C(x) − C(x − ε)) / ε are compared too: if they differ from each other
// (a kink) and the analytic value is one of them, the cell agrees, at a kink.

import { EngineError } from './errors';
import { layerName } from './graph';
import { lossKind } from './layerKinds/loss';
import { type GradientOf, gradientOfIn } from './layerKinds/views';
import { type ForwardStep, type NetworkProblem, forwardLayers } from './network';
import { type NetworkPlan, checkNetworkBudget, planNetwork } from './networkPlan';
import type { EngineProblem } from './problem';
import { type DType, type Tensor, filled, indexOf, offsetOf, sizeOf } from './tensor';
import { type ConvProblem, DEFAULT_MAX_ELEMENTS } from './trace';

/** A spec's problem: a single conv or a network. */
export type GradProblem = ConvProblem | NetworkProblem;

/** ε, the tolerance of the relative error, and the floor of its denominator (times max(1, |C|)), by dtype. */
export const GRADCHECK: Readonly<Record<DType, { epsilon: number; tolerance: number; floor: number }>> = {
  float64: { epsilon: 1e-6, tolerance: 1e-5, floor: 1e-3 },
  float32: { epsilon: 1e-3, tolerance: 1e-2, floor: 1e-1 },
};

/** At most this many cells of a tensor are checked, evenly spaced: each costs two forward passes. */
export const MAX_CHECKED_CELLS = 64;

/** The work all the forward passes of one check may take: FLOPs where a kind states them, else elements made. */
export const GRADCHECK_WORK = 2e9;

/** What a check run on the editor's own thread may take (the debugger's panel): a few tens of milliseconds. */
export const IN_PROCESS_WORK = 3e7;

/** The central difference at one cell. */
export interface FiniteDifference {
  /** The gradient tensor's name (`layers[3].dW`, `dW` for a single conv) and the value it is the gradient of (`layers[3].weight`, `layers[2]`'s output, `input`). */
  tensor: string;
  of: string;
  index: number[];
  numeric: number;
  /** The step taken each way, as stored in the dtype. */
  epsilon: number;
  /** C at the unperturbed point's neighbourhood: the scale of the floor. */
  cost: number;
}

/** One cell checked: the finite difference beside the trace's value. */
export interface CellCheck extends FiniteDifference {
  analytic: number;
  /** Against the central difference, or the one-sided one the analytic value is, at a kink. */
  relError: number;
  agrees: boolean;
  tolerance: number;
  /** The one-sided differences, when they differ (C has no derivative here) and the central one disagreed. */
  kink?: { left: number; right: number };
}

/** A tensor checked, all its cells or MAX_CHECKED_CELLS of them evenly spaced. */
export interface TensorCheck {
  tensor: string;
  of: string;
  /** The tensor's cells, and how many were checked. */
  size: number;
  cells: CellCheck[];
  agree: number;
  /** Of those that agree, how many at a kink (the analytic value one of the one-sided differences). */
  atKinks: number;
  maxRelError: number;
  epsilon: number;
  tolerance: number;
}

/** Where a value is perturbed: a layer's spec key, the tensor it takes as input j, or its output. */
interface Perturbed {
  layer: number;
  of: string;
  shape: readonly number[];
  target: GradientOf;
}

const fail = (problem: EngineProblem): never => {
  throw new EngineError('gradcheck', problem);
};

/** The problem as a network: a single conv is a network of one conv2d layer, its tensors named without `layers[0].`. */
function asNetwork(problem: GradProblem): NetworkProblem {
  if ('layers' in problem) return problem;
  const { input, weight, bias, grad, options, dtype } = problem;
  return { input, layers: [{ type: 'conv2d', weight, ...(bias ? { bias } : {}), options }], ...(grad ? { grad } : {}), dtype };
}

/** `layers[3].dW` → layer 3, `dW`; `loss.delta` → the loss; a single conv's `dW` → layer 0. */
function splitName(problem: GradProblem, name: string): { layer: number | 'loss'; tensor: string } {
  if (!('layers' in problem)) return /^\w+$/.test(name) ? { layer: 0, tensor: name } : fail({ code: 'gradcheck.noTensor', args: { name } });
  const m = /^(?:layers\[(\d+)\]|(loss))\.(\w+)$/.exec(name);
  if (!m) return fail({ code: 'gradcheck.noTensor', args: { name } });
  if (m[2]) return problem.loss ? { layer: 'loss', tensor: m[3] } : fail({ code: 'gradcheck.noTensor', args: { name } });
  const layer = Number(m[1]);
  return layer < problem.layers.length ? { layer, tensor: m[3] } : fail({ code: 'gradcheck.noTensor', args: { name } });
}

/** What `name` is the gradient of, as its kind's view declares; the loss's δ is the last layer's output's. */
function perturbedBy(problem: GradProblem, net: NetworkProblem, plan: NetworkPlan, name: string): Perturbed {
  const { layer, tensor } = splitName(problem, name);
  const last = net.layers.length - 1;
  const geometry = layer === 'loss' ? lossKind.plan(net.loss!, plan.layers[last].output, false).geometry : plan.layers[layer].geometry;
  const target = gradientOfIn(geometry, tensor) ?? fail({ code: 'gradcheck.notGradient', args: { name } });
  if (layer === 'loss') return { layer: last, of: layerName(last), shape: plan.layers[last].output, target: { output: true } };
  const prefix = 'layers' in problem ? `${layerName(layer)}.` : '';
  const p = plan.layers[layer];
  if ('param' in target) {
    const given = (net.layers[layer] as unknown as Record<string, Tensor | undefined>)[target.param];
    return { layer, of: `${prefix}${target.param}`, shape: given?.shape ?? [], target };
  }
  // An input or an output is named as the network names outputs: `input`, `layers[2]`.
  if ('input' in target) return { layer, of: p.inputs[target.input].name, shape: p.inputs[target.input].shape, target };
  return { layer, of: 'layers' in problem ? layerName(layer) : 'z', shape: p.output, target };
}

/** C from the network's output: the loss, Σ grad ⊙ output, or Σ output (δ = ones), summed in float64. */
function costOf(net: NetworkProblem, out: Tensor): number {
  if (net.loss) return lossKind.forward(net.loss, out, lossKind.plan(net.loss, out.shape, false)).cache.value as number;
  let c = 0;
  for (let k = 0; k < out.data.length; k++) c += (net.grad ? net.grad.data[k] : 1) * out.data[k];
  return c;
}

const copy = (t: Tensor): Tensor => ({ shape: [...t.shape], dtype: t.dtype, data: t.data.slice() });

/** C with one value moved by `step`, and the value it was moved to (as the dtype stores it). */
function costWith(net: NetworkProblem, at: Perturbed, offset: number, step: number, base: Tensor): { cost: number; value: number } {
  const moved = copy(base);
  moved.data[offset] += step;
  const value = moved.data[offset];
  const target = at.target;
  let problem = net;
  if ('param' in target) {
    problem = { ...net, layers: net.layers.map((l, i) => (i === at.layer ? { ...l, [target.param]: moved } : l)) };
  }
  const plan = planNetwork(problem, false);
  const steps = forwardLayers(problem, plan, {
    inputs: (i, xs) => ('input' in target && i === at.layer ? xs.map((x, j) => (j === target.input ? moved : x)) : xs),
    output: (i, z) => ('output' in target && i === at.layer ? moved : z),
  });
  return { cost: costOf(problem, steps[steps.length - 1].output), value };
}

/** The value perturbed, unperturbed: the spec's tensor (or what it is when left out), or the forward pass's. */
function baseValue(net: NetworkProblem, at: Perturbed, shape: readonly number[], steps: readonly ForwardStep[]): Tensor {
  const target = at.target;
  if ('param' in target) {
    const given = (net.layers[at.layer] as unknown as Record<string, Tensor | undefined>)[target.param];
    return given ?? filled(shape, target.absent ?? 0, net.dtype);
  }
  return 'input' in target ? steps[at.layer].inputs[target.input] : steps[at.layer].output;
}

/** What one forward pass costs: each layer's FLOPs where its kind states them, else the elements its plan makes. */
function forwardWork(plan: NetworkPlan): number {
  return plan.layers.reduce((w, l) => w + (l.cost?.flops ?? l.tensors.reduce((n, t) => n + sizeOf(t.shape), 0)), 0);
}

/** How far apart the two are, relative to their size (and the floor), and whether that is within the tolerance. */
export function agreement(numeric: number, analytic: number, cost: number, dtype: DType): { relError: number; agrees: boolean; tolerance: number } {
  const { tolerance, floor } = GRADCHECK[dtype];
  const scale = Math.max(Math.abs(numeric), Math.abs(analytic), floor * Math.max(1, Math.abs(cost)));
  const relError = Math.abs(numeric - analytic) / scale;
  return { relError, agrees: relError <= tolerance, tolerance };
}

/** A check prepared: the network, what is perturbed, its unperturbed value and C, and how many cells the work allows. */
interface Prepared {
  net: NetworkProblem;
  at: Perturbed;
  base: Tensor;
  cost: number;
  affordable: number;
}

function prepare(problem: GradProblem, name: string, analytic: Tensor, maxElements: number, work = GRADCHECK_WORK): Prepared {
  const net = asNetwork(problem);
  const plan = planNetwork(net, false);
  checkNetworkBudget(plan, maxElements);
  const at = perturbedBy(problem, net, plan, name);
  const shape = at.shape.length ? at.shape : analytic.shape;
  if (sizeOf(shape) !== analytic.data.length) fail({ code: 'gradcheck.shape', args: { name, shape: [...analytic.shape], expected: [...shape] } });
  // C unperturbed once, then two passes a cell.
  const pass = forwardWork(plan);
  const affordable = Math.floor((work - pass) / Math.max(1, 2 * pass));
  if (affordable < 1) fail({ code: 'gradcheck.tooBig', args: { name, work: 3 * pass, limit: work } });
  const steps = forwardLayers(net, plan);
  return { net, at, base: baseValue(net, at, shape, steps), cost: costOf(net, steps[steps.length - 1].output), affordable };
}

function checkCell(p: Prepared, name: string, analytic: Tensor, offset: number): CellCheck {
  const { net, at, base, cost } = p;
  const x = base.data[offset];
  const step = GRADCHECK[net.dtype].epsilon * Math.max(1, Math.abs(x));
  const plus = costWith(net, at, offset, step, base);
  const minus = costWith(net, at, offset, -step, base);
  const numeric = (plus.cost - minus.cost) / (plus.value - minus.value);
  const a = analytic.data[offset];
  const cell = { tensor: name, of: at.of, index: indexOf(analytic.shape, offset), numeric, epsilon: (plus.value - minus.value) / 2, cost, analytic: a };
  const central = agreement(numeric, a, cost, net.dtype);
  if (central.agrees) return { ...cell, ...central };
  const kink = { left: (cost - minus.cost) / (x - minus.value), right: (plus.cost - cost) / (plus.value - x) };
  if (agreement(kink.left, kink.right, cost, net.dtype).agrees) return { ...cell, ...central };
  // No derivative here: the analytic value agrees when it is one side's.
  const side = [agreement(kink.left, a, cost, net.dtype), agreement(kink.right, a, cost, net.dtype)].reduce((b, s) => (s.relError < b.relError ? s : b));
  return { ...cell, ...(side.agrees ? side : central), kink };
}

/**
 * One cell of a gradient tensor checked: `analytic` is the tensor as the trace recorded it. Throws an
 * EngineError when `name` is not a gradient the check can perturb, the cell is outside it, or the forward
 * passes would take more than `work`.
 */
export function checkGradientCell(problem: GradProblem, name: string, analytic: Tensor, index: readonly number[], maxElements = DEFAULT_MAX_ELEMENTS, work = GRADCHECK_WORK): CellCheck {
  const inside = index.length === analytic.shape.length && index.every((v, d) => Number.isInteger(v) && v >= 0 && v < analytic.shape[d]);
  if (!inside) fail({ code: 'gradcheck.index', args: { name, index: [...index], shape: [...analytic.shape] } });
  return checkCell(prepare(problem, name, analytic, maxElements, work), name, analytic, offsetOf(analytic.shape, index));
}

/** The cells a whole-tensor check visits: all of them, or `count` evenly spaced from the first. */
export function checkedOffsets(size: number, count: number): number[] {
  if (size <= count) return Array.from({ length: size }, (_, k) => k);
  return Array.from({ length: count }, (_, k) => Math.floor((k * size) / count));
}

/** A whole gradient tensor checked: every cell, or at most MAX_CHECKED_CELLS (fewer when the forward pass is big). */
export function checkGradientTensor(problem: GradProblem, name: string, analytic: Tensor, maxElements = DEFAULT_MAX_ELEMENTS): TensorCheck {
  const p = prepare(problem, name, analytic, maxElements);
  const cells = checkedOffsets(analytic.data.length, Math.min(MAX_CHECKED_CELLS, p.affordable)).map(k => checkCell(p, name, analytic, k));
  const { epsilon, tolerance } = GRADCHECK[p.net.dtype];
  return {
    tensor: name, of: p.at.of, size: analytic.data.length, cells, agree: cells.filter(c => c.agrees).length, atKinks: cells.filter(c => c.agrees && c.kink).length,
    // NaN (a non-finite C) is the largest error there is.
    maxRelError: cells.reduce((m, c) => (Number.isNaN(c.relError) || Number.isNaN(m) ? NaN : Math.max(m, c.relError)), 0),
    epsilon, tolerance,
  };
}

/**
 * `gradcheck(dW): 24 of 24 cells agree, max relative error 3.1e-9 (ε 1e-6)`, with how many of its cells were
 * checked when not all, and the first cell that disagrees.
 */
export function tensorCheckSummary(label: string, c: TensorCheck): string {
  const err = Number.isNaN(c.maxRelError) ? 'NaN' : c.maxRelError.toPrecision(2);
  const sampled = c.cells.length < c.size ? `; ${c.cells.length} of its ${c.size} cells checked, evenly spaced` : '';
  const kinks = c.atKinks ? `; ${c.atKinks} at a kink, where the analytic value is a one-sided difference` : '';
  const bad = c.cells.find(x => !x.agrees);
  const first = bad ? `; first disagreeing: [${bad.index.join(', ')}] analytic ${bad.analytic}, finite difference ${bad.numeric}` : '';
  return `gradcheck(${label}): ${c.agree} of ${c.cells.length} cells agree, max relative error ${err} (ε ${c.epsilon.toExponential()})${kinks}${sampled}${first}`;
}
