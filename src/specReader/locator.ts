// Finds every nested numeric array (a "tensor") in any JSON/JSONC text, with its
// source range, shape and statistics, in one streaming pass of VS Code's own
// parser (jsonc-parser's visitor): no syntax tree, so a 5 MB file stays cheap.
// It runs on the extension host's thread for every JSON file opened, so it has a
// budget: past it, the scan gives up and says why rather than stall the editor.

import { JSONPath, parse, visit } from 'jsonc-parser';
import { numericValue } from './nested';
import type { Problem } from './problemCodes';
import { jsonPath } from './source';

export interface TensorStatsSummary {
  count: number;
  /** Over finite values (0 when there are none). */
  min: number;
  max: number;
  mean: number;
  nonFinite: number;
}

export interface LocatedTensor {
  path: JSONPath;
  /** Offset and length of the array in the text. */
  offset: number;
  length: number;
  /** From the first element at each depth; see `ragged` when the rest disagree. */
  shape: number[];
  stats: TensorStatsSummary;
  /** Where the array stops being a regular block, if it does. */
  ragged?: { path: JSONPath; problem: Problem };
  /** Offsets and lengths of its first innermost rows, for previews. */
  firstRows: [number, number][];
}

interface Stats { count: number; min: number; max: number; sum: number; nonFinite: number }

interface Frame {
  kind: 'array' | 'object';
  offset: number;
  path: JSONPath;
  /** Index of the next child (arrays). */
  index: number;
  numbers: number;
  arrays: number;
  others: number;
  /** Shape every child array must have; undefined before the first child array. */
  childShape?: number[];
  ragged?: { path: JSONPath; problem: Problem };
  stats: Stats;
  firstRows: [number, number][];
  /** Numeric child arrays, emitted as tensors of their own if this array turns out not to be one. */
  pending: LocatedTensor[];
}

const PREVIEW_ROWS = 8;

function emptyStats(): Stats {
  return { count: 0, min: Infinity, max: -Infinity, sum: 0, nonFinite: 0 };
}

function merge(into: Stats, from: Stats): void {
  into.count += from.count;
  into.sum += from.sum;
  into.nonFinite += from.nonFinite;
  if (from.min < into.min) into.min = from.min;
  if (from.max > into.max) into.max = from.max;
}

function summary(s: Stats): TensorStatsSummary {
  const finite = s.count - s.nonFinite;
  return finite > 0
    ? { count: s.count, min: s.min, max: s.max, mean: s.sum / finite, nonFinite: s.nonFinite }
    : { count: s.count, min: 0, max: 0, mean: 0, nonFinite: s.nonFinite };
}

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

export interface LocatedKey {
  /** The property's path, e.g. ['input'] or ['input', 'npy']. */
  path: JSONPath;
  /** Offset and length of the key, quotes included. */
  offset: number;
  length: number;
}

export interface TensorScan {
  /** Tensors in text order, none inside another. */
  tensors: LocatedTensor[];
  /** Property keys of the top level, one level down and of each layer, in text order (for hovers on a spec's keys). */
  keys: LocatedKey[];
  /** The text has syntax errors (the tensors found are still reported). */
  hasErrors: boolean;
  /** Why the scan gave up, finding nothing: the text is over the budget, or nested deeper than it. */
  skipped?: 'too large' | 'too deep';
  /** Parser events handled (values, keys, brackets): the work done, whatever the machine's speed. */
  work: number;
}

/** What one scan may spend. Over any of it, the scan finds nothing and says why (`skipped`). */
export interface ScanBudget {
  /** Longer texts are not parsed at all. */
  maxChars: number;
  /** Parser events (values, keys, brackets): the time a scan takes is about proportional. */
  maxWork: number;
  /** Tensors, rows of tensors and keys made (a few hundred bytes each): the memory a scan holds. */
  maxKept: number;
  /** Nesting depth (the parser recurses once per level). */
  maxDepth: number;
}

/**
 * About a quarter of a second of the host's thread at most. A dense 8 MB tensor
 * (0.5 M numbers) scans in full; a 42 MB file of small records is given up
 * after 100 000 keys instead of taking 20 s and 1 GB.
 */
export const SCAN_BUDGET: ScanBudget = { maxChars: 16_000_000, maxWork: 2_000_000, maxKept: 100_000, maxDepth: 256 };

/** Thrown from the parser's callbacks to stop it. */
class OverBudget {
  constructor(readonly reason: NonNullable<TensorScan['skipped']>) {}
}

