import * as assert from 'assert';
import * as fc from 'fast-check';
import * as path from 'path';
import { conv2d } from '../../src/engine/conv2d';
import { ConvOptions, PaddingOption } from '../../src/engine/convInfo';
import type { NetworkProblem } from '../../src/engine/network';
import { runNetwork } from '../../src/engine/networkRun';
import { DType, Tensor, formatShape, sizeOf, tensor } from '../../src/engine/tensor';
import type { SpecFileSystem, SpecFileType } from '../../src/specReader/specFiles';
import type { SpecFileReference } from '../../src/specReader/tensorSource';

/** Asserts two tensors have one shape and agree within tol·max(1, |expected|) per element. */
export function assertClose(actual: Tensor, expected: Tensor, tol = 1e-9, what = 'tensor'): void {
  assert.deepStrictEqual([...actual.shape], [...expected.shape], `${what}: shape ${formatShape(actual.shape)} vs ${formatShape(expected.shape)}`);
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i];
    const e = expected.data[i];
    if ((Number.isNaN(e) && Number.isNaN(a)) || a === e) continue;
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) {
      assert.fail(`${what}[${i}]: ${a} vs expected ${e} (tolerance ${tol})`);
    }
  }
}

/** ∂C/∂target by central differences with step h, C being the network's loss (target is one of p's tensors, restored after). */
/** The network's loss, from its forward pass alone (the lean run: no stage tensor, no backward pass). */
const lossOf = (p: NetworkProblem) => runNetwork(p, { backward: false }).loss!.value!;

export function lossFiniteDifferences(p: NetworkProblem, target: Tensor, h: number): Tensor {
  const fd = new Float64Array(target.data.length);
  for (let i = 0; i < target.data.length; i++) {
    const keep = target.data[i];
    target.data[i] = keep + h;
    const up = lossOf(p);
    target.data[i] = keep - h;
    const down = lossOf(p);
    target.data[i] = keep;
    fd[i] = (up - down) / (2 * h);
  }
  return { shape: target.shape, dtype: 'float64', data: fd };
}

/** A deterministic generator (mulberry32), so failures replay. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomTensor(shape: number[], random: () => number, dtype: DType = 'float64', integers = false): Tensor {
  const n = sizeOf(shape);
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) values[i] = integers ? Math.floor(random() * 11) - 5 : random() * 2 - 1;
  return tensor(shape, values, dtype);
}

export interface Geometry {
  batch: number;
  inChannels: number;
  outChannels: number;
  groups: number;
  height: number;
  width: number;
  kernelHeight: number;
  kernelWidth: number;
  options: ConvOptions;
  seed: number;
}

export function describeGeometry(g: Geometry): string {
  const w = [g.outChannels, g.inChannels / g.groups, g.kernelHeight, g.kernelWidth];
  const o = g.options;
  return `conv2d x=[${g.batch},${g.inChannels},${g.height},${g.width}] w=[${w.join(',')}] ` +
    `s=${JSON.stringify(o.stride)} p=${JSON.stringify(o.padding)} d=${JSON.stringify(o.dilation)} g=${g.groups} seed=${g.seed}`;
}

const paddingArb: fc.Arbitrary<PaddingOption> = fc.oneof(
  fc.integer({ min: 0, max: 2 }),
  fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
  fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
  fc.constant('valid' as const),
);

/** Random valid conv geometries: stride, every padding form, dilation, groups (incl. depthwise), batch > 1. */
export const geometryArb: fc.Arbitrary<Geometry> = fc.record({
  batch: fc.integer({ min: 1, max: 3 }),
  groups: fc.integer({ min: 1, max: 3 }),
  inPerGroup: fc.integer({ min: 1, max: 3 }),
  outPerGroup: fc.integer({ min: 1, max: 3 }),
  kernelHeight: fc.integer({ min: 1, max: 4 }),
  kernelWidth: fc.integer({ min: 1, max: 4 }),
  stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  dilation: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  padding: paddingArb,
  extraH: fc.integer({ min: 0, max: 5 }),
  extraW: fc.integer({ min: 0, max: 5 }),
  same: fc.boolean(),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
}).map(r => {
  const [dh, dw] = r.dilation;
  // 'same' only with stride 1, as PyTorch.
  const padding = r.same ? 'same' as const : r.padding;
  const stride = r.same ? [1, 1] as const : r.stride;
  return {
    batch: r.batch,
    inChannels: r.groups * r.inPerGroup,
    outChannels: r.groups * r.outPerGroup,
    groups: r.groups,
    // Big enough for the dilated kernel even without padding.
    height: dh * (r.kernelHeight - 1) + 1 + r.extraH,
    width: dw * (r.kernelWidth - 1) + 1 + r.extraW,
    kernelHeight: r.kernelHeight,
    kernelWidth: r.kernelWidth,
    options: { stride: [stride[0], stride[1]], padding, dilation: [dh, dw], groups: r.groups },
    seed: r.seed,
  };
});

