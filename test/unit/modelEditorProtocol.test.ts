import * as assert from 'assert';
import { checkModelEditorMessage } from '../../src/protocol/modelEditor';
import { ProtocolError } from '../../src/protocol/checks';

describe('model editor ⇄ host protocol', () => {
  it('ready says how long the page\'s frame waited for the webview to start, or nothing', () => {
    assert.deepStrictEqual(checkModelEditorMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepStrictEqual(checkModelEditorMessage({ type: 'ready', frameWaitMs: 995 }), { type: 'ready', frameWaitMs: 995 });
  });

  it('refuses a wait that is not a duration', () => {
    for (const frameWaitMs of [-1, Number.NaN, Infinity, '995', null]) {
      assert.throws(() => checkModelEditorMessage({ type: 'ready', frameWaitMs }), (e: unknown) => e instanceof ProtocolError && /frameWaitMs/.test(e.message), String(frameWaitMs));
    }
  });
});
