// A named value in a few lines, for terminals: its name, shape, dtype and statistics, then a preview of its
// last two axes (the model form of conv-trace prints a whole model's values this way, one after another).

import { Tensor, TensorData, formatShape, sizeOf, tensorStats } from '../engine/tensor';
import { formatNumber, formatTensor } from './text';

/** Of the finite values (min, max, mean, std, population std), and how many are zero or not finite. */
export interface ValueStatistics {
  count: number;
  min: number;
  max: number;
  mean: number;
  std: number;
  zeros: number;
  nonFinite: number;
}

export function valueStatistics(data: TensorData): ValueStatistics {
  const { min, max, nonFinite } = tensorStats(data);
  let sum = 0;
  let zeros = 0;
  for (const v of data) if (Number.isFinite(v)) { sum += v; if (v === 0) zeros++; }
  const finite = data.length - nonFinite;
  const mean = finite ? sum / finite : 0;
  let squares = 0;
  for (const v of data) if (Number.isFinite(v)) squares += (v - mean) ** 2;
  return { count: data.length, min, max, mean, std: finite ? Math.sqrt(squares / finite) : 0, zeros, nonFinite };
}

/**
 * `name  (1, 8, 8, 8)  float32  [Conv /conv1/Conv]`, its statistics, and its values numpy style (at most
 * `maxRows` × `maxCols` of the first matrix).
 */
export function formatValue(name: string, t: Tensor, what: string, precision = 6, maxRows = 8, maxCols = 8): string {
  const s = valueStatistics(t.data);
  const n = (x: number) => formatNumber(x, precision);
  const stats = `  min ${n(s.min)}  max ${n(s.max)}  mean ${n(s.mean)}  std ${n(s.std)}${s.nonFinite ? `  non-finite ${s.nonFinite}` : ''}`;
  const preview = formatTensor(name, t, precision, maxRows, maxCols).split('\n');
  // The first matrix, then how many more: enough for a terminal; --format json or npy has them all.
  const starts = preview.flatMap((line, i) => (line.startsWith(`${name}[`) ? [i] : []));
  const matrices = sizeOf(t.shape.slice(0, -2));
  const shown = starts.length > 1 ? [...preview.slice(0, starts[1]), `  … ${matrices - 1} more ${formatShape(t.shape.slice(-2))} matrices`] : preview;
  return [`${name}  ${formatShape(t.shape)}  ${t.dtype}${what ? `  ${what}` : ''}`, stats, ...shown].join('\n');
}
