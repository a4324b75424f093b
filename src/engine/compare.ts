// "Compare with reference": someone's own a_t, z, dA or dW against the engine's,
// from the same input and weight. The difference becomes part of the trace (a
// first stage), so the panel shows it beside the engine's tensors and links it.

import { EngineError } from './errors';
import { Tensor, indexOf } from './tensor';
import { type ConvTrace, type TensorName, type TraceStage, recorded } from './trace';

export interface Comparison {
  /** The engine's tensor compared against. */
  tensor: TensorName;
  maxAbsError: number;
  /** max |yours - engine| / max(|engine|, tiny), over cells. */
  maxRelError: number;
  /** Cells that differ by more than the tolerance. */
  mismatches: number;
  /** Index (in the engine's shape) of the first mismatching cell, row-major. */
  firstMismatch?: number[];
  /** The tolerance used: absolute + relative. */
  tolerance: { abs: number; rel: number };
  /** How the other tensor's shape was read, when it was not the engine's shape. */
  reshapedFrom?: number[];
}

/**
 * Compares `yours` with the engine's `name`. Shapes must agree, or hold the same
 * number of values (an a_t without its batch axis, a flattened z): then `yours`
 * is read in the engine's shape, and the comparison says so.
 */
export function compareTensors(engine: Tensor, yours: Tensor, name: TensorName, tolerance = { abs: 1e-6, rel: 1e-6 }): { comparison: Comparison; difference: Tensor; reshaped: Tensor } {
  const same = engine.shape.length === yours.shape.length && engine.shape.every((d, i) => d === yours.shape[i]);
  if (!same && engine.data.length !== yours.data.length) {
    throw new EngineError('compare', {
      code: 'compare.shape',
      args: { name, yours: [...yours.shape], yoursCount: yours.data.length, engine: [...engine.shape], engineCount: engine.data.length },
    });
  }
  const reshaped: Tensor = { shape: [...engine.shape], dtype: 'float64', data: Float64Array.from(yours.data) };
  const diff = new Float64Array(engine.data.length);
  let maxAbs = 0;
  let maxRel = 0;
  let mismatches = 0;
  let first = -1;
  for (let i = 0; i < diff.length; i++) {
    const e = engine.data[i];
    const y = reshaped.data[i];
    const d = y - e;
    diff[i] = d;
    const bothNaN = e !== e && y !== y;
    const abs = bothNaN ? 0 : Math.abs(d);
    const rel = abs / Math.max(Math.abs(e), 1e-12);
    if (!bothNaN && !(abs <= tolerance.abs + tolerance.rel * Math.abs(e))) {
      mismatches++;
      if (first < 0) first = i;
    }
    if (abs > maxAbs || abs !== abs) maxAbs = abs !== abs ? NaN : Math.max(maxAbs, abs);
    if (rel > maxRel) maxRel = rel;
  }
  const comparison: Comparison = {
    tensor: name, maxAbsError: maxAbs, maxRelError: maxRel, mismatches, tolerance,
    ...(first >= 0 ? { firstMismatch: indexOf(engine.shape, first) } : {}),
    ...(same ? {} : { reshapedFrom: [...yours.shape] }),
  };
  return { comparison, difference: { shape: [...engine.shape], dtype: 'float64', data: diff }, reshaped };
}

/** The trace with `yours` and `difference` added and a first stage that shows them. */
export function withComparison(trace: ConvTrace, name: TensorName, yours: Tensor): ConvTrace {
  const engine = trace.tensors[name];
  if (!engine) throw new EngineError('compare', { code: 'compare.missing', args: { name } });
  const { comparison, difference, reshaped } = compareTensors(engine, yours, name);
  const stage: TraceStage = {
    id: 'compare', pass: 'forward', title: `Yours vs the engine's ${name}`, formula: `difference = yours − ${name}`,
    inputs: ['yours', name], outputs: ['difference'],
  };
  return {
    ...trace,
    tensors: {
      ...trace.tensors,
      yours: recorded('yours', reshaped, engine.axes, { key: 'compare.yours', args: { name, ...(comparison.reshapedFrom ? { reshapedFrom: comparison.reshapedFrom } : {}) } }),
      difference: recorded('difference', difference, engine.axes, { key: 'compare.difference', args: { name } }),
    },
    stages: [stage, ...trace.stages],
    comparison,
  };
}
