// Progress only for slow work: a fast run (or a fast failure) never shows it,
// slow work shows it once, and the result or the failure comes through either way.

import * as assert from 'assert';
import { showIfSlow } from '../../src/extension/progress/showIfSlow';

const after = <T>(ms: number, value: T, fail = false) => new Promise<T>((resolve, reject) => setTimeout(() => (fail ? reject(new Error(String(value))) : resolve(value)), ms));

describe('showIfSlow', () => {
  it('does not show fast work, and returns its result', async () => {
    let shown = 0;
    assert.strictEqual(await showIfSlow(after(5, 42), w => { shown++; return w; }, 100), 42);
    assert.strictEqual(shown, 0);
  });

  it('does not show a fast failure, and passes it on', async () => {
    let shown = 0;
    await assert.rejects(showIfSlow(after(5, 'bad spec', true), w => { shown++; return w; }, 100), /bad spec/);
    assert.strictEqual(shown, 0);
  });

  it('shows slow work once, after the delay, until it settles', async () => {
    const t0 = Date.now();
    const shownAt: number[] = [];
    let settledWhileShown = false;
    const result = await showIfSlow(after(150, 'trace'), async w => { shownAt.push(Date.now() - t0); const r = await w; settledWhileShown = true; return r; }, 50);
    assert.strictEqual(result, 'trace');
    assert.strictEqual(shownAt.length, 1);
    assert.ok(shownAt[0] >= 45 && shownAt[0] < 150, `shown at ${shownAt[0]} ms`);
    assert.ok(settledWhileShown);
  });

  it('passes on a slow failure through the progress it showed', async () => {
    let shown = 0;
    await assert.rejects(showIfSlow(after(80, 'out of memory', true), w => { shown++; return w; }, 20), /out of memory/);
    assert.strictEqual(shown, 1);
  });
});
