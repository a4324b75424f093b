// Both cores on one convolution pass: the work is split across worker threads
// (each with its own WebAssembly kernels) over the batch, or, for a single image,
// over the output channels. Operands are copied into SharedArrayBuffers that the
// pool keeps and reuses (fresh ones per call would keep the garbage collector
// busy), the workers read their slices and write their results in place, and the
// results are copied out; partial sums (∂C/∂w over batch slices, ∂C/∂input over
// channel slices) are added up here.

import { Worker } from 'worker_threads';
import type { ConvOptions } from '../../src/engine/convInfo';
import { convInfo } from '../../src/engine/convInfo';
import { DType, Tensor, sizeOf } from '../../src/engine/tensor';
import type { PoolPart, PoolRequest, PoolTensor } from './convPoolWorker';

type Data = Float32Array | Float64Array;

/** A slice [start, start + count) of the outermost axis of a shared tensor, as the workers receive it. */
function slice(t: Tensor, start: number, count: number): PoolTensor {
  const inner = sizeOf(t.shape.slice(1));
  return { shape: [count, ...t.shape.slice(1)], dtype: t.dtype, buffer: t.data.buffer as SharedArrayBuffer, offset: start * inner, length: count * inner };
}

const whole = (t: Tensor): PoolTensor => slice(t, 0, t.shape[0]);

/** Splits n into `parts` contiguous ranges (some may be empty when n is small). */
function ranges(n: number, parts: number): [number, number][] {
  return Array.from({ length: parts }, (_, p) => [Math.floor((p * n) / parts), Math.floor(((p + 1) * n) / parts)] as [number, number]).filter(([a, b]) => b > a);
}

function add(into: Data, from: Data): void {
  for (let i = 0; i < into.length; i++) into[i] += from[i];
}

export class ConvPool {
  private readonly workers: Worker[];
  /** The shared buffers by role (input, weight, result, ...), grown when a call needs more. */
  private readonly buffers = new Map<string, SharedArrayBuffer>();
  private next = 1;
  private readonly waiting = new Map<number, { resolve(): void; reject(e: Error): void }>();

  constructor(workerScript: string, readonly size: number) {
    this.workers = Array.from({ length: size }, () => {
      const w = new Worker(workerScript);
      w.on('message', (m: { id: number; error?: string }) => {
        const p = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        this.idle();
        if (m.error) p?.reject(new Error(m.error)); else p?.resolve();
      });
      w.on('error', e => { for (const p of this.waiting.values()) p.reject(e); this.waiting.clear(); this.idle(); });
      w.unref();
      return w;
    });
  }

  /** A tensor in the pool's shared buffer for `role`: zeroed, or a copy of `from`. */
  private shared(role: string, shape: readonly number[], dtype: DType, from?: Data): Tensor {
    const n = sizeOf(shape);
    const bytes = n * (dtype === 'float32' ? 4 : 8);
    let buffer = this.buffers.get(role);
    if (!buffer || buffer.byteLength < bytes) this.buffers.set(role, buffer = new SharedArrayBuffer(bytes));
    const data = dtype === 'float32' ? new Float32Array(buffer, 0, n) : new Float64Array(buffer, 0, n);
    if (from) data.set(from); else data.fill(0);
    return { shape: [...shape], dtype, data };
  }

  /** The caller's copy of a result (the shared buffer is reused by the next call). `set`, not `slice`: slicing a shared array is slow. */
  private static own(t: Tensor): Tensor {
    const data = t.dtype === 'float32' ? new Float32Array(t.data.length) : new Float64Array(t.data.length);
    data.set(t.data);
    return { shape: t.shape, dtype: t.dtype, data };
  }

  /** Idle workers do not keep the process alive; busy ones do, until their answer. */
  private idle(): void {
    if (this.waiting.size === 0) for (const w of this.workers) w.unref();
  }

  private run(parts: PoolPart[]): Promise<void[]> {
    for (const w of this.workers) w.ref();
    return Promise.all(parts.map((part, i) => new Promise<void>((resolve, reject) => {
      const id = this.next++;
      this.waiting.set(id, { resolve, reject });
      this.workers[i % this.size].postMessage({ id, part } satisfies PoolRequest);
    })));
  }

  /** The batch when there are enough images; else the output channels (groups of 1 only); else one worker. */
  private split(batch: number, outChannels: number, groups: number): { axis: 'batch' | 'channels'; parts: [number, number][] } {
    if (batch >= this.size || groups !== 1) return { axis: 'batch', parts: ranges(batch, this.size) };
    return { axis: 'channels', parts: ranges(outChannels, this.size) };
  }

