// Values as the debug console and Watch print them.

import { Tensor, formatShape, sizeOf, tensorStats } from '../../engine/tensor';
import { formatNumber } from '../../format/text';
import type { Value } from './evaluate';

/** Formats a value for the console and Watch: numbers exactly, small tensors numpy-style, big ones summarized. */
export function formatValue(v: Value, precision = 6): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : formatNumber(v);
  if ('tuple' in v) return v.tuple.length === 1 ? `(${v.tuple[0]},)` : `(${v.tuple.join(', ')})`;
  if ('report' in v) return v.report;
  if (v.data.length <= 64) {
    const build = (d: number, off: number): string => {
      if (d === v.shape.length) return formatNumber(v.data[off], precision);
      const stride = sizeOf(v.shape.slice(d + 1));
      const parts: string[] = [];
      for (let i = 0; i < v.shape[d]; i++) parts.push(build(d + 1, off + i * stride));
      return `[${parts.join(', ')}]`;
    };
    return build(0, 0);
  }
  return summarize(v, precision);
}

/** `float64 (1, 9, 12) min 1 max 9`. */
export function summarize(t: Tensor, precision = 6): string {
  const { min, max, nonFinite } = tensorStats(t.data);
  const range = nonFinite < t.data.length ? ` min ${formatNumber(min, precision)} max ${formatNumber(max, precision)}` : '';
  return `${t.dtype} ${formatShape(t.shape)}${range}${nonFinite ? ` (${nonFinite} non-finite)` : ''}`;
}
