// The benchmark's worker pool (test/bench/convPool.ts, its "all cores" column): its
// passes equal the single-threaded engine's, split over the batch, over the output
// channels (one image), or not at all (groups).

import * as assert from 'assert';
import * as path from 'path';
import { conv2d, conv2dInputGrad, conv2dWeightGrad } from '../../src/engine/conv2d';
import { ConvPool } from '../bench/convPool';
import { assertClose, randomTensor, rng } from './helpers';

const WORKER = path.join(__dirname, '../bench/convPoolWorker.js');

describe('ConvPool (worker threads)', () => {
  let pool: ConvPool;
  before(() => { pool = new ConvPool(WORKER, 2); });
  after(() => pool.dispose());

  for (const [name, x, w, options] of [
    ['a batch of 3: split over the batch', [3, 4, 9, 8], [6, 4, 3, 3], { padding: 1 }],
    ['one image: split over the output channels', [1, 5, 10, 10], [7, 5, 3, 3], { stride: 2, padding: 1 }],
    ['one image with groups: one worker', [1, 4, 8, 8], [4, 2, 3, 3], { groups: 2 }],
  ] as const) {
    it(`${name}, float32 and float64`, async () => {
      for (const dtype of ['float32', 'float64'] as const) {
        const random = rng(x[0] * 31 + w[0]);
        const input = randomTensor([...x], random, dtype);
        const weight = randomTensor([...w], random, dtype);
        const bias = randomTensor([w[0]], random, dtype);
        const z = conv2d(input, weight, bias, options);
        const grad = randomTensor([...z.shape], random, dtype);
        const tol = dtype === 'float32' ? 1e-5 : 1e-12;
        assertClose(await pool.conv2d(input, weight, bias, options), z, tol, `z ${name}`);
        assertClose(await pool.inputGrad(input.shape, weight, grad, options), conv2dInputGrad(input.shape, weight, grad, options), tol, `dInput ${name}`);
        const mine = await pool.weightGrad(input, weight.shape, grad, options);
        const one = conv2dWeightGrad(input, weight.shape, grad, options);
        assertClose(mine.dWeight, one.dWeight, tol, `dWeight ${name}`);
        assertClose(mine.dBias, one.dBias, tol, `dBias ${name}`);
      }
    });
  }

  it('reports an engine error from a worker as a rejection', async () => {
    const input = randomTensor([2, 3, 4, 4], rng(1));
    // The output is (2, 2, 3, 3): a grad of (2, 2, 9, 1) does not fit.
    const grad = randomTensor([2, 2, 9, 1], rng(3));
    await assert.rejects(pool.weightGrad(input, [2, 3, 2, 2], grad, {}), /grad/);
  });
});
