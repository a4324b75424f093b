// The panel's UI state as a reload restores it (getState): the user's choices
// come back, and anything else a saved state holds falls back to the defaults.

import * as assert from 'assert';
import { DEFAULT_STATE, restoreState } from '../../webview/state';

describe('panel state restored after a reload', () => {
  it('a folded stage explanation stays folded; an unfolded one stays open', () => {
    assert.strictEqual(restoreState({ ...DEFAULT_STATE, explain: false }).explain, false);
    assert.strictEqual(restoreState({ ...DEFAULT_STATE, explain: true }).explain, true);
  });

  it('a state saved before the explanation could fold (or holding a non-boolean) shows it', () => {
    const { explain: _, ...older } = DEFAULT_STATE;
    assert.strictEqual(restoreState(older).explain, true);
    assert.strictEqual(restoreState({ ...older, explain: 'no' }).explain, true);
    assert.strictEqual(restoreState(undefined).explain, true);
  });
});
