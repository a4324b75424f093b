// The sums behind the cells of the other layers: a linear output's dot
// product, a pooled pixel's gradient gathered from its windows, an average's
// taps, δ ⊙ h'(z). Same shape of answer as the conv's (cellTerms.ts).

import { CellSum, TensorLookup, Term, cellSum, maxOf, product, sum } from './cellTerms';
import type { LayerGeometry } from './geometry';
import { PoolInfo, isPoolPadding, poolDivisor, poolTap } from './layers';
import type { LinkTarget } from './links';
import type { ShapeOf } from './layerLinks';

const fmt = (index: readonly number[]) => index.join(', ');

/** The terms that add up to one cell of a layer of any kind, or undefined when the cell is not a sum. */
export function cellSumIn(g: LayerGeometry, get: TensorLookup, shapeOf: ShapeOf, target: LinkTarget): CellSum | undefined {
  switch (g.kind) {
    case 'conv': return cellSum(g.info, get, target);
    case 'pool': return poolSum(g.info, get, target);
    case 'linear': return linearSum(get, shapeOf, target);
    case 'elementwise': return activationSum(get, shapeOf, target);
    case 'flatten': return undefined;
  }
}

function poolSum(p: PoolInfo, get: TensorLookup, target: LinkTarget): CellSum | undefined {
  const [b, c, s, t] = target.index;
  const K = p.kernelHeight * p.kernelWidth;
  const R = p.outHeight * p.outWidth;
  const row = ((b * p.channels + c) * R) * K;
  if (target.tensor === 'z' && p.kind === 'max') {
    // The window's taps; the largest wins (padding is −∞ and never does).
    const poolT = get('pool_t');
    if (!poolT) return undefined;
    const r = s * p.outWidth + t;
    const terms: Term[] = [];
    for (let k = 0; k < K; k++) {
      const v = poolT[row + r * K + k];
      terms.push({ label: `pool_t[${fmt([b, c, r, k])}]  (tap (${Math.floor(k / p.kernelWidth)}, ${k % p.kernelWidth}))`, factors: [v], value: v });
    }
    return maxOf(`z[${fmt(target.index)}] = max_k pool_t[${b}, ${c}, ${r}, k]; argmax = the first largest`, terms);
  }
  if (target.tensor === 'z' && p.kind === 'avg') {
    const poolT = get('pool_t');
    if (!poolT) return undefined;
    const r = s * p.outWidth + t;
    const n = poolDivisor(p, s, t);
    const terms: Term[] = [];
    for (let k = 0; k < K; k++) terms.push(product(`pool_t[${fmt([b, c, r, k])}] · 1/${n}`, poolT[row + r * K + k], 1 / n));
    return sum(`z[${fmt(target.index)}] = Σ_k pool_t[${b}, ${c}, ${r}, k] / ${n}`, terms);
  }
  if (target.tensor !== 'dA') return undefined;
  // ∂C/∂input[y, x]: every window tap that read the pixel gives back its share.
  const dpool = get('dpool_t');
  if (!dpool) return undefined;
  const y = s + p.padHeight;
  const x = t + p.padWidth;
  if (isPoolPadding(p, y, x)) return undefined;
  const terms: Term[] = [];
  for (let i = 0; i < p.outHeight; i++) {
    for (let j = 0; j < p.outWidth; j++) {
      for (let ki = 0; ki < p.kernelHeight; ki++) {
        for (let kj = 0; kj < p.kernelWidth; kj++) {
          const tap = poolTap(p, i, j, ki, kj);
          if (tap.y !== y || tap.x !== x) continue;
          const r = i * p.outWidth + j;
          const k = ki * p.kernelWidth + kj;
          const v = dpool[row + r * K + k];
          terms.push({ label: `dpool_t[${fmt([b, c, r, k])}]  (window (${i}, ${j}), tap (${ki}, ${kj}))`, factors: [v], value: v });
        }
      }
    }
  }
  return sum(`∂C/∂input[${fmt(target.index)}] = Σ dpool_t entries of the windows that read this pixel (${terms.length})`, terms);
}

function linearSum(get: TensorLookup, shapeOf: ShapeOf, target: LinkTarget): CellSum | undefined {
  const [p, q] = target.index;
  const [B, In] = shapeOf('input') ?? [];
  const Out = shapeOf('z')?.[1];
  const input = get('input');
  const wt = get('w_t');
  const delta = get('delta');
  if (B === undefined || In === undefined || Out === undefined) return undefined;
  switch (target.tensor) {
    case 'z': {
      if (!input || !wt) return undefined;
      const terms: Term[] = [];
      for (let i = 0; i < In; i++) terms.push(product(`input[${p}, ${i}] · w_t[${i}, ${q}]`, input[p * In + i], wt[i * Out + q]));
      const bias = get('bias');
      return sum(`z[${p}, ${q}] = Σ_i input[${p}, i] · w_t[i, ${q}]${bias ? ` + b[${q}]` : ''}`, terms, bias ? { label: `b[${q}]`, value: bias[q] } : undefined);
    }
    case 'dA': {
      if (!delta || !wt) return undefined;
      const terms: Term[] = [];
      for (let o = 0; o < Out; o++) terms.push(product(`δ[${p}, ${o}] · w_t[${q}, ${o}]`, delta[p * Out + o], wt[q * Out + o]));
      return sum(`∂C/∂input[${p}, ${q}] = Σ_o δ[${p}, o] · w_t[${q}, o]`, terms);
    }
    case 'dW': {
      if (!delta || !input) return undefined;
      const terms: Term[] = [];
      for (let b = 0; b < B; b++) terms.push(product(`δ[${b}, ${p}] · input[${b}, ${q}]`, delta[b * Out + p], input[b * In + q]));
      return sum(`∂C/∂W[${p}, ${q}] = Σ_b δ[b, ${p}] · input[b, ${q}]`, terms);
    }
    case 'db': {
      if (!delta) return undefined;
      const terms: Term[] = [];
      for (let b = 0; b < B; b++) terms.push({ label: `δ[${b}, ${p}]`, factors: [delta[b * Out + p]], value: delta[b * Out + p] });
      return sum(`∂C/∂b[${p}] = Σ_b δ[b, ${p}]`, terms);
    }
    default:
      return undefined;
  }
}

/** ∂C/∂z = δ ⊙ h'(z): one product per cell. */
function activationSum(get: TensorLookup, shapeOf: ShapeOf, target: LinkTarget): CellSum | undefined {
  if (target.tensor !== 'dZ') return undefined;
  const delta = get('delta');
  const hPrime = get('h_prime');
  const shape = shapeOf('dZ');
  if (!delta || !hPrime || !shape) return undefined;
  // All three share one shape, so one offset.
  const offset = target.index.reduce((acc, v, d) => acc * shape[d] + v, 0);
  const at = fmt(target.index);
  return sum(`∂C/∂z[${at}] = δ[${at}] · h'(z)[${at}]`, [product(`δ[${at}] · h'(z)[${at}]`, delta[offset], hPrime[offset])]);
}
