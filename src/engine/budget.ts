// What a run will allocate, counted from shapes before anything is allocated:
// each op lists the tensors it makes (the trace's and the transient ones), and
// one check refuses a run whose largest tensor, or whose tensors together, would
// exceed the limit. A 50 KB spec can ask for gigabytes (a huge padding, a pooling
// window as large as the image): it is refused here, by name and size.

import { EngineError } from './errors';
import type { LayerAt } from './problem';
import { sizeOf } from './tensor';

/** A tensor an op will allocate: its (qualified) name and shape. */
export interface PlannedTensor {
  name: string;
  shape: readonly number[];
}

/** 2^26 elements: 512 MiB of float64 in the largest intermediate. */
export const DEFAULT_MAX_ELEMENTS = 2 ** 26;

/** All tensors of a run together may hold this many times the per-tensor limit. */
export const TOTAL_FACTOR = 8;

/** Whether a value can be an element limit: a positive whole number. */
export function isElementLimit(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

/**
 * The per-tensor limit a caller asked for (the default when absent). Anything
 * but a positive whole number is refused: a string such as "abc" compared with
 * sizes is never exceeded, and would switch the limit off.
 */
export function elementLimit(requested: unknown): number {
  if (requested === undefined) return DEFAULT_MAX_ELEMENTS;
  if (!isElementLimit(requested)) {
    throw new EngineError('trace', { code: 'budget.limit', args: { value: typeof requested === 'string' ? JSON.stringify(requested) : String(requested) } });
  }
  return requested;
}

/**
 * Throws an EngineError (for `op`) naming the first tensor over `limit` elements,
 * or the total when all of them together exceed TOTAL_FACTOR × limit. Returns that total.
 */
export function checkBudget(op: string, planned: readonly PlannedTensor[], limit: number, layer?: LayerAt): number {
  const total = checkEach(op, planned, limit, layer);
  checkTotal(op, planned.length, total, limit, layer);
  return total;
}

/** Throws an EngineError (for `op`) naming the first tensor over `limit` elements; returns their total. */
export function checkEach(op: string, planned: readonly PlannedTensor[], limit: number, layer?: LayerAt): number {
  let total = 0;
  for (const t of planned) {
    const n = sizeOf(t.shape);
    if (n > limit) throw new EngineError(op, { code: 'budget.tensor', args: { name: t.name, count: n, shape: [...t.shape], limit } }, undefined, layer);
    total += n;
  }
  return total;
}

/** Throws an EngineError (for `op`) when `tensors` tensors of `total` elements in all exceed TOTAL_FACTOR × limit. */
export function checkTotal(op: string, tensors: number, total: number, limit: number, layer?: LayerAt): void {
  if (total > TOTAL_FACTOR * limit) {
    throw new EngineError(op, { code: 'budget.total', args: { tensors, count: total, factor: TOTAL_FACTOR, limit } }, undefined, layer);
  }
}

/** The planned tensors with `prefix.` before each name (`layers[2].pool_t`). */
export function qualified(prefix: string, planned: readonly PlannedTensor[]): PlannedTensor[] {
  return planned.map(t => ({ name: `${prefix}.${t.name}`, shape: t.shape }));
}
