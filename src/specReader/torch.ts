// PyTorch checkpoints (torch.save(state_dict), the zip format since torch 1.6): a zip
// whose <archive>/data.pkl is a pickle of the dict, each tensor's bytes in an entry
// <archive>/data/<storage key>. The pickle is read by a restricted unpickler: only the
// opcodes a state_dict's pickle uses, and only the globals that rebuild tensors and
// dicts, are understood; anything else is refused, by name. Nothing is executed or
// imported: a global is a name, a REDUCE builds one of the few known values.

import { DType, Tensor, TensorData, allocate, sizeOf } from '../engine/tensor';
import { TensorFileError } from './fileError';
import { halfToFloat } from './npy';
import { entryBytes, zipEntries } from './npz';
import type { SpecProblem } from './problemCodes';
import type { ListedTensor } from './tensorSource';
import { bfloat16ToFloat } from './safetensors';

function fail(problem: SpecProblem, at?: string): never {
  throw new TensorFileError(problem, at);
}
function broken(why: string): never {
  return fail({ code: 'torch.pickle', args: { why } });
}

/** The storage classes a checkpoint names, with their tensors' dtype, element size and reader (little-endian). */
const STORAGES: Record<string, { dtype: string; size: number; read: (dv: DataView, at: number) => number }> = {
  DoubleStorage: { dtype: 'torch.float64', size: 8, read: (dv, at) => dv.getFloat64(at, true) },
  FloatStorage: { dtype: 'torch.float32', size: 4, read: (dv, at) => dv.getFloat32(at, true) },
  HalfStorage: { dtype: 'torch.float16', size: 2, read: (dv, at) => halfToFloat(dv.getUint16(at, true)) },
  BFloat16Storage: { dtype: 'torch.bfloat16', size: 2, read: (dv, at) => bfloat16ToFloat(dv.getUint16(at, true)) },
  LongStorage: { dtype: 'torch.int64', size: 8, read: (dv, at) => Number(dv.getBigInt64(at, true)) },
  IntStorage: { dtype: 'torch.int32', size: 4, read: (dv, at) => dv.getInt32(at, true) },
  ShortStorage: { dtype: 'torch.int16', size: 2, read: (dv, at) => dv.getInt16(at, true) },
  CharStorage: { dtype: 'torch.int8', size: 1, read: (dv, at) => dv.getInt8(at) },
  ByteStorage: { dtype: 'torch.uint8', size: 1, read: (dv, at) => dv.getUint8(at) },
  BoolStorage: { dtype: 'torch.bool', size: 1, read: (dv, at) => (dv.getUint8(at) ? 1 : 0) },
};

const REBUILD_TENSOR = 'torch._utils._rebuild_tensor_v2';
const ORDERED_DICT = 'collections.OrderedDict';

/** A global the pickle named (never imported). */
class Global { constructor(readonly name: string) {} }
/** A storage the pickle refers to by persistent id: its class and its entry in data/. */
interface Storage { storage: string; key: string }
/** A tensor: a strided view of a storage. */
export interface TensorRef { storage: Storage; offset: number; size: number[]; stride: number[] }
const isTensorRef = (v: unknown): v is TensorRef => typeof v === 'object' && v !== null && 'stride' in v;

const isIndexList = (v: unknown): v is number[] => Array.isArray(v) && v.every(d => Number.isSafeInteger(d) && d >= 0);

/** What REDUCE makes of a known global and its arguments. */
function reduce(callable: unknown, args: unknown): unknown {
  if (!(callable instanceof Global) || !Array.isArray(args)) return broken('REDUCE of something other than a known global');
  if (callable.name === ORDERED_DICT) return new Map();
  if (callable.name === REBUILD_TENSOR) {
    const [storage, offset, size, stride] = args as unknown[];
    const ok = typeof storage === 'object' && storage !== null && 'key' in storage && Number.isSafeInteger(offset) && (offset as number) >= 0
      && isIndexList(size) && isIndexList(stride) && size.length === stride.length;
    if (!ok) broken(`${REBUILD_TENSOR} with arguments other than (storage, offset, size, stride, …)`);
    return { storage: storage as Storage, offset: offset as number, size, stride } satisfies TensorRef;
  }
  return broken(`REDUCE of ${callable.name}`);
}

/** The persistent id ('storage', StorageClass, key, location, numel) of a tensor's storage. */
function persistentStorage(pid: unknown): Storage {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || !(pid[1] instanceof Global) || typeof pid[2] !== 'string') return broken('a persistent id that is not a storage');
  const kind = pid[1].name.replace(/^torch\./, '');
  return { storage: kind, key: pid[2] };
}

/** The globals a state_dict's pickle may name; any other is refused. */
function knownGlobal(module: string, name: string): Global {
  const full = `${module}.${name}`;
  if (full === REBUILD_TENSOR || full === ORDERED_DICT || (module === 'torch' && name in STORAGES)) return new Global(full);
  return fail({ code: 'torch.global', args: { global: `${module} ${name}` } });
}