  async conv2d(input: Tensor, weight: Tensor, bias: Tensor | undefined, options: ConvOptions = {}): Promise<Tensor> {
    const info = convInfo(input.shape, weight.shape, options, bias?.shape);
    const x = this.shared('input', input.shape, input.dtype, input.data);
    const w = this.shared('weight', weight.shape, weight.dtype, weight.data);
    const b = bias && this.shared('bias', bias.shape, bias.dtype, bias.data);
    const z = this.shared('result', [info.batch, info.outChannels, info.outHeight, info.outWidth], input.dtype);
    const { axis, parts } = this.split(info.batch, info.outChannels, info.groups);
    await this.run(parts.map(([s, e]) => axis === 'batch'
      ? { op: 'forward', options, input: slice(x, s, e - s), weight: whole(w), bias: b && whole(b), out: slice(z, s, e - s) }
      : { op: 'forward', options, input: whole(x), weight: slice(w, s, e - s), bias: b && slice(b, s, e - s), out: { ...slice({ ...z, shape: z.shape.slice(1) }, s, e - s), shape: [1, e - s, info.outHeight, info.outWidth] } }));
    return ConvPool.own(z);
  }

  async inputGrad(inputShape: readonly number[], weight: Tensor, grad: Tensor, options: ConvOptions = {}): Promise<Tensor> {
    const info = convInfo(inputShape, weight.shape, options);
    const w = this.shared('weight', weight.shape, weight.dtype, weight.data);
    const g = this.shared('grad', grad.shape, grad.dtype, grad.data);
    const { axis, parts } = this.split(info.batch, info.outChannels, info.groups);
    if (axis === 'batch') {
      const dA = this.shared('result', inputShape, grad.dtype);
      await this.run(parts.map(([s, e]) => ({ op: 'inputGrad', options, inputShape: [e - s, ...inputShape.slice(1)], weight: whole(w), grad: slice(g, s, e - s), out: slice(dA, s, e - s) })));
      return ConvPool.own(dA);
    }
    // One image, channel slices: each part's ∂C/∂input covers the whole input; add them up.
    const partials = parts.map((_, i) => this.shared(`result ${i}`, inputShape, grad.dtype));
    const gc = { ...g, shape: g.shape.slice(1) };
    await this.run(parts.map(([s, e], i) => ({ op: 'inputGrad', options, inputShape: [...inputShape], weight: slice(w, s, e - s), grad: { ...slice(gc, s, e - s), shape: [1, e - s, ...grad.shape.slice(2)] }, out: whole(partials[i]) })));
    for (const p of partials.slice(1)) add(partials[0].data, p.data);
    return ConvPool.own(partials[0]);
  }

  async weightGrad(input: Tensor, weightShape: readonly number[], grad: Tensor, options: ConvOptions = {}): Promise<{ dWeight: Tensor; dBias: Tensor }> {
    const info = convInfo(input.shape, weightShape, options);
    const x = this.shared('input', input.shape, input.dtype, input.data);
    const g = this.shared('grad', grad.shape, grad.dtype, grad.data);
    const { axis, parts } = this.split(info.batch, info.outChannels, info.groups);
    if (axis === 'batch') {
      // Each batch slice gives a partial ∂C/∂w and ∂C/∂b: add them up.
      const dW = parts.map((_, i) => this.shared(`result ${i}`, weightShape, grad.dtype));
      const db = parts.map((_, i) => this.shared(`bias result ${i}`, [info.outChannels], grad.dtype));
      await this.run(parts.map(([s, e], i) => ({ op: 'weightGrad', options, input: slice(x, s, e - s), weightShape: [...weightShape], grad: slice(g, s, e - s), out: whole(dW[i]), outBias: whole(db[i]) })));
      for (let i = 1; i < parts.length; i++) { add(dW[0].data, dW[i].data); add(db[0].data, db[i].data); }
      return { dWeight: ConvPool.own(dW[0]), dBias: ConvPool.own(db[0]) };
    }
    const dW = this.shared('result', weightShape, grad.dtype);
    const db = this.shared('bias result', [info.outChannels], grad.dtype);
    const gc = { ...g, shape: g.shape.slice(1) };
    await this.run(parts.map(([s, e]) => ({ op: 'weightGrad', options, input: whole(x), weightShape: [e - s, ...weightShape.slice(1)], grad: { ...slice(gc, s, e - s), shape: [1, e - s, ...grad.shape.slice(2)] }, out: slice(dW, s, e - s), outBias: slice(db, s, e - s) })));
    return { dWeight: ConvPool.own(dW), dBias: ConvPool.own(db) };
  }

  dispose(): Promise<number[]> {
    return Promise.all(this.workers.map(w => w.terminate()));
  }
}
