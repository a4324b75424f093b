// Panel entry: says `ready`, then shows whatever the host sends. UI state
// survives hiding, reloading and window restore through getState/setState.

import { assertNever, runId } from '../src/protocol/messages';
import { HEATMAP_DRAWN } from './render/heatmap';
import { TraceView } from './traceView';
import { CollectionView } from './collection';
import { NetworkView } from './network';
import { settle } from './model';
import { networkWithStages, traceWithStages } from './stageSet';
import { applySettings, restoreState } from './state';
import { setLocale, text } from './l10n';
import { onThemeChange } from './theme';
import { getState, onHostMessage, saveState, send } from './vscodeApi';

const root = document.getElementById('app')!;
const status = document.getElementById('status')!;
const title = document.getElementById('title')!;
/** What the panel shows: one conv's stages, a network's chain of layers, or tensors from a debug session. */
let app: TraceView | undefined;
let network: NetworkView | undefined;
let collection: CollectionView | undefined;

function clear(): void {
  app?.dispose();
  network?.dispose();
  collection?.dispose();
  app = network = collection = undefined;
}

/** The view that steps, links and lays out: the conv's, or the network's open layer. */
function stages(): TraceView | NetworkView | undefined {
  return network ?? app;
}
const state = restoreState(getState());
setLocale(state.locale);

function setStatus(text: string, kind: '' | 'running' | 'failed'): void {
  status.textContent = text;
  status.className = kind;
}

/** Shows the current run again (after the settings changed). */
let reshow: (() => void) | undefined;

/** Stops waiting for the previous run's first heatmap. */
let paintWatch: AbortController | undefined;

/** Replaces what the panel shows with a run, and reports what it shows (or why it could not) and when it is on screen. */
function show(run: { id: number; file: string; uri?: string }, what: string, make: () => TraceView | NetworkView): void {
  title.textContent = run.file;
  setStatus('', '');
  clear();
  paintWatch?.abort();
  paintWatch = new AbortController();
  const [received, at] = [performance.now(), Date.now()];
  let [built, frame] = [0, 0];
  // When the frame after the one that draws it begins (its time, not when its callback ran behind the page's
  // tasks): the heatmap is on screen, not only drawn into its canvas.
  root.addEventListener(HEATMAP_DRAWN, () => {
    const drawn = performance.now() - received;
    requestAnimationFrame(next => setTimeout(() => send({ type: 'painted', traceId: run.id, page: { at, built, frame, drawn, onScreen: Math.max(drawn, next - received) } })));
  }, { once: true, signal: paintWatch.signal });
  try {
    const view = make();
    built = performance.now() - received;
    requestAnimationFrame(() => { frame = performance.now() - received; });
    state.specUri = run.uri;
    view.saveState();
    void view.shown().then(shown => send({ type: 'rendered', traceId: run.id, shown }));
  } catch (e) {
    send({ type: 'error', message: `showing ${what} ${run.id} failed: ${(e as Error).message}` });
  }
}

onHostMessage(message => {
  // A run reached the page: the host stops sending it again.
  const id = runId(message);
  if (id !== undefined) send({ type: 'received', traceId: id });
  switch (message.type) {
    case 'running':
      setStatus(text().tracing(message.file), 'running');
      break;
    case 'failed':
      setStatus(message.message, 'failed');
      break;
    case 'trace':
      reshow = () => show(message.trace, 'trace', () => (app = new TraceView(root, traceWithStages(message.trace, state.stages), state)));
      state.layer = undefined;
      reshow();
      break;
    case 'network':
      reshow = () => show(message.network, 'network', () => (network = new NetworkView(root, networkWithStages(message.network, state.stages), state)));
      reshow();
      // The layer traced with the run serves the first view only: shown again (a settings change), the panel asks the
      // host, which may have let it go since.
      message.network.opened = undefined;
      break;
    case 'settings':
      if (applySettings(state, message.settings)) {
        setLocale(state.locale);
        saveState(state);
        reshow?.();
      }
      break;
    case 'tensors':
      title.textContent = message.set.title;
      setStatus('', '');
      clear();
      reshow = undefined;
      collection = new CollectionView(root, message.set, state);
      send({ type: 'rendered', traceId: message.set.id, shown: [] });
      break;
    case 'tiles':
    case 'cellSum':
    case 'gradientCheck':
    case 'featureMaps':
    case 'attribution':
    case 'layer':
      settle(message.requestId, message);
      break;
    case 'requestFailed':
      settle(message.requestId, { failure: message.message });
      break;
    case 'focus':
      if (network) {
        network.focus(message.layer, message.stage, message.target, message.pin ?? true);
        break;
      }
      if (message.stage) app?.focusStage(message.stage);
      if (message.target) app?.focusCell(message.target, message.pin ?? true);
      break;
    case 'step':
      stages()?.step(message.delta);
      break;
    default:
      assertNever(message);
  }
});

// Stage stepping from anywhere in the panel (heatmaps keep their own keys).
window.addEventListener('keydown', e => {
  const view = stages();
  if (!view || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
  const target = e.target as HTMLElement;
  if (target.closest('input, textarea, vscode-single-select, vscode-textfield')) return;
  if (e.key === 'n' || e.key === 'PageDown') { view.step(1); e.preventDefault(); }
  else if (e.key === 'p' || e.key === 'PageUp') { view.step(-1); e.preventDefault(); }
  else if (e.key === 'Escape') view.escape();
});

let resizeTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => stages()?.layoutCards(), 100);
});
onThemeChange(() => stages()?.setTheme());

send({ type: 'ready' });
