// The .npy reader: headers built byte by byte here, and (where python3 with numpy
// is at hand) files numpy itself wrote, in every dtype, byte order and memory order.

import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TensorFileError } from '../../src/specReader/fileError';
import { decodeNpy, encodeNpy, readNpyHeader } from '../../src/specReader/npy';
import { tensor } from '../../src/engine/tensor';
import { npyFile } from './helpers';

function bytesOf(write: (dv: DataView) => void, n: number): Uint8Array {
  const b = new Uint8Array(n);
  write(new DataView(b.buffer));
  return b;
}

describe('.npy reader', () => {
  it('reads little-endian float64 in C order', () => {
    const data = bytesOf(dv => [1.5, -2, 3, 4.25, 5, 6].forEach((v, i) => dv.setFloat64(i * 8, v, true)), 48);
    const t = decodeNpy(npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", data));
    assert.deepStrictEqual(t.shape, [2, 3]);
    assert.deepStrictEqual([...t.data], [1.5, -2, 3, 4.25, 5, 6]);
    assert.strictEqual(t.dtype, 'float64');
  });

  it('reads big-endian float32 in Fortran order (and keeps float32)', () => {
    // Fortran order of [[1, 2, 3], [4, 5, 6]]: 1, 4, 2, 5, 3, 6.
    const data = bytesOf(dv => [1, 4, 2, 5, 3, 6].forEach((v, i) => dv.setFloat32(i * 4, v, false)), 24);
    const t = decodeNpy(npyFile("{'descr': '>f4', 'fortran_order': True, 'shape': (2, 3), }", data));
    assert.deepStrictEqual([...t.data], [1, 2, 3, 4, 5, 6]);
    assert.strictEqual(t.dtype, 'float32');
  });

  it('reads int64, uint8, bool, float16 and version 2 headers', () => {
    const i8 = bytesOf(dv => [-3n, 7n].forEach((v, i) => dv.setBigInt64(i * 8, v, true)), 16);
    assert.deepStrictEqual([...decodeNpy(npyFile("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", i8)).data], [-3, 7]);
    assert.deepStrictEqual([...decodeNpy(npyFile("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", new Uint8Array([0, 128, 255]))).data], [0, 128, 255]);
    assert.deepStrictEqual([...decodeNpy(npyFile("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", new Uint8Array([1, 0]))).data], [1, 0]);
    const f2 = bytesOf(dv => { dv.setUint16(0, 0x3c00, true); dv.setUint16(2, 0xc000, true); dv.setUint16(4, 0x7e00, true); }, 6);
    const half = decodeNpy(npyFile("{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", f2)).data;
    assert.deepStrictEqual([half[0], half[1]], [1, -2]);
    assert.ok(Number.isNaN(half[2]));
    const v2 = decodeNpy(npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", bytesOf(dv => dv.setFloat64(0, 9, true), 8), 2));
    assert.deepStrictEqual([...v2.data], [9]);
  });

  it('reads f4 and f8 into either dtype, from bytes at any offset and in either byte order, as each value read alone', () => {
    const values = [0, -0, 1.5, -2.25, 1 / 3, Math.PI * 1e30, 3e-39, Infinity, -Infinity, Number.NaN, 65504.123456789, -7e-310];
    for (const size of [4, 8] as const) {
      for (const little of [true, false]) {
        const data = bytesOf(dv => values.forEach((v, i) => (size === 4 ? dv.setFloat32(i * 4, v, little) : dv.setFloat64(i * 8, v, little))), values.length * size);
        const file = npyFile(`{'descr': '${little ? '<' : '>'}f${size}', 'fortran_order': False, 'shape': (${values.length},), }`, data);
        const dv = new DataView(data.buffer);
        const alone = values.map((_, i) => (size === 4 ? dv.getFloat32(i * 4, little) : dv.getFloat64(i * 8, little)));
        for (const [shift, kind] of [[0, Uint8Array], [1, Uint8Array], [4, Uint8Array], [1, Buffer], [3, Buffer]] as const) {
          // The file at an offset in a larger memory, aligned for its floats or not; a Node Buffer (a file read in
          // the extension host or the CLI) too, whose slice() is a view, not a copy.
          const held = kind === Buffer ? Buffer.alloc(file.length + shift) : new Uint8Array(file.length + shift);
          held.set(file, shift);
          for (const dtype of ['float32', 'float64'] as const) {
            const t = decodeNpy(held.subarray(shift), dtype);
            const expected = dtype === 'float32' ? Array.from(Float32Array.from(alone)) : alone;
            assert.deepStrictEqual(Array.from(t.data), expected, `${little ? '<' : '>'}f${size} at +${shift} of a ${kind.name} into ${dtype}`);
            assert.ok(Object.is(t.data[1], -0));
          }
        }
      }
    }
  });

  it('round-trips what encodeNpy writes', () => {
    const t = tensor([2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.deepStrictEqual(decodeNpy(encodeNpy(t)), t);
    assert.deepStrictEqual(readNpyHeader(encodeNpy(t)).shape, [2, 2, 3]);
  });

  it('refuses what it cannot read, saying what it is', () => {
    const c = npyFile("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(16));
    assert.throws(() => decodeNpy(c), (e: unknown) => e instanceof TensorFileError && /dtype '<c16' \(complex, 16 bytes\) is not supported/.test(e.message));
    assert.throws(() => decodeNpy(npyFile("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8))), /structured arrays/);
    assert.throws(() => decodeNpy(npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", new Uint8Array(8))), /cut short: shape \(4\) needs 32 bytes, the file has 8/);
    assert.throws(() => decodeNpy(new Uint8Array([1, 2, 3])), /not a \.npy file/);
    assert.throws(() => decodeNpy(npyFile("{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(12))), /unicode string/);
  });

  // numpy itself, when this machine has it: random arrays in every supported layout.
  const python = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
  (python ? it : it.skip)('agrees with numpy on files numpy wrote (dtypes, byte orders, C and Fortran order)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npy-'));
    const script = `
import json, numpy as np, sys
rng = np.random.default_rng(7)
out = {}
for i, (dt, order, shape) in enumerate([('<f8','C',(2,3,4)), ('>f8','F',(3,5)), ('<f4','F',(2,3,2,2)), ('>f4','C',(7,)),
    ('<i4','C',(3,3)), ('>i2','F',(2,5)), ('<i8','C',(4,)), ('|u1','F',(3,4)), ('<u2','C',(5,)), ('|b1','C',(2,2)), ('<f2','C',(3,2))]):
    a = (rng.standard_normal(shape) * 50).astype(dt)
    a = np.asfortranarray(a) if order == 'F' else np.ascontiguousarray(a)
    name = f"{i}.npy"
    np.save(sys.argv[1] + '/' + name, a)
    out[name] = {'shape': list(a.shape), 'data': a.astype(np.float64).flatten(order='C').tolist()}
print(json.dumps(out))
`;
    const r = spawnSync('python3', ['-c', script, dir], { encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    const expected = JSON.parse(r.stdout) as Record<string, { shape: number[]; data: number[] }>;
    for (const [name, e] of Object.entries(expected)) {
      const t = decodeNpy(new Uint8Array(fs.readFileSync(path.join(dir, name))));
      assert.deepStrictEqual(t.shape, e.shape, name);
      assert.deepStrictEqual([...t.data].map(Number), e.data, name);
    }
  });
});
