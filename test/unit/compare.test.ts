// Comparing someone's own tensors with the engine's: the planted bugs of the
// reference derivation show up as mismatches where they should.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { compareTensors, withComparison } from '../../src/engine/compare';
import { tensor } from '../../src/engine/tensor';
import { traceSpecText } from '../../src/specReader/convSpec';

const trace = traceSpecText('seed', fs.readFileSync(path.join(__dirname, '../../../examples/seed.conv.json'), 'utf8'));
const at = trace.tensors.a_t!;

describe('compare with reference', () => {
  it('the same values agree, even without the batch axis', () => {
    const r = compareTensors(at, tensor([9, 12], [...at.data]), 'a_t');
    assert.deepStrictEqual([r.comparison.mismatches, r.comparison.maxAbsError, r.comparison.firstMismatch], [0, 0, undefined]);
    assert.deepStrictEqual(r.comparison.reshapedFrom, [9, 12]);
  });

  it('a patch flattened (kh, kw, c) instead of (c, kh, kw) mismatches from row 0, column 1', () => {
    const wrong = new Float64Array(at.data.length);
    const [, R, K] = at.shape;
    for (let r = 0; r < R; r++) {
      for (let c = 0; c < 3; c++) for (let k = 0; k < 4; k++) wrong[r * K + k * 3 + c] = at.data[r * K + c * 4 + k];
    }
    const r = compareTensors(at, tensor(at.shape, wrong), 'a_t');
    assert.deepStrictEqual(r.comparison.firstMismatch, [0, 0, 1]);
    assert.ok(r.comparison.mismatches > 50);
    assert.strictEqual(r.difference.data[1], wrong[1] - at.data[1]);
  });

  it('erratum 1 (w.reshape(-1, Cout).T) gives a different w_t, cell by cell', () => {
    const w = trace.tensors.weight!;
    // numpy: w.reshape(-1, 2).T → row-major (12, 2) read, then transposed to (2, 12); as the engine's (12, 2): transpose back.
    const bad = new Float64Array(24);
    for (let k = 0; k < 12; k++) for (let o = 0; o < 2; o++) bad[k * 2 + o] = w.data[k * 2 + o];
    const r = compareTensors(trace.tensors.w_t!, tensor([12, 2], bad), 'w_t');
    assert.ok(r.comparison.mismatches > 0);
    assert.deepStrictEqual(r.comparison.firstMismatch, [0, 1]);
  });

  it('refuses tensors of another size, saying both shapes', () => {
    assert.throws(() => compareTensors(at, tensor([2, 3], [1, 2, 3, 4, 5, 6]), 'a_t'), /yours has shape \(2, 3\) \(6 values\) but the engine's a_t is \(1, 9, 12\) \(108 values\)/);
  });

  it('adds yours, the difference and a first stage to the trace', () => {
    const t = withComparison(trace, 'z', tensor([1, 2, 3, 3], [...trace.tensors.z!.data].map((v, i) => (i === 4 ? v + 1 : v))));
    assert.strictEqual(t.stages[0].id, 'compare');
    assert.deepStrictEqual(t.stages[0].inputs, ['yours', 'z']);
    assert.deepStrictEqual(t.comparison?.firstMismatch, [0, 0, 1, 1]);
    assert.strictEqual(t.tensors.difference!.data[4], 1);
  });
});
