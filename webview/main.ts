// Panel entry: says `ready`, then shows whatever the host sends. UI state
// survives hiding, reloading and window restore through getState/setState.

import { assertNever } from '../src/protocol/messages';
import { App } from './app';
import { CollectionView } from './collection';
import { settle } from './model';
import { restoreState } from './state';
import { onThemeChange } from './theme';
import { getState, onHostMessage, send } from './vscodeApi';

const root = document.getElementById('app')!;
const status = document.getElementById('status')!;
const title = document.getElementById('title')!;
let app: App | undefined;
let collection: CollectionView | undefined;
const state = restoreState(getState());

function setStatus(text: string, kind: '' | 'running' | 'failed'): void {
  status.textContent = text;
  status.className = kind;
}

onHostMessage(message => {
  switch (message.type) {
    case 'running':
      setStatus(`Tracing ${message.file}…`, 'running');
      break;
    case 'failed':
      setStatus(message.message, 'failed');
      break;
    case 'trace': {
      const t = message.trace;
      title.textContent = t.file;
      setStatus('', '');
      app?.dispose();
      collection?.dispose();
      collection = undefined;
      try {
        app = new App(root, t, state);
        state.specUri = t.uri;
        app.saveState();
        void app.shown().then(shown => send({ type: 'rendered', traceId: t.id, shown }));
      } catch (e) {
        send({ type: 'error', message: `showing trace ${t.id} failed: ${(e as Error).message}` });
      }
      break;
    }
    case 'tensors':
      title.textContent = message.set.title;
      setStatus('', '');
      app?.dispose();
      app = undefined;
      collection?.dispose();
      collection = new CollectionView(root, message.set, state);
      send({ type: 'rendered', traceId: message.set.id, shown: [] });
      break;
    case 'tiles':
    case 'cellSum':
      settle(message.requestId, message);
      break;
    case 'requestFailed':
      settle(message.requestId, { failure: message.message });
      break;
    case 'focus':
      if (message.stage) app?.focusStage(message.stage);
      if (message.target) app?.focusCell(message.target, message.pin ?? true);
      break;
    case 'step':
      app?.step(message.delta);
      break;
    default:
      assertNever(message);
  }
});

// Stage stepping from anywhere in the panel (heatmaps keep their own keys).
window.addEventListener('keydown', e => {
  if (!app || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
  const target = e.target as HTMLElement;
  if (target.closest('input, textarea, vscode-single-select, vscode-textfield')) return;
  if (e.key === 'n' || e.key === 'PageDown') { app.step(1); e.preventDefault(); }
  else if (e.key === 'p' || e.key === 'PageUp') { app.step(-1); e.preventDefault(); }
  else if (e.key === 'Escape') app.escape();
});

let resizeTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => app?.layoutCards(), 100);
});
onThemeChange(() => app?.setTheme());

send({ type: 'ready' });
