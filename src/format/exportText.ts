// Export a tensor: as JSON nested arrays, or as a numpy literal to paste into Python.

import { formatNumber } from './text';
import type { TensorData } from '../engine/tensor';

/** Tensors bigger than this are not put on the clipboard (use conv-trace --only NAME). */
export const COPY_LIMIT = 1_000_000;

function nested(shape: readonly number[], data: TensorData, write: (x: number) => string): string {
  const build = (dim: number, off: number): string => {
    if (dim === shape.length) return write(data[off]);
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const parts: string[] = [];
    for (let i = 0; i < shape[dim]; i++) parts.push(build(dim + 1, off + i * stride));
    const sep = dim === shape.length - 1 ? ', ' : ',\n' + ' '.repeat(dim + 1);
    return `[${parts.join(sep)}]`;
  };
  return build(0, 0);
}

/** Full precision; non-finite values as the strings the spec reader accepts. */
export function tensorJson(shape: readonly number[], data: TensorData): string {
  return nested(shape, data, x => (Number.isFinite(x) ? String(x) : JSON.stringify(formatNumber(x))));
}

export function tensorNumpy(name: string, shape: readonly number[], data: TensorData, dtype: string): string {
  const lit = nested(shape, data, x => (Number.isNaN(x) ? 'np.nan' : x === Infinity ? 'np.inf' : x === -Infinity ? '-np.inf' : String(x)));
  return `${name.replace(/[^A-Za-z0-9_]/g, '_')} = np.array(${lit}, dtype=np.${dtype})  # shape (${shape.join(', ')})`;
}
