// Run by test/unit/gemmThreads.test.ts in a child Node. With no argument (and --experimental-wasm-relaxed-simd):
// with helper threads, both builds (relaxed SIMD, then plain) give the one-thread numbers bit for bit. With `end`:
// the OS threads of this process before a worker installs helpers, while they run, and after the worker is
// terminated (Linux's /proc/self/task). Prints JSON.

import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { conv2d, conv2dGradients } from '../../src/engine/conv2d';
import { Tensor, sizeOf } from '../../src/engine/tensor';
import { gemmHelperJobs, gemmThreadsReady, setRelaxedSimd, wasmKernel } from '../../src/engine/wasm/gemmWasm';
import { setMinThreadWork } from '../../src/engine/wasm/gemmThreads';
import { installNodeGemmThreads } from '../../src/specReader/nodeGemmThreads';

function random(shape: number[], seed: number): Tensor {
  const data = new Float32Array(sizeOf(shape));
  let s = seed;
  for (let i = 0; i < data.length; i++) { s = (s * 16807) % 2147483647; data[i] = s / 2147483647 - 0.5; }
  return { shape, dtype: 'float32', data };
}

/** The three passes of a strided, grouped convolution and of one whose col2im is cut at channels, flattened. */
function passes(): number[] {
  return ([
    [[2, 16, 33, 31], [32, 8, 3, 3], { stride: 2, padding: 1, groups: 2 }],
    [[1, 64, 20, 20], [64, 64, 3, 3], { padding: 1 }],
  ] as const).flatMap(([xShape, wShape, options]) => {
    const x = random([...xShape], 1);
    const w = random([...wShape], 2);
    const z = conv2d(x, w, undefined, options);
    const g = conv2dGradients(x, w, random([...z.shape], 3), options);
    return [...z.data, ...g.dInput.data, ...g.dWeight.data];
  });
}

function compareBuilds(): void {
  const result: Record<string, unknown> = { installed: installNodeGemmThreads(3) };
  setMinThreadWork(1);
  passes();
  result.helpers = gemmThreadsReady(10_000);
  for (const relaxed of [true, false]) {
    setRelaxedSimd(relaxed);
    setMinThreadWork(Number.MAX_SAFE_INTEGER);
    const one = passes();
    setMinThreadWork(1);
    const taken = gemmHelperJobs();
    const many = passes();
    if (gemmHelperJobs() === taken) result[`${wasmKernel()} helpers`] = 'took no job';
    const differ = one.findIndex((v, i) => !Object.is(v, many[i]));
    result[wasmKernel()] = differ < 0 ? 'same' : `differs at ${differ}: ${one[differ]} vs ${many[differ]}`;
  }
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}

const tasks = () => fs.readdirSync('/proc/self/task').length;

async function endWithWorker(): Promise<void> {
  const before = tasks();
  const code = `
    const { parentPort } = require('worker_threads');
    require(${JSON.stringify(path.join(__dirname, '../../src/specReader/nodeGemmThreads.js'))}).installNodeGemmThreads(3);
    require(${JSON.stringify(path.join(__dirname, '../../src/engine/wasm/gemmThreads.js'))}).setMinThreadWork(1);
    const engine = require(${JSON.stringify(path.join(__dirname, '../../src/engine/wasm/gemmWasm.js'))});
    const { view } = require(${JSON.stringify(path.join(__dirname, '../../src/engine/gemm.js'))});
    const m = () => view(new Float32Array(64 * 64).fill(1), 0, 64);
    engine.gemmWasm(64, 64, 64, m(), m(), m());
    parentPort.postMessage(engine.gemmThreadsReady(10000));`;
  const worker = new Worker(code, { eval: true });
  const helpers = await new Promise<number>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  const running = tasks();
  await worker.terminate();
  let after = tasks();
  for (let i = 0; i < 50 && after > before; i++) {
    await new Promise(r => setTimeout(r, 100));
    after = tasks();
  }
  process.stdout.write(JSON.stringify({ helpers, before, running, after }));
}

if (process.argv[2] === 'end') void endWithWorker();
else compareBuilds();
