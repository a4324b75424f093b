// The sum behind one cell of a trace: which products add up to z[b,o,i,j], which
// ∂C/∂a_t entries col2im adds into ∂C/∂a[b,c,y,x], and so on. The panel lists
// these terms; tests check that they add up to the cell's value.

import type { ConvInfo } from './convInfo';
import { col2imContributors, groupOfInput, groupOfOutput, isPadding, outputRow, rot180Taps, rowOutput } from './links';
import type { LinkTarget } from './links';
import type { TensorData } from './tensor';
import type { TensorName } from './trace';

export interface Term {
  /** e.g. `a_t[0, 5, 3] · w_t[3, 0]`. */
  label: string;
  factors: number[];
  /** The product of the factors. */
  value: number;
}

export interface CellSum {
  /** e.g. `z[0, 0, 1, 2] = Σ_k a_t[0, 5, k] · w_t[k, 0] + b[0]`. */
  formula: string;
  terms: Term[];
  /** A constant added after the sum (the bias), if any. */
  constant?: { label: string; value: number };
  /** Σ terms + constant; for a max, the largest term. */
  total: number;
  /** How the terms combine: added (the default), or the largest wins (max pooling). */
  reduce?: 'max';
  /** For a max: the index of the winning term (the first on ties). */
  winner?: number;
  /** The same cell seen another way (∂C/∂a: the rot180 products δ · w). */
  alternative?: CellSum;
}

export type TensorLookup = (name: TensorName) => TensorData | undefined;

const fmt = (index: number[]) => index.join(', ');

export function sum(formula: string, terms: Term[], constant?: CellSum['constant']): CellSum {
  let total = constant?.value ?? 0;
  for (const t of terms) total += t.value;
  return { formula, terms, constant, total };
}

/** The largest of the terms, the first on ties (as max pooling's argmax). */
export function maxOf(formula: string, terms: Term[]): CellSum {
  let winner = 0;
  for (let k = 1; k < terms.length; k++) if (terms[k].value > terms[winner].value) winner = k;
  return { formula, terms, total: terms.length ? terms[winner].value : NaN, reduce: 'max', winner };
}

export function product(label: string, ...factors: number[]): Term {
  let value = 1;
  for (const f of factors) value *= f;
  return { label, factors, value };
}

function outputSum(info: ConvInfo, get: TensorLookup, b: number, o: number, r: number, withBias: boolean): CellSum | undefined {
  const at = get('a_t');
  const wt = get('w_t');
  if (!at || !wt) return undefined;
  const { patchSize: K, groupPatchSize: Kg, outChannels: Cout, outPositions: R } = info;
  const g = groupOfOutput(info, o);
  const terms: Term[] = [];
  for (let k = g * Kg; k < (g + 1) * Kg; k++) {
    terms.push(product(`a_t[${fmt([b, r, k])}] · w_t[${k}, ${o}]`, at[(b * R + r) * K + k], wt[k * Cout + o]));
  }
  const bias = withBias ? get('bias') : undefined;
  const { i, j } = rowOutput(info, r);
  const range = info.groups > 1 ? `k=${g * Kg}..${(g + 1) * Kg - 1}` : 'k';
  const name = withBias ? `z[${fmt([b, o, i, j])}]` : `z_t[${fmt([b, r, o])}]`;
  return sum(`${name} = Σ_${range} a_t[${b}, ${r}, k] · w_t[k, ${o}]${bias ? ` + b[${o}]` : ''}`, terms, bias ? { label: `b[${o}]`, value: bias[o] } : undefined);
}

