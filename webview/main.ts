// Panel entry: says `ready`, then renders whatever trace the host sends.

import { assertNever } from '../src/protocol/messages';
import { renderTrace } from './render/traceView';
import { onHostMessage, saveState, send } from './vscodeApi';

const stages = document.getElementById('stages')!;
const status = document.getElementById('status')!;
const title = document.getElementById('title')!;

onHostMessage(message => {
  switch (message.type) {
    case 'running':
      status.textContent = `Tracing ${message.file}…`;
      status.className = 'running';
      break;
    case 'failed':
      status.textContent = message.message;
      status.className = 'failed';
      break;
    case 'trace': {
      const t = message.trace;
      title.textContent = t.file;
      status.className = '';
      status.textContent = t.warnings.length ? t.warnings.join(' · ') : '';
      saveState({ specUri: t.uri });
      try {
        const shown = renderTrace(stages, t);
        send({ type: 'rendered', traceId: t.id, shown });
      } catch (e) {
        send({ type: 'error', message: `rendering trace ${t.id} failed: ${(e as Error).message}` });
      }
      break;
    }
    default:
      assertNever(message);
  }
});

send({ type: 'ready' });
