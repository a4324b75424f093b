// What the conv benchmark's main thread, its method workers and the numpy runner share:
// the shapes, the seeded inputs, the FLOP count, the passes, and the timing loop.

import { sizeOf } from '../../src/engine/tensor';

export interface ConvCase {
  /** 1-based, as numbered in the issue. */
  id: number;
  title: string;
  /** NCHW. */
  input: [number, number, number, number];
  /** OIHW. */
  weight: [number, number, number, number];
  stride: number;
  padding: number;
}

export const CASES: readonly ConvCase[] = [
  { id: 1, title: 'worked example', input: [1, 3, 4, 4], weight: [2, 3, 2, 2], stride: 1, padding: 0 },
  { id: 2, title: 'LeNet conv1', input: [16, 1, 28, 28], weight: [6, 1, 5, 5], stride: 1, padding: 0 },
  { id: 3, title: 'ResNet block, batch 1', input: [1, 64, 56, 56], weight: [64, 64, 3, 3], stride: 1, padding: 1 },
  { id: 4, title: 'ResNet block, batch 8', input: [8, 64, 56, 56], weight: [64, 64, 3, 3], stride: 1, padding: 1 },
  { id: 5, title: 'ResNet stem', input: [8, 3, 224, 224], weight: [64, 3, 7, 7], stride: 2, padding: 3 },
];

/** The combined pass is only timed on the worked example, where latency (not throughput) is the target. */
export type Pass = 'forward' | 'backward-input' | 'backward-weight' | 'forward+backward';
export const PASSES: readonly Pass[] = ['forward', 'backward-input', 'backward-weight', 'forward+backward'];

export type OutputName = 'z' | 'dInput' | 'dWeight' | 'dBias';
export type FloatArray = Float32Array | Float64Array;
/** Results in the engine's layouts (NCHW, OIHW), whatever the method computes in. */
export type Outputs = Partial<Record<OutputName, FloatArray>>;

export const PASS_OUTPUTS: Record<Pass, readonly OutputName[]> = {
  'forward': ['z'],
  'backward-input': ['dInput'],
  'backward-weight': ['dWeight', 'dBias'],
  'forward+backward': ['z', 'dInput', 'dWeight', 'dBias'],
};

export function outputShape(c: ConvCase): [number, number, number, number] {
  const [B, , H, W] = c.input;
  const [Cout, , kh, kw] = c.weight;
  const out = (n: number, k: number) => Math.floor((n + 2 * c.padding - k) / c.stride) + 1;
  return [B, Cout, out(H, kh), out(W, kw)];
}

/** 2·B·Cout·Hout·Wout·Cin·kh·kw: the multiply-adds of the one matrix product behind each pass. */
export function flopsPerPass(c: ConvCase): number {
  const [B, Cout, Hout, Wout] = outputShape(c);
  const [, Cin, kh, kw] = c.weight;
  return 2 * B * Cout * Hout * Wout * Cin * kh * kw;
}

export function caseLabel(c: ConvCase): string {
  const shape = (s: readonly number[]) => `(${s.join(',')})`;
  const opts = [c.stride !== 1 ? `s${c.stride}` : '', c.padding !== 0 ? `p${c.padding}` : ''].filter(Boolean).join(' ');
  return `${shape(c.input)} ⋆ ${shape(c.weight)}${opts ? ' ' + opts : ''}`;
}

export interface CaseData {
  x: Float64Array;
  w: Float64Array;
  b: Float64Array;
  /** ∂C/∂z for the backward passes. */
  grad: Float64Array;
}

/** Park–Miller values in (-0.5, 0.5), rounded to float32 so every method, in either precision, sees the same numbers. */
function seeded(length: number, seed: number): Float64Array {
  const data = new Float64Array(length);
  let s = seed;
  for (let i = 0; i < length; i++) {
    s = (s * 16807) % 2147483647;
    data[i] = Math.fround(s / 2147483647 - 0.5);
  }
  return data;
}

export function caseData(c: ConvCase): CaseData {
  return {
    x: seeded(sizeOf(c.input), 1),
    w: seeded(sizeOf(c.weight), 2),
    b: seeded(c.weight[0], 3),
    grad: seeded(sizeOf(outputShape(c)), 4),
  };
}