function col2imSum(info: ConvInfo, get: TensorLookup, b: number, c: number, y: number, x: number, name: string): CellSum | undefined {
  const dAt = get('dA_t');
  if (!dAt) return undefined;
  const { patchSize: K, outPositions: R } = info;
  const terms = col2imContributors(info, c, y, x).map(t => {
    const v = dAt[(b * R + t.r) * K + t.k];
    return { label: `∂C/∂a_t[${fmt([b, t.r, t.k])}]  (output (${t.i}, ${t.j}), tap (${t.ki}, ${t.kj}))`, factors: [v], value: v };
  });
  const main = sum(`${name} = Σ ∂C/∂a_t entries that copied this pixel (${terms.length})`, terms);
  const delta = get('delta');
  const weight = get('weight');
  if (delta && weight) {
    const g = groupOfInput(info, c);
    const cl = c - g * info.inChannelsPerGroup;
    const alt = rot180Taps(info, c, y, x).filter(t => t.delta).map(t => {
      const ki = info.kernelHeight - 1 - t.m;
      const kj = info.kernelWidth - 1 - t.n;
      const d = delta[((b * info.outChannels + t.o) * info.outHeight + t.delta!.i) * info.outWidth + t.delta!.j];
      const w = weight[((t.o * info.inChannelsPerGroup + cl) * info.kernelHeight + ki) * info.kernelWidth + kj];
      return product(`δ[${fmt([b, t.o, t.delta!.i, t.delta!.j])}] · w[${fmt([t.o, cl, ki, kj])}]`, d, w);
    });
    main.alternative = sum(`${name} = Σ δ · ROT180(w) over the window (${alt.length} non-zero terms)`, alt);
  }
  return main;
}

/** The terms that add up to one cell, or undefined when the cell is not a sum (or its data is not loaded). */
export function cellSum(info: ConvInfo, get: TensorLookup, target: LinkTarget): CellSum | undefined {
  const [p, q, s, t] = target.index;
  const R = info.outPositions;
  switch (target.tensor) {
    case 'z':
      return outputSum(info, get, p, q, outputRow(info, s, t), true);
    case 'z_t':
      return outputSum(info, get, p, s, q, false);
    case 'dA_padded':
      return col2imSum(info, get, p, q, s, t, `∂C/∂a_padded[${fmt([p, q, s, t])}]`);
    case 'dA': case 'dA_rot180':
      if (isPadding(info, s + info.padTop, t + info.padLeft)) return undefined;
      return col2imSum(info, get, p, q, s + info.padTop, t + info.padLeft, `∂C/∂a[${fmt([p, q, s, t])}]`);
    case 'dA_t': {
      const dt = get('delta_t');
      const wt = get('w_t');
      if (!dt || !wt) return undefined;
      const g = Math.floor(s / info.groupPatchSize);
      const terms: Term[] = [];
      for (let o = g * info.outChannelsPerGroup; o < (g + 1) * info.outChannelsPerGroup; o++) {
        terms.push(product(`δ_t[${fmt([p, q, o])}] · w_t[${s}, ${o}]`, dt[(p * R + q) * info.outChannels + o], wt[s * info.outChannels + o]));
      }
      return sum(`∂C/∂a_t[${fmt([p, q, s])}] = Σ_o δ_t[${p}, ${q}, o] · w_t[${s}, o]`, terms);
    }
    case 'dW': case 'dW_t': {
      const at = get('a_t');
      const dt = get('delta_t');
      if (!at || !dt) return undefined;
      const [k, o] = target.tensor === 'dW_t' ? [p, q] : [groupOfOutput(info, p) * info.groupPatchSize + (q * info.kernelHeight + s) * info.kernelWidth + t, p];
      if (Math.floor(k / info.groupPatchSize) !== groupOfOutput(info, o)) {
        return sum(`∂C/∂w_t[${k}, ${o}] = 0: off the diagonal blocks of groups, a structural zero and not a parameter`, []);
      }
      const terms: Term[] = [];
      for (let b = 0; b < info.batch; b++) {
        for (let r = 0; r < R; r++) {
          terms.push(product(`a_t[${fmt([b, r, k])}] · δ_t[${fmt([b, r, o])}]`, at[(b * R + r) * info.patchSize + k], dt[(b * R + r) * info.outChannels + o]));
        }
      }
      return sum(`∂C/∂w_t[${k}, ${o}] = Σ_b Σ_r a_t[b, r, ${k}] · δ_t[b, r, ${o}]`, terms);
    }
    case 'db': {
      const dt = get('delta_t');
      if (!dt) return undefined;
      const terms: Term[] = [];
      for (let b = 0; b < info.batch; b++) {
        for (let r = 0; r < R; r++) {
          const v = dt[(b * R + r) * info.outChannels + p];
          terms.push({ label: `δ_t[${fmt([b, r, p])}]`, factors: [v], value: v });
        }
      }
      return sum(`∂C/∂b[${p}] = Σ_b Σ_r δ_t[b, r, ${p}]`, terms);
    }
    default:
      return undefined;
  }
}