/** Opcodes a state_dict does not use, named in the refusal as pickletools names them (any other by its byte). */
const OTHER_OPCODES: Record<number, string> = {
  0x93: 'STACK_GLOBAL', 0x69: 'INST', 0x6f: 'OBJ', 0x81: 'NEWOBJ', 0x92: 'NEWOBJ_EX', 0x50: 'PERSID', 0x53: 'STRING', 0x55: 'SHORT_BINSTRING',
  0x54: 'BINSTRING', 0x56: 'UNICODE', 0x49: 'INT', 0x4c: 'LONG', 0x47: 'BINFLOAT', 0x46: 'FLOAT', 0x95: 'FRAME', 0x8b: 'LONG4', 0x64: 'DICT',
  0x6c: 'LIST', 0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES', 0x8e: 'BINBYTES8', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x67: 'GET', 0x70: 'PUT',
  0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

const MARK = Symbol('mark');

/** Unpickles a state_dict's data.pkl into its dict (string keys; tensors as TensorRef). */
export function unpickleStateDict(pkl: Uint8Array): Map<unknown, unknown> {
  const dv = new DataView(pkl.buffer, pkl.byteOffset, pkl.byteLength);
  const text = new TextDecoder('utf-8', { fatal: true });
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let at = 0;
  const take = (n: number) => {
    if (at + n > pkl.length) broken('it ends in the middle of an opcode');
    const start = at;
    at += n;
    return start;
  };
  const pop = () => (stack.length && stack[stack.length - 1] !== MARK ? stack.pop() : broken('an opcode finds too few values on the stack'));
  const popMark = () => {
    const mark = stack.lastIndexOf(MARK);
    if (mark < 0) broken('no MARK for a TUPLE, SETITEMS or APPENDS');
    const items = stack.splice(mark);
    return items.slice(1);
  };
  const top = () => (stack.length && stack[stack.length - 1] !== MARK ? stack[stack.length - 1] : broken('an opcode finds an empty stack'));
  const line = () => {
    const end = pkl.indexOf(0x0a, at);
    if (end < 0) broken('GLOBAL without its newline');
    const s = String.fromCharCode(...pkl.subarray(at, Math.min(end, at + 200)));
    at = end + 1;
    return s;
  };
  const str = (n: number) => {
    const start = take(n);
    try { return text.decode(pkl.subarray(start, start + n)); } catch { return broken('a string that is not UTF-8'); }
  };
  const get = (i: number) => (memo.has(i) ? memo.get(i) : broken(`BINGET of memo ${i}, never put`));
  const setItems = (dict: unknown, items: unknown[]) => {
    if (!(dict instanceof Map) || items.length % 2) broken('SETITEM(S) on something other than a dict');
    for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]);
  };
  for (;;) {
    if (at >= pkl.length) broken('it ends before STOP');
    const offset = at;
    const op = pkl[take(1)];
    switch (op) {
      case 0x80: take(1); break;
      case 0x7d: stack.push(new Map()); break;
      case 0x5d: case 0x29: stack.push([]); break;
      case 0x28: stack.push(MARK); break;
      case 0x74: stack.push(popMark()); break;
      case 0x85: case 0x86: case 0x87: { const n = op - 0x84; const items = []; for (let i = 0; i < n; i++) items.unshift(pop()); stack.push(items); break; }
      case 0x58: stack.push(str(dv.getUint32(take(4), true))); break;
      case 0x8c: stack.push(str(pkl[take(1)])); break;
      case 0x71: memo.set(pkl[take(1)], top()); break;
      case 0x72: memo.set(dv.getUint32(take(4), true), top()); break;
      case 0x94: memo.set(memo.size, top()); break;
      case 0x68: stack.push(get(pkl[take(1)])); break;
      case 0x6a: stack.push(get(dv.getUint32(take(4), true))); break;
      case 0x4a: stack.push(dv.getInt32(take(4), true)); break;
      case 0x4b: stack.push(pkl[take(1)]); break;
      case 0x4d: stack.push(dv.getUint16(take(2), true)); break;
      case 0x8a: stack.push(long1(pkl.subarray(take(pkl[take(1)]), at))); break;
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x4e: stack.push(null); break;
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; }
      case 0x75: { const items = popMark(); setItems(top(), items); break; }
      case 0x61: { const v = pop(); const list = top(); if (!Array.isArray(list)) broken('APPEND to something other than a list'); list.push(v); break; }
      case 0x65: {
        const items = popMark();
        const list = top();
        if (!Array.isArray(list)) broken('APPENDS to something other than a list');
        // One by one: spreading a million items into push would overflow the call stack.
        for (const item of items) list.push(item);
        break;
      }
      case 0x52: { const args = pop(); stack.push(reduce(pop(), args)); break; }
      case 0x51: stack.push(persistentStorage(pop())); break;
      case 0x63: { const module = line(); stack.push(knownGlobal(module, line())); break; }
      // An OrderedDict's state (a state_dict's _metadata) is set by BUILD; the tensors do not need it.
      case 0x62: { pop(); if (!(top() instanceof Map)) broken('BUILD of something other than an OrderedDict'); break; }
      case 0x2e: {
        const result = pop();
        return result instanceof Map ? result : broken('the pickle is not a dict of tensors');
      }
      default: return fail({ code: 'torch.opcode', args: { opcode: OTHER_OPCODES[op] ?? `0x${op.toString(16).padStart(2, '0')}`, at: offset } });
    }
  }
}

