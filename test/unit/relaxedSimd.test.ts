// The relaxed-SIMD kernel (a fused multiply-add) where the runtime has it: Node 20 needs a flag, so a child
// Node runs the probe (test/support/relaxedSimdProbe.ts) with it; without the flag the plain kernel runs.

import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { wasmKernel } from '../../src/engine/wasm/gemmWasm';

const PROBE = path.resolve(__dirname, '../support/relaxedSimdProbe.js');

function probe(flags: string[]): Record<string, unknown> {
  const run = spawnSync(process.execPath, [...flags, PROBE], { encoding: 'utf8', timeout: 60_000 });
  assert.strictEqual(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

/** Whether this CPU has FMA, so that V8 fuses relaxed madd (without it, relaxed madd may round twice). */
const cpuHasFma = () => { try { return /\bfma\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8')); } catch { return false; } };

describe('relaxed SIMD: a fused multiply-add kernel, chosen at run time', () => {
  it('Node 20 without the flag runs the plain SIMD kernel', () => {
    assert.strictEqual(wasmKernel(), 'simd');
  });

  it('where relaxed SIMD compiles, products run in it and agree with the plain kernel and the loops', function () {
    this.timeout(60_000);
    const r = probe(['--experimental-wasm-relaxed-simd']);
    assert.strictEqual(r.relaxedKernel, 'relaxed-simd');
    assert.strictEqual(r.plainKernel, 'simd');
    assert.strictEqual(r.fusedPlain, false, 'the plain kernel rounds the product before the add');
    if (cpuHasFma()) assert.strictEqual(r.fusedRelaxed, true, 'the relaxed kernel fuses the multiply-add');
    const f32 = r.float32 as { relaxedVsPlain: number; relaxedVsLoops: number };
    const f64 = r.float64 as { relaxedVsPlain: number; relaxedVsLoops: number };
    assert.ok(f32.relaxedVsPlain < 1e-5 && f32.relaxedVsLoops < 1e-5, JSON.stringify(f32));
    assert.ok(f64.relaxedVsPlain < 1e-13 && f64.relaxedVsLoops < 1e-13, JSON.stringify(f64));
  });
});
