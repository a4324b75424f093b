// npm run bench, part 3: memory. A forward + backward trace of (8, 64, 56, 56) ⋆ (64, 64, 3, 3) p1 in float32,
// in a fresh process: its peak resident memory beyond what the process held before the trace, against the bytes
// of the tensors the trace keeps (target: at most 1.5×, no quadratic copies).

import { execFileSync } from 'child_process';
import * as path from 'path';

const TARGET = 1.5;
const MB = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;

export function memoryBench(root: string): { ok: boolean; result: Record<string, number> } {
  const out = execFileSync(process.execPath, [path.join(root, 'out/test/bench/memoryProbe.js'), '8,64,56,56,64,3,1'], { encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { rssBefore: number; peakRss: number; keptBytes: number; seconds: number; tensors: number };
  const grown = r.peakRss - r.rssBefore;
  const ratio = grown / r.keptBytes;
  console.log('\nMemory: one forward + backward trace of (8,64,56,56) ⋆ (64,64,3,3) p1, float32, in a fresh process');
  console.log(`  the trace keeps ${r.tensors} tensors, ${MB(r.keptBytes)}; peak RSS ${MB(r.peakRss)}, of which ${MB(grown)} grown during the trace (${r.seconds.toFixed(1)} s)`);
  const ok = ratio <= TARGET;
  console.log(`${ok ? 'target met' : 'TARGET MISSED'}: peak growth ${ratio.toFixed(2)}× the kept tensors (≤ ${TARGET}×)`);
  return { ok, result: { ...r, grown, ratio } };
}
