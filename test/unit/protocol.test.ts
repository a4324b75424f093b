import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseHostMessage, parseWebviewMessage, ProtocolError } from '../../src/protocol/validate';
import { fromWire, toWire } from '../../src/protocol/wire';
import { traceSpecText } from '../../src/spec/convSpec';

const SEED = path.join(__dirname, '../../../examples/seed.conv.json');

describe('host ⇄ webview protocol', () => {
  const trace = traceSpecText('seed.conv.json', fs.readFileSync(SEED, 'utf8'));
  const wire = toWire(trace, 7, 'seed.conv.json', []);

  it('a trace message passes validation and its tensors round-trip as ArrayBuffers', () => {
    const msg = parseHostMessage({ type: 'trace', trace: structuredClone(wire) });
    assert.strictEqual(msg.type, 'trace');
    if (msg.type !== 'trace') return;
    const z = msg.trace.tensors.find(t => t.name === 'z')!;
    assert.ok(z.buffer instanceof ArrayBuffer);
    assert.deepStrictEqual([...fromWire(z).data].slice(0, 3), [296, 250, 288]);
  });

  it('rejects a tensor whose bytes do not fit its shape', () => {
    const broken = structuredClone(wire);
    broken.tensors[0].buffer = new ArrayBuffer(8);
    assert.throws(() => parseHostMessage({ type: 'trace', trace: broken }), /trace\.trace\.tensors\[0\]\.buffer: 8 bytes for shape \(1, 3, 4, 4\) float64, expected 384/);
  });

  it('rejects a tensor sent as a JSON number array', () => {
    const broken = structuredClone(wire) as unknown as { tensors: { buffer: unknown }[] };
    broken.tensors[0].buffer = [1, 2, 3];
    assert.throws(() => parseHostMessage({ type: 'trace', trace: broken }), ProtocolError);
  });

  it('rejects unknown message types and missing fields', () => {
    assert.throws(() => parseWebviewMessage({ type: 'hello' }), /unknown message type 'hello'/);
    assert.throws(() => parseWebviewMessage({ type: 'rendered', traceId: 1 }), /rendered\.shown: expected an array, got undefined/);
    assert.throws(() => parseWebviewMessage('ready'), /message: expected an object/);
    assert.throws(() => parseWebviewMessage({ type: 'rendered', traceId: 1, shown: [{ name: 'zz', shape: [], cells: [] }] }), /name: expected one of/);
  });

  it('accepts the webview messages', () => {
    assert.deepStrictEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
    const rendered = { type: 'rendered', traceId: 3, shown: [{ name: 'z', shape: [1, 2, 3, 3], cells: ['296'] }] };
    assert.deepStrictEqual(parseWebviewMessage(rendered), rendered);
  });
});
