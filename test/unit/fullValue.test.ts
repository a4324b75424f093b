// The inspector's and the tooltip's "exact" value: as precise as the dtype
// holds it, without float noise. Checked against decimal arithmetic done in
// integers (BigInt), and by reading every printed value back.

import * as assert from 'assert';
import { floatFormatOf, roundToBfloat16, roundToFloat16 } from '../../src/format/floats';
import { formatNumber, fullValue } from '../../src/format/text';
import { rng } from './helpers';

/** i / 10^k as a decimal string, trailing zeros trimmed: exact, no floats involved. */
function decimal(i: bigint, k: number): string {
  const neg = i < 0n;
  const digits = (neg ? -i : i).toString().padStart(k + 1, '0');
  const whole = digits.slice(0, digits.length - k);
  const frac = digits.slice(digits.length - k).replace(/0+$/, '');
  return `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

describe('fullValue', () => {
  it('shows a float64 product of short decimals as the exact decimal product', () => {
    const rand = rng(7);
    let noisy = 0;
    for (let n = 0; n < 2000; n++) {
      const i = BigInt(Math.floor(rand() * 2001) - 1000);
      const j = BigInt(Math.floor(rand() * 2001) - 1000);
      const x = (Number(i) / 1000) * (Number(j) / 1000);
      if (String(x) !== decimal(i * j, 6)) noisy++;
      assert.strictEqual(fullValue(x), decimal(i * j, 6), `${i}/1000 × ${j}/1000 = ${x}`);
    }
    // The products that String() prints with noise are what this is for.
    assert.ok(noisy > 50, `only ${noisy} noisy products`);
  });

  it('shows a float64 sum of short decimals as the exact decimal sum', () => {
    assert.strictEqual(fullValue(0.1 + 0.2), '0.3');
    const rand = rng(11);
    // A few terms of one sign: no cancellation, so the float64 sum is within 15 digits of the exact one.
    for (let n = 0; n < 500; n++) {
      const sign = rand() < 0.5 ? -1 : 1;
      const terms = Array.from({ length: 2 + Math.floor(rand() * 3) }, () => BigInt(sign * Math.floor(rand() * 1e6)));
      const x = terms.reduce((acc, t) => acc + Number(t) / 1e6, 0);
      assert.strictEqual(fullValue(x), decimal(terms.reduce((a, b) => a + b, 0n), 6));
    }
  });

  it('reads back as the same float64 to 15 significant digits, for any value', () => {
    const rand = rng(3);
    for (let n = 0; n < 5000; n++) {
      const x = (rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20);
      const back = Number(fullValue(x));
      // Half a unit of the 15th significant digit, and the rounding of the printed decimal to binary.
      const halfUnit = 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(x))) - 14);
      assert.ok(Math.abs(back - x) <= halfUnit + Math.abs(x) * 2 ** -52, `${x} → ${fullValue(x)}`);
    }
  });

  it('gives a float32 the shortest decimal that reads back as the same float32', () => {
    const rand = rng(5);
    for (let n = 0; n < 5000; n++) {
      const x = Math.fround((rand() - 0.5) * 10 ** Math.floor(rand() * 20 - 10));
      const s = fullValue(x, 'float32');
      assert.strictEqual(Math.fround(Number(s)), x, `${x} → ${s}`);
      // One digit fewer does not read back: the shortest (integers print whole).
      const digits = s.replace(/^-?0?\.?0*|e.*$|\./g, '').length;
      if (digits > 1 && !Number.isInteger(x)) assert.notStrictEqual(Math.fround(Number(x.toPrecision(digits - 1))), x, `${x} → ${s}`);
    }
    assert.strictEqual(fullValue(Math.fround(0.1), 'float32'), '0.1');
    // Sums and products of float32 values worked out in float64 print as the float32 they round to.
    assert.strictEqual(fullValue(Math.fround(0.1) * Math.fround(0.2), 'float32'), '0.020000001'); // numpy: np.float32(0.1) * np.float32(0.2)
    for (let n = 0; n < 2000; n++) {
      const x = (rand() - 0.5) * 10 ** Math.floor(rand() * 12 - 6);
      assert.strictEqual(Math.fround(Number(fullValue(x, 'float32'))), Math.fround(x), `${x}`);
    }
    assert.strictEqual(String(Math.fround(0.1)), '0.10000000149011612');
  });

  it('keeps integers, infinities and NaN as they are', () => {
    assert.strictEqual(fullValue(296), '296');
    assert.strictEqual(fullValue(-3, 'float32'), '-3');
    assert.strictEqual(fullValue(Infinity), 'Infinity');
    assert.strictEqual(fullValue(-Infinity, 'float32'), '-Infinity');
    assert.strictEqual(fullValue(NaN), 'NaN');
    // The largest double reads back as itself, not Infinity.
    assert.strictEqual(Number(fullValue(Number.MAX_VALUE)), Number.MAX_VALUE);
    assert.strictEqual(Number(fullValue(-Number.MAX_VALUE)), -Number.MAX_VALUE);
  });
});

describe('formatNumber', () => {
  it('trims a fraction\'s trailing zeros, never an integer part\'s', () => {
    assert.strictEqual(formatNumber(123450.4), '123450');
    assert.strictEqual(formatNumber(1.5), '1.5');
    assert.strictEqual(formatNumber(2.000001, 3), '2');
    assert.strictEqual(formatNumber(1.2e-7), '1.2e-7');
    assert.strictEqual(formatNumber(-1.00004e21), '-1.00004e+21');
    const rand = rng(9);
    for (let n = 0; n < 3000; n++) {
      const x = (rand() - 0.5) * 10 ** Math.floor(rand() * 30 - 10);
      const p = 1 + Math.floor(rand() * 10);
      if (Number.isInteger(x) && Math.abs(x) < 1e15) continue; // printed whole, by design
      assert.strictEqual(Number(formatNumber(x, p)), Number(x.toPrecision(p)), `${x} at ${p}`);
    }
  });
});

/** The float16 value of a bit pattern, decoded by hand (sign, 5-bit exponent, 10-bit fraction). */
function float16FromBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return exp === 0 ? sign * frac * 2 ** -24 : sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The bfloat16 value of a bit pattern: the top half of a float32's. */
function bfloat16FromBits(bits: number): number {
  return new Float32Array(new Uint32Array([bits << 16 >>> 0]).buffer)[0];
}

describe('float16 and bfloat16 values', () => {
  it('every finite float16 rounds to itself, and prints as the shortest decimal that reads back as it', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const v = float16FromBits(bits);
      if (!Number.isFinite(v)) continue;
      assert.strictEqual(roundToFloat16(v), v, `bits ${bits.toString(16)}`);
      const s = fullValue(v, 'float16');
      assert.strictEqual(roundToFloat16(Number(s)), v, `${v} → ${s}`);
    }
    assert.strictEqual(fullValue(roundToFloat16(0.1), 'float16'), '0.1');
    assert.strictEqual(fullValue(0.0999755859375, 'float32'), '0.099975586');
  });

  it('rounds to the nearest float16, ties to even, overflowing at 65520 (as numpy)', () => {
    const rand = rng(17);
    for (let n = 0; n < 20000; n++) {
      // Between two neighbouring positive float16s a < b: below the midpoint → a, above → b, at it → the even one.
      const bits = Math.floor(rand() * 0x7bff);
      const [a, b] = [float16FromBits(bits), float16FromBits(bits + 1)];
      const mid = (a + b) / 2;
      const t = a + (b - a) * rand();
      assert.strictEqual(roundToFloat16(t), t < mid ? a : t > mid ? b : bits % 2 === 0 ? a : b, `${t} between ${a} and ${b}`);
      assert.strictEqual(roundToFloat16(-t), -roundToFloat16(t));
      assert.strictEqual(roundToFloat16(mid), bits % 2 === 0 ? a : b, `midpoint ${mid}`);
    }
    assert.strictEqual(roundToFloat16(65519), 65504);
    assert.strictEqual(roundToFloat16(65520), Infinity);
    assert.strictEqual(roundToFloat16(2 ** -25), 0);
    assert.strictEqual(roundToFloat16(2 ** -25 * 1.5), 2 ** -24);
  });

  it('rounds to the nearest bfloat16 and prints it briefly', () => {
    const rand = rng(19);
    for (let n = 0; n < 20000; n++) {
      const bits = Math.floor(rand() * 0x7f7f);
      const [a, b] = [bfloat16FromBits(bits), bfloat16FromBits(bits + 1)];
      const t = Math.fround(a + (b - a) * rand());
      const mid = (a + b) / 2;
      assert.strictEqual(roundToBfloat16(t), t < mid ? a : t > mid ? b : bits % 2 === 0 ? a : b, `${t} between ${a} and ${b}`);
      assert.strictEqual(roundToBfloat16(Number(fullValue(a, 'bfloat16'))), a, `${a} → ${fullValue(a, 'bfloat16')}`);
    }
  });

  it('reads a program\'s dtype name', () => {
    assert.deepStrictEqual(['torch.float16', 'float16', 'half', 'torch.bfloat16', 'float32', 'torch.float32', 'float64', 'int64'].map(floatFormatOf),
      ['float16', 'float16', 'float16', 'bfloat16', 'float32', 'float32', 'float64', 'float64']);
  });
});