/** What a scan has spent so far; throws OverBudget past the budget. */
class Meter {
  work = 0;
  private kept = 0;
  constructor(private readonly budget: ScanBudget) {}
  /** One parser event. */
  spend(): void { if (++this.work > this.budget.maxWork) throw new OverBudget('too large'); }
  /** One tensor, row or key held. */
  keep(): void { if (++this.kept > this.budget.maxKept) throw new OverBudget('too large'); }
  /** One level deeper than `depth`. */
  nest(depth: number): void { if (depth >= this.budget.maxDepth) throw new OverBudget('too deep'); }
}

export function scanTensors(text: string, budget: ScanBudget = SCAN_BUDGET): TensorScan {
  if (text.length > budget.maxChars) return { tensors: [], keys: [], hasErrors: false, skipped: 'too large', work: 0 };
  const meter = new Meter(budget);
  try {
    return scanWithin(text, meter);
  } catch (e) {
    if (!(e instanceof OverBudget)) throw e;
    return { tensors: [], keys: [], hasErrors: false, skipped: e.reason, work: meter.work };
  }
}

function scanWithin(text: string, meter: Meter): TensorScan {
  const tensors: LocatedTensor[] = [];
  const keys: LocatedKey[] = [];
  const stack: Frame[] = [];
  let hasErrors = false;
  const top = () => stack[stack.length - 1];
  const frame = (kind: Frame['kind'], offset: number, path: () => JSONPath): Frame => {
    meter.spend();
    meter.nest(stack.length);
    return { kind, offset, path: path(), index: 0, numbers: 0, arrays: 0, others: 0, stats: emptyStats(), firstRows: [], pending: [] };
  };
  /** A child that is not part of a numeric block. */
  const otherChild = () => {
    const p = top();
    if (p?.kind === 'array') { p.others++; p.index++; }
  };
  visit(text, {
    onObjectBegin: (offset, _l, _sl, _sc, path) => { otherChild(); stack.push(frame('object', offset, path)); },
    onObjectEnd: () => { stack.pop(); },
    onObjectProperty: (property, offset, length) => {
      meter.spend();
      const f = top();
      // The top level, one level down, and each layer of a network spec (layers[i].type, .kernel, ...).
      if (f && (f.path.length <= 1 || (f.path.length === 2 && f.path[0] === 'layers'))) { meter.keep(); keys.push({ path: [...f.path, property], offset, length }); }
    },
    onArrayBegin: (offset, _l, _sl, _sc, path) => { stack.push(frame('array', offset, path)); },
    onArrayEnd: (offset, length) => {
      const f = stack.pop()!;
      const end = offset + length;
      const numeric = f.others === 0 && (f.numbers > 0 || f.arrays > 0) && !(f.numbers > 0 && f.arrays > 0);
      let located: LocatedTensor | undefined;
      if (numeric) {
        const shape = f.arrays > 0 ? [f.index, ...(f.childShape ?? [])] : [f.index];
        const firstRows: [number, number][] = f.arrays > 0 ? f.firstRows : [[f.offset, end - f.offset]];
        located = { path: f.path, offset: f.offset, length: end - f.offset, shape, stats: summary(f.stats), firstRows, ragged: f.ragged };
      } else if (f.numbers > 0 && f.arrays > 0 && f.others === 0) {
        // Numbers beside arrays: a ragged block (e.g. [[1, 2], 3]).
        located = {
          path: f.path, offset: f.offset, length: end - f.offset, shape: [f.index], stats: summary(f.stats), firstRows: f.firstRows,
          ragged: f.ragged ?? { path: f.path, problem: { code: 'ragged.mixed', args: {} } },
        };
      } else {
        for (const t of f.pending) tensors.push(t); // one by one: a spread of 100 000 arguments overflows the stack
      }
      if (located) meter.keep();
      const p = top();
      if (p?.kind === 'array' && located) {
        // A row of the parent block.
        if (p.childShape === undefined) p.childShape = located.shape;
        else if (!p.ragged && !sameShape(p.childShape, located.shape)) {
          p.ragged = { path: located.path, problem: { code: 'ragged.shape', args: { shape: located.shape, first: jsonPath([...p.path, 0]), expected: p.childShape } } };
        }
        if (!p.ragged && located.ragged) p.ragged = located.ragged;
        merge(p.stats, f.stats);
        for (const r of located.firstRows) if (p.firstRows.length < PREVIEW_ROWS) p.firstRows.push(r);
        p.arrays++;
        p.index++;
        p.pending.push(located);
      } else if (located) {
        if (p?.kind === 'array') { p.others++; p.index++; }
        tensors.push(located);
      } else {
        otherChild();
      }
    },
    onLiteralValue: value => {
      meter.spend();
      const p = top();
      if (p?.kind !== 'array') return;
      const x = numericValue(value);
      p.index++;
      if (x === undefined) { p.others++; return; }
      p.numbers++;
      const s = p.stats;
      s.count++;
      if (x !== x || x === Infinity || x === -Infinity) { s.nonFinite++; return; }
      s.sum += x;
      if (x < s.min) s.min = x;
      if (x > s.max) s.max = x;
    },
    onError: () => { meter.spend(); hasErrors = true; },
  }, { allowTrailingComma: true, disallowComments: false });
  tensors.sort((a, b) => a.offset - b.offset);
  return { tensors, keys, hasErrors, work: meter.work };
}

