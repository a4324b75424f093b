// The job a trace worker runs before the first run (reusingWorkers.warm): a small network run lean and its first
// layer traced, the product's own path, so the engine's code is compiled and its kernel module made by the time the
// user asks for a run. No vscode import.

import type { TraceOptions } from '../../engine/trace';
import type { KeepJob } from './keptRun';
import type { TraceJob } from './traceJob';

/** `n` values in [-0.5, 0.5), the same each time. */
const values = (n: number, seed: number) => Array.from({ length: n }, (_, i) => ((i * 7 + seed) % 11) / 11 - 0.5);
const rows = (flat: number[], width: number) => Array.from({ length: flat.length / width }, (_, r) => flat.slice(r * width, (r + 1) * width));

/** A conv, ReLU, max pooling, a linear layer and a loss on a (1, 1, 6, 6) input: each kind's forward and backward once. */
const SPEC = {
  input: [[rows(values(36, 1), 6)]],
  layers: [
    { type: 'conv2d', weight: [[rows(values(9, 2), 3)], [rows(values(9, 3), 3)]], bias: [0.1, -0.1] },
    { type: 'relu' },
    { type: 'maxpool2d', kernel: 2 },
    { type: 'flatten' },
    { type: 'linear', weight: rows(values(24, 4), 8), bias: [0, 0.1, -0.1] },
  ],
  loss: { type: 'cross_entropy', target: [1] },
};

/** The warm-up as the user's runs will go: their dtype and limits, the first layer traced as the panel opens it. */
export function warmUpJob(options: TraceOptions): TraceJob & KeepJob {
  return { file: 'warm-up.conv.json', text: JSON.stringify(SPEC), options, keep: true, openLayer: 0 };
}