/** LONG1's little-endian two's-complement integer (a number; past 2^53 it is refused). */
function long1(bytes: Uint8Array): number {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  if (bytes.length && bytes[bytes.length - 1] & 0x80) n -= 1n << BigInt(8 * bytes.length);
  return Number.isSafeInteger(Number(n)) ? Number(n) : broken(`an integer of ${bytes.length} bytes`);
}

/** A checkpoint's zip entries, its archive folder ("name/") and its unpickled dict. */
function openCheckpoint(bytes: Uint8Array) {
  let entries;
  try {
    entries = zipEntries(bytes);
  } catch (e) {
    if (e instanceof TensorFileError && e.problem.code === 'npz.zip') fail({ code: 'torch.archive', args: { why: e.problem.args.why } });
    throw e;
  }
  const pkl = entries.find(e => /^[^/]+\/data\.pkl$/.test(e.name));
  if (!pkl) return fail({ code: 'torch.archive', args: { why: 'no <archive>/data.pkl: not a torch.save zip checkpoint (the legacy format is not read)' } });
  const archive = pkl.name.slice(0, -'data.pkl'.length);
  return { entries, archive, dict: unpickleStateDict(entryBytes(bytes, pkl, 'data.pkl', bytes.length)) };
}

/** Reads a strided view's elements into `data`, in C order. */
function gather(ref: TensorRef, count: number, read: (i: number) => number, data: TensorData): void {
  const index = new Array<number>(ref.size.length).fill(0);
  for (let i = 0; i < count; i++) {
    let at = ref.offset;
    for (let d = 0; d < index.length; d++) at += index[d] * ref.stride[d];
    data[i] = read(at);
    for (let d = index.length - 1; d >= 0; d--) {
      if (++index[d] < ref.size[d]) break;
      index[d] = 0;
    }
  }
}

/** The tensors of a state_dict, by key (anything else it holds is left out). */
function tensorRefs(dict: Map<unknown, unknown>): [string, TensorRef][] {
  return [...dict].filter((e): e is [unknown, TensorRef] => isTensorRef(e[1])).map(([k, ref]) => [String(k), ref]);
}

/** The tensors of a torch.save(state_dict) checkpoint, from its pickle alone (no storage is read). */
export function listTorch(bytes: Uint8Array): ListedTensor[] {
  return tensorRefs(openCheckpoint(bytes).dict).map(([key, ref]) => ({ key, shape: [...ref.size], dtype: STORAGES[ref.storage.storage]?.dtype ?? ref.storage.storage }));
}

/** One tensor of a torch.save(state_dict) checkpoint by its key, as `dtype`; a missing key is refused with the keys there are. */
export function decodeTorch(bytes: Uint8Array, key: string, dtype: DType, maxElements: number, maxBytes: number): { tensor: Tensor; dtype: string } {
  const { entries, archive, dict } = openCheckpoint(bytes);
  const ref = dict.get(key);
  if (!isTensorRef(ref)) return fail({ code: 'source.keyMissing', args: { key, keys: tensorRefs(dict).map(([k]) => k) } }, 'key');
  const kind = STORAGES[ref.storage.storage];
  if (!kind) return fail({ code: 'torch.global', args: { global: `torch ${ref.storage.storage}` } });
  const count = sizeOf(ref.size);
  if (count > maxElements) fail({ code: 'file.tooMany', args: { count, limit: maxElements } }, 'key');
  const entry = entries.find(e => e.name === `${archive}data/${ref.storage.key}`);
  if (!entry) return fail({ code: 'torch.archive', args: { why: `no entry ${archive}data/${ref.storage.key} for "${key}"` } });
  const storage = entryBytes(bytes, entry, key, maxBytes);
  const length = Math.floor(storage.length / kind.size);
  const last = count === 0 ? -1 : ref.size.reduce((end, n, d) => end + (n - 1) * ref.stride[d], ref.offset);
  if (last >= length) fail({ code: 'torch.view', args: { key, offset: ref.offset, size: ref.size, stride: ref.stride, length } }, 'key');
  const dv = new DataView(storage.buffer, storage.byteOffset, storage.byteLength);
  const data = allocate(dtype, count);
  gather(ref, count, i => kind.read(dv, i * kind.size), data);
  return { tensor: { shape: [...ref.size], dtype, data }, dtype: kind.dtype };
}
