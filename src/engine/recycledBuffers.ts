// Arrays a training run lets go of during its backward pass (a δ once the layers that read it are done), handed
// out again, zeroed, for the next tensor of the same type and length. Without it each layer's δ stays in memory
// as garbage until the collector runs, and the peak of a run grows by the δs of several layers. Active only
// inside `recycling()` (the engine is synchronous: nothing else allocates meanwhile); `allocate` asks it first.

import type { TensorData } from './tensor';

export class RecycledBuffers {
  private readonly free = new Map<string, TensorData[]>();

  /** `data` is read by nobody any more: it may become the next array of its type and length. */
  release(data: TensorData): void {
    const key = keyOf(data instanceof Float32Array, data.length);
    const list = this.free.get(key) ?? [];
    if (!list.includes(data)) list.push(data);
    this.free.set(key, list);
  }

  /** `data` may not be handed out (a run's own input or weights): taken out if it was released. */
  withhold(data: TensorData): void {
    const list = this.free.get(keyOf(data instanceof Float32Array, data.length));
    const at = list?.indexOf(data) ?? -1;
    if (at >= 0) list!.splice(at, 1);
  }

  /** The arrays released and not taken again. */
  arrays(): TensorData[] {
    return [...this.free.values()].flat();
  }

  /** A released array of that type and length, zeroed (unless the caller writes every value); undefined when there is none. */
  take(float32: boolean, length: number, zeroed = true): TensorData | undefined {
    const data = this.free.get(keyOf(float32, length))?.pop();
    return zeroed ? data?.fill(0) : data;
  }
}

const keyOf = (float32: boolean, length: number) => `${float32 ? 'f32' : 'f64'}:${length}`;

let active: RecycledBuffers | undefined;

/** The buffers `allocate` takes from now, if a run is recycling. */
export function recycledBuffers(): RecycledBuffers | undefined {
  return active;
}

/** Runs `f` with `pool` handing out the arrays it is given back; the previous pool (if any) afterwards. */
export function recycling<T>(pool: RecycledBuffers, f: () => T): T {
  const before = active;
  active = pool;
  try {
    return f();
  } finally {
    active = before;
  }
}

/**
 * Runs `f` making its tensors in `arrays` where one has the type and length (an earlier run's, which nobody reads any
 * more: a re-run of the same spec takes them all); the rest it allocates anew. Memory new to a process costs a page
 * fault per 4 KB, most of a big trace on some VMs. `reusedBytes`: how much of `arrays` it took.
 */
export function reusing<T>(arrays: readonly TensorData[] | undefined, f: () => T): { value: T; reusedBytes: number } {
  if (!arrays?.length) return { value: f(), reusedBytes: 0 };
  const pool = new RecycledBuffers();
  for (const data of arrays) pool.release(data);
  const value = recycling(pool, f);
  return { value, reusedBytes: takenBytes(arrays, pool) };
}

/** How much of `given` (arrays released into `pool`) was taken from it, whatever else was released into it since. */
export function takenBytes(given: readonly TensorData[], pool: RecycledBuffers): number {
  const left = new Set(pool.arrays());
  return given.reduce((sum, data) => sum + (left.has(data) ? 0 : data.byteLength), 0);
}

/** The arrays of `tensors` that own their whole memory, each memory once (views, repeats and empty ones left out). */
export function wholeArrays(tensors: Iterable<{ data: TensorData }>): TensorData[] {
  const seen = new Set<ArrayBufferLike>();
  const whole: TensorData[] = [];
  for (const { data } of tensors) {
    if (data.length === 0 || seen.has(data.buffer) || !ownsItsMemory(data)) continue;
    seen.add(data.buffer);
    whole.push(data);
  }
  return whole;
}

/** Whether `data` is the whole of its memory (no view into a larger one): it may be handed out again. */
const ownsItsMemory = (data: TensorData) => data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;

const arrayOf = (v: unknown): TensorData | undefined => {
  const data = (v as { data?: unknown } | undefined)?.data;
  return data instanceof Float32Array || data instanceof Float64Array ? data : undefined;
};

/**
 * Releases the arrays of the tensors among `spent` (a layer's forward cache once no pass will read it: an argmax,
 * x_hat) that are whole arrays sharing no memory with a tensor of `kept` (its output, inputs, spec's tensors and what
 * its backward pass returned, any of which a cache may hold too). Without them the next run allocates them anew.
 */
export function releaseSpent(pool: RecycledBuffers, spent: readonly unknown[], kept: readonly unknown[]): void {
  const keptMemory = new Set(kept.map(v => arrayOf(v)?.buffer));
  for (const v of spent) {
    const data = arrayOf(v);
    if (data && ownsItsMemory(data) && !keptMemory.has(data.buffer)) pool.release(data);
  }
}
