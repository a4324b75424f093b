import * as assert from 'assert';

describe('canary', () => {
  it('fails on purpose', () => {
    assert.strictEqual(1 + 1, 3, 'this suite exists to fail');
  });
});