/** The key whose text contains `offset`, if any. */
export function keyAt(scan: TensorScan, offset: number): LocatedKey | undefined {
  return scan.keys.find(k => offset >= k.offset && offset < k.offset + k.length);
}

/** The tensor whose array contains `offset`, if any (binary search: tensors do not overlap). */
export function tensorAt(scan: TensorScan, offset: number): LocatedTensor | undefined {
  let lo = 0;
  let hi = scan.tensors.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = scan.tensors[mid];
    if (offset < t.offset) hi = mid - 1;
    else if (offset >= t.offset + t.length) lo = mid + 1;
    else return t;
  }
  return undefined;
}

/** Index paths every so many characters of a big tensor, so a hover walks from the nearest one. */
const CHECKPOINT_EVERY = 1 << 16;
const checkpoints = new WeakMap<LocatedTensor, { offset: number; index: number[] }[]>();

/**
 * Counts brackets and commas from `from` through `to` (numbers, strings like "NaN"
 * and comments: the tensor is known to hold nothing else), updating `index`. A string
 * or comment is skipped up to `limit`; returns where the next step starts.
 */
function walkIndex(text: string, from: number, to: number, index: number[], limit = to): number {
  let i = from;
  for (; i <= to; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 91 /* [ */) index.push(0);
    else if (ch === 93 /* ] */) index.pop();
    else if (ch === 44 /* , */) index[index.length - 1]++;
    else if (ch === 34 /* " */) { i++; while (i < limit && text.charCodeAt(i) !== 34) i += text.charCodeAt(i) === 92 ? 2 : 1; }
    else if (ch === 47 /* / */ && text.charCodeAt(i + 1) === 47) { while (i < limit && text.charCodeAt(i) !== 10) i++; }
    else if (ch === 47 && text.charCodeAt(i + 1) === 42) { i += 2; while (i < limit && !(text.charCodeAt(i) === 42 && text.charCodeAt(i + 1) === 47)) i++; i++; }
  }
  return i;
}

/**
 * The tensor's checkpoints up to `offset`: made as hovers reach further (the scan,
 * and so the tensor, is cached per document version), each at a step's start.
 */
function checkpointsUpTo(text: string, tensor: LocatedTensor, offset: number): { offset: number; index: number[] }[] {
  let marks = checkpoints.get(tensor);
  if (!marks) checkpoints.set(tensor, marks = [{ offset: tensor.offset, index: [] }]);
  const last = tensor.offset + tensor.length - 1;
  for (let mark = marks[marks.length - 1]; mark.offset + CHECKPOINT_EVERY <= offset && mark.offset <= last; mark = marks[marks.length - 1]) {
    const index = [...mark.index];
    marks.push({ offset: walkIndex(text, mark.offset, Math.min(mark.offset + CHECKPOINT_EVERY, last), index, last), index });
  }
  return marks;
}

/**
 * Where inside a tensor an offset is: the index path below the tensor's own path.
 * Walked from the nearest checkpoint, so a hover deep in an 8 MB array walks at
 * most 64 KB of it once an earlier hover went that far.
 */
export function indexWithin(text: string, tensor: LocatedTensor, offset: number): number[] {
  const end = Math.min(offset, tensor.offset + tensor.length - 1);
  const marks = checkpointsUpTo(text, tensor, end);
  let lo = 0;
  let hi = marks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (marks[mid].offset <= end) lo = mid; else hi = mid - 1;
  }
  const index = [...marks[lo].index];
  walkIndex(text, marks[lo].offset, end, index);
  return index;
}

/** The first rows of a tensor's first 2-D slice, parsed from their text. */
export function previewRows(text: string, tensor: LocatedTensor, rows = 4, cols = 8): number[][] {
  const take = tensor.shape.length >= 2 ? Math.min(rows, tensor.shape[tensor.shape.length - 2]) : 1;
  return tensor.firstRows.slice(0, take).map(([offset, length]) => {
    const values = parse(text.slice(offset, offset + length)) as unknown[];
    return (Array.isArray(values) ? values : []).slice(0, cols).map(v => numericValue(v) ?? NaN);
  });
}
