// The webview's side of the protocol: typed send, validated receive, state.

import type { HostToWebview, WebviewToHost } from '../src/protocol/messages';
import { parseHostMessage } from '../src/protocol/validate';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

export function send(message: WebviewToHost): void {
  api.postMessage(message);
}

export function onHostMessage(handler: (m: HostToWebview) => void): void {
  window.addEventListener('message', (event: MessageEvent) => {
    let message: HostToWebview;
    try {
      message = parseHostMessage(event.data);
    } catch (e) {
      send({ type: 'error', message: `invalid message from the host: ${(e as Error).message}` });
      return;
    }
    handler(message);
  });
}

export function saveState<T>(state: T): void {
  api.setState(state);
}

export function getState(): unknown {
  return api.getState();
}
