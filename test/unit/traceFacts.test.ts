// Facts the engine records once in the trace, so that no face re-derives them
// (and two faces cannot disagree): where δ came from, each tensor's statistics.

import * as assert from 'assert';
import { ConvTrace, recordedTensors } from '../../src/engine/trace';
import { tensorStats } from '../../src/engine/tensor';
import { traceAnySpecText } from '../../src/specReader/convSpec';
import { networkSpec } from './helpers';

describe('facts the trace records once, for every face', () => {
  const spec = (extra: Record<string, unknown> = {}) => JSON.stringify({ input: [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]], weight: [[[[1, 0], [0, -1]]]], ...extra });

  it('where δ came from: all ones without a grad, the spec\'s grad even when it is all ones', () => {
    assert.strictEqual((traceAnySpecText('x', spec()) as { deltaSource?: string }).deltaSource, 'ones');
    // The panel once guessed from the values: a grad of ones read as "all ones", not "given in the spec".
    assert.strictEqual((traceAnySpecText('x', spec({ grad: [[[[1, 1], [1, 1]]]] })) as { deltaSource?: string }).deltaSource, 'spec');
    assert.strictEqual((traceAnySpecText('x', spec(), { backward: false }) as { deltaSource?: string }).deltaSource, undefined);
  });

  it('where each layer\'s δ came from: the loss (or grad, or ones) at the top, the layer above below it', () => {
    const layers = [{ type: 'relu' }, { type: 'flatten' }];
    const sources = (extra: Record<string, unknown>, backward = true) =>
      (traceAnySpecText('x', networkSpec([1, 1, 2, 2], layers, extra), { backward }) as { layers: { name: string; deltaSource?: string }[] }).layers.map(l => `${l.name}:${l.deltaSource}`);
    assert.deepStrictEqual(sources({ loss: { type: 'mse', target: [[0, 0, 0, 0]] } }), ['layers[0]:above', 'layers[1]:loss', 'loss:undefined']);
    assert.deepStrictEqual(sources({ grad: [[1, 2, 3, 4]] }), ['layers[0]:above', 'layers[1]:spec']);
    assert.deepStrictEqual(sources({}), ['layers[0]:above', 'layers[1]:ones']);
    assert.deepStrictEqual(sources({}, false), ['layers[0]:undefined', 'layers[1]:undefined']);
  });

  it('each tensor\'s statistics are recorded with it, and the non-finite reports read them', () => {
    const trace = traceAnySpecText('x', spec({ input: [[[['NaN', 2, 3], [4, '-Infinity', 6], [7, 8, 9]]]] })) as ConvTrace;
    for (const t of recordedTensors(trace.tensors)) {
      const finite = [...t.data].filter(Number.isFinite);
      assert.deepStrictEqual(t.stats, {
        min: finite.length ? Math.min(...finite) : 0, max: finite.length ? Math.max(...finite) : 0,
        nonFinite: t.data.length - finite.length, firstNonFinite: [...t.data].findIndex(v => !Number.isFinite(v)),
      }, t.name);
    }
    assert.deepStrictEqual(trace.nonFinite.find(r => r.tensor === 'input'), { tensor: 'input', count: 2, firstIndex: [0, 0, 0, 0], firstValue: NaN });
  });

  it('statistics agree with a direct count on random data: NaN, ±Infinity, −0, rising and falling runs, both dtypes', () => {
    // tensorStats skips values inside the range seen so far; check that shortcut on data made to defeat it.
    let seed = 7;
    const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const special = [NaN, Infinity, -Infinity, -0, 0, 1e300, -1e300];
    for (let trial = 0; trial < 300; trial++) {
      const n = Math.floor(next() * 40);
      const values = Array.from({ length: n }, (_, i) => {
        const r = next();
        if (r < 0.15) return special[Math.floor(next() * special.length)];
        if (trial % 3 === 0) return i * (trial % 2 ? 1 : -1);
        return (next() - 0.5) * 10;
      });
      for (const data of [Float64Array.from(values), Float32Array.from(values)]) {
        const all = [...data];
        const finite = all.filter(Number.isFinite);
        const want = {
          min: finite.length ? Math.min(...finite) : 0, max: finite.length ? Math.max(...finite) : 0,
          nonFinite: all.length - finite.length, firstNonFinite: all.findIndex(v => !Number.isFinite(v)),
        };
        const got = tensorStats(data);
        // −0 and 0 are the same bound; compare by value.
        assert.deepStrictEqual({ ...got, min: got.min + 0, max: got.max + 0 }, { ...want, min: want.min + 0, max: want.max + 0 }, `trial ${trial}: ${all.join(', ')}`);
      }
    }
  });
});