/** A file in `memoryFiles`: a regular file's bytes (or just its size), another type, or a link. */
export interface MemoryEntry {
  type?: SpecFileType;
  bytes?: Uint8Array;
  size?: number;
  link?: string;
}

/** A SpecFileSystem over POSIX-style names in memory, with links, special files, and a record of every read. */
export function memoryFiles(entries: Record<string, MemoryEntry>): SpecFileSystem & { reads: { file: string; length: number }[] } {
  const real = (file: string): string => {
    let at = '';
    for (const segment of path.posix.resolve(file).split('/').filter(Boolean)) {
      at = `${at}/${segment}`;
      for (let hops = 0; entries[at]?.link !== undefined; hops++) {
        if (hops > 8) throw new Error('too many levels of links');
        at = path.posix.resolve(path.posix.dirname(at), entries[at].link!);
      }
    }
    return at || '/';
  };
  const reads: { file: string; length: number }[] = [];
  return {
    reads,
    beside: (spec, written) => path.posix.resolve(path.posix.dirname(spec), written),
    stat: async file => {
      const e = entries[real(file)];
      return e && { type: e.type ?? 'file', size: e.size ?? e.bytes?.length ?? 0 };
    },
    realPath: async file => real(file),
    read: async (file, length) => {
      reads.push({ file, length });
      const e = entries[real(file)];
      if (!e?.bytes || (e.type ?? 'file') !== 'file') throw new Error(`read of ${file}, which is not a regular file in memory`);
      return e.bytes.subarray(0, length);
    },
  };
}

/** A network spec's text: input ones of `shape`, the given layers. */
export function networkSpec(shape: number[], layers: unknown[], extra: Record<string, unknown> = {}): string {
  const ones = (s: number[]): unknown => (s.length === 0 ? 1 : Array.from({ length: s[0] }, () => ones(s.slice(1))));
  return JSON.stringify({ input: ones(shape), layers, ...extra });
}

/** A .npy file as numpy lays it out: magic, version, the header length (2 bytes in version 1, else 4; or `lengthField`), the header dict padded to a 64-byte boundary, the data. */
export function npyFile(headerDict: string, data: Uint8Array = new Uint8Array(0), version = 1, lengthField?: number): Uint8Array {
  const prefix = version === 1 ? 10 : 12;
  const total = Math.ceil((prefix + headerDict.length + 1) / 64) * 64;
  const header = headerDict.padEnd(total - prefix - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, lengthField ?? header.length, true); else dv.setUint32(8, lengthField ?? header.length, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  out.set(data, total);
  return out;
}

/** References to .npy files, as a spec naming them gives readSpecFiles. */
export function npyReferences(...files: string[]): SpecFileReference[] {
  return files.map(file => ({ file, format: 'npy' }));
}

/**
 * Convolutions the kernel tests run: groups with a stride, a plain 3×3, depthwise with dilation, and fewer windows
 * than kernels (the kernels as the product's rows).
 */
export const KERNEL_CONVS: readonly (readonly [number[], number[], ConvOptions])[] = [
  [[2, 6, 11, 9], [8, 3, 3, 3], { stride: 2, padding: 1, groups: 2 }],
  [[1, 16, 20, 20], [32, 16, 3, 3], { padding: 1 }],
  [[3, 4, 13, 13], [4, 1, 5, 5], { padding: 2, groups: 4, dilation: 2 }],
  [[1, 8, 3, 3], [40, 8, 3, 3], { padding: 1 }],
  // One kernel (the rot180 view of a one-channel input) and one input channel: products of one row or column.
  [[2, 3, 10, 10], [1, 3, 5, 5], {}],
  [[2, 1, 9, 9], [3, 1, 3, 3], { stride: 2 }],
];

/** Random input, weight and bias of a convolution, and a ∂C/∂z of its output's shape. */
export function convInputs(x: readonly number[], w: readonly number[], options: ConvOptions, random: () => number, dtype: DType) {
  const input = randomTensor([...x], random, dtype);
  const weight = randomTensor([...w], random, dtype);
  const bias = randomTensor([w[0]], random, dtype);
  const grad = randomTensor([...conv2d(input, weight, bias, options).shape], random, dtype);
  return { input, weight, bias, grad };
}