export interface TimingConfig {
  /** Timed samples per pass, after the warm-up. */
  minRuns: number;
  maxRuns: number;
  /** Aim for about this much timed work per pass. */
  targetMs: number;
  /** Passes faster than this are run several times per sample (timer resolution). */
  sampleMs: number;
  /** Passes faster than this keep warming up (V8 tiers up after many calls) until this much time has passed. */
  warmupMs: number;
  /** A pass whose single run takes longer is skipped. */
  capMs: number;
}

export interface Measurement {
  /** The first run (including any JIT compilation). */
  firstRunMs: number;
  /** Runs per sample. */
  inner: number;
  /** Per-run time of each sample; empty when the first run exceeded the cap. */
  samplesMs: number[];
  medianMs: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Warm up, then time `run` in samples: the median per-run time of `minRuns`..`maxRuns` samples, as many as fit
 * in about `targetMs`. `onProgress` is called after every run or sample so a watchdog can tell "slow" from "hung".
 */
/** Times `run` (synchronous, or a promise for the two-thread pool: awaited only then). */
export async function measure(run: () => void | Promise<void>, cfg: TimingConfig, onProgress: () => void): Promise<Measurement> {
  let t0 = performance.now();
  await run();
  const firstRunMs = performance.now() - t0;
  onProgress();
  if (firstRunMs > cfg.capMs) return { firstRunMs, inner: 1, samplesMs: [], medianMs: NaN };
  // A fast pass keeps warming up so V8 has optimized it before it is timed; a slow one is warm after one run.
  let perRun = firstRunMs;
  if (firstRunMs < cfg.warmupMs) {
    let n = 0;
    t0 = performance.now();
    while (performance.now() - t0 < cfg.warmupMs) { const r = run(); if (r) await r; n++; }
    perRun = (performance.now() - t0) / n;
    onProgress();
  }
  const inner = Math.max(1, Math.ceil(cfg.sampleMs / Math.max(perRun, 1e-3)));
  const runs = Math.min(cfg.maxRuns, Math.max(cfg.minRuns, Math.ceil(cfg.targetMs / (inner * perRun))));
  const samplesMs: number[] = [];
  for (let r = 0; r < runs; r++) {
    t0 = performance.now();
    for (let i = 0; i < inner; i++) { const r = run(); if (r) await r; }
    samplesMs.push((performance.now() - t0) / inner);
    onProgress();
  }
  return { firstRunMs, inner, samplesMs, medianMs: median(samplesMs) };
}

/**
 * `run` and `baseline` timed in turns, each sample one of each (a change in the machine's load falls on both), after
 * `measure`'s warm-up of `run`: their measurements, `run`'s first.
 */
export async function measureTurns(run: () => void | Promise<void>, baseline: () => void | Promise<void>, cfg: TimingConfig,
  onProgress: () => void): Promise<[Measurement, Measurement]> {
  const first = await measure(run, { ...cfg, minRuns: 1, maxRuns: 1 }, onProgress);
  await baseline();
  const perRun = first.medianMs;
  const inner = Math.max(1, Math.ceil(cfg.sampleMs / Math.max(perRun, 1e-3)));
  const runs = Math.min(cfg.maxRuns, Math.max(cfg.minRuns, Math.ceil(cfg.targetMs / (inner * perRun))));
  const samples: [number[], number[]] = [[], []];
  for (let r = 0; r < runs; r++) {
    for (const [i, f] of [run, baseline].entries()) {
      const t0 = performance.now();
      for (let k = 0; k < inner; k++) { const p = f(); if (p) await p; }
      samples[i].push((performance.now() - t0) / inner);
    }
    onProgress();
  }
  const of = (s: number[]): Measurement => ({ firstRunMs: first.firstRunMs, inner, samplesMs: s, medianMs: median(s) });
  return [of(samples[0]), of(samples[1])];
}

/** Methods that run in a worker thread (so a run that takes far too long can be stopped). */
export type WorkerMethod = 'engine-f32' | 'engine-f32-2t' | 'engine-f64' | 'tfjs-wasm' | 'tfjs-cpu';

export interface WorkerInit {
  method: WorkerMethod;
  caseIndex: number;
}

export type ToWorker = { kind: 'run'; pass: Pass; timing: TimingConfig };

export type FromWorker =
  | { kind: 'ready'; info: Record<string, string | number | boolean> }
  | { kind: 'progress' }
  | { kind: 'done'; pass: Pass; measurement: Measurement; outputs: Outputs; baseline?: Measurement }
  | { kind: 'error'; message: string };
