import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseHostMessage, parseWebviewMessage, ProtocolError } from '../../src/protocol/validate';
import { checkModelEditorMessage as parseModelEditorMessage } from '../../src/protocol/modelEditor';
import { fromWire, toWire } from '../../src/protocol/wire';
import { traceSpecText } from '../../src/specReader/convSpec';
import { decodeImage } from '../../src/specReader/image';
import { traceFile } from '../../src/lib';
import type { ConvTrace } from '../../src/engine/trace';

const SEED = path.join(__dirname, '../../../examples/seed.conv.json');
const EXAMPLES = path.join(__dirname, '../../../examples');

describe('host ⇄ webview protocol', () => {
  const trace = traceSpecText('seed.conv.json', fs.readFileSync(SEED, 'utf8'));
  const wire = toWire(trace, 7, 'seed.conv.json', []);

  it('a trace message passes validation and its tensors round-trip as ArrayBuffers', () => {
    const msg = parseHostMessage({ type: 'trace', trace: structuredClone(wire) });
    assert.strictEqual(msg.type, 'trace');
    if (msg.type !== 'trace') return;
    const z = msg.trace.tensors.find(t => t.name === 'z')!;
    assert.ok(z.buffer instanceof ArrayBuffer);
    assert.deepStrictEqual([...fromWire({ ...z, buffer: z.buffer! }).data].slice(0, 3), [296, 250, 288]);
  });

  it('rejects a tensor whose bytes do not fit its shape', () => {
    const broken = structuredClone(wire);
    broken.tensors[0].buffer = new ArrayBuffer(8);
    assert.throws(() => parseHostMessage({ type: 'trace', trace: broken }), /trace\.trace\.tensors\[0\]\.buffer: 8 bytes for shape \(1, 3, 4, 4\) float64, expected 384/);
  });

  it('an image input comes with its picture: the pixels it was read from, not its normalized values', async () => {
    const photo = await traceFile(path.join(EXAMPLES, 'chelsea.conv.json')) as ConvTrace;
    const input = parseHostMessage({ type: 'trace', trace: structuredClone(toWire(photo, 1, 'chelsea.conv.json', [])) });
    const picture = input.type === 'trace' ? input.trace.tensors.find(t => t.name === 'input')!.picture! : undefined;
    assert.deepStrictEqual([picture?.width, picture?.height, picture?.items.length], [32, 32, 1]);
    // The same photograph resized the same way, but neither scaled nor normalized: its values are the pixels.
    const raw = decodeImage(new Uint8Array(fs.readFileSync(path.join(EXAMPLES, 'chelsea.png'))), { size: [32, 32] }, 'float64', 1e6).tensor.data;
    const rgba = new Uint8Array(picture!.items[0]);
    const plane = 32 * 32;
    const shown = Array.from({ length: 3 * plane }, (_, i) => rgba[(i % plane) * 4 + Math.floor(i / plane)]);
    // Resized pixels are not whole numbers: each shown pixel is its value rounded, to within float error.
    const off = shown.map((p, i) => Math.abs(p - raw[i])).filter(d => d > 0.5 + 1e-9);
    assert.deepStrictEqual(off, []);
    assert.ok(!toWire(photo, 1, 'c', []).tensors.find(t => t.name === 'a')!.picture, 'the padded copy is values, not a picture');
  });

  it('rejects a picture whose bytes do not fit its size', async () => {
    const photo = toWire(await traceFile(path.join(EXAMPLES, 'chelsea.conv.json')) as ConvTrace, 1, 'chelsea.conv.json', []);
    photo.tensors.find(t => t.name === 'input')!.picture!.items[0] = new ArrayBuffer(12);
    assert.throws(() => parseHostMessage({ type: 'trace', trace: photo }), /tensors\[0\]\.picture\.items\[0\]: 12 bytes for 32 × 32 RGBA, expected 4096/);
  });

  it('rejects a tensor sent as a JSON number array', () => {
    const broken = structuredClone(wire) as unknown as { tensors: { buffer: unknown }[] };
    broken.tensors[0].buffer = [1, 2, 3];
    assert.throws(() => parseHostMessage({ type: 'trace', trace: broken }), ProtocolError);
  });

  it('a trace\'s geometry names a kind with a view, and its stages are that view\'s', () => {
    const unknownKind = structuredClone(wire);
    (unknownKind.geometry as { kind: string }).kind = 'conv3d';
    assert.throws(() => parseHostMessage({ type: 'trace', trace: unknownKind }), /geometry\.kind: expected a layer kind/);
    const foreignStage = structuredClone(wire);
    foreignStage.stages[0] = { ...foreignStage.stages[0], id: 'pool_unfold' };
    assert.throws(() => parseHostMessage({ type: 'trace', trace: foreignStage }), /stages\[0\]\.id: expected a stage of conv2d/);
  });

  it('rejects unknown message types and missing fields', () => {
    assert.throws(() => parseWebviewMessage({ type: 'hello' }), /unknown message type 'hello'/);
    assert.throws(() => parseWebviewMessage({ type: 'rendered', traceId: 1 }), /rendered\.shown: expected an array, got undefined/);
    assert.throws(() => parseWebviewMessage('ready'), /message: expected an object/);
    assert.throws(() => parseWebviewMessage({ type: 'rendered', traceId: 1, shown: [{ name: 'z z', shape: [], cells: [] }] }), /name: expected a name/);
  });

  it('big tensors stay behind: no buffer, but their stats', () => {
    const lazy = toWire(trace, 8, 'seed.conv.json', [], undefined, 100);
    const at = lazy.tensors.find(t => t.name === 'a_t')!;
    assert.strictEqual(at.buffer, undefined);
    assert.deepStrictEqual(at.stats, { min: 1, max: 9, nonFinite: 0 });
    assert.ok(lazy.tensors.find(t => t.name === 'bias')!.buffer, 'small ones travel with the trace');
    parseHostMessage({ type: 'trace', trace: lazy });
  });

  it('validates focus, step and tensor replies', () => {
    parseHostMessage({ type: 'focus', stage: 'matmul', target: { tensor: 'z', index: [0, 0, 1, 2] } });
    assert.throws(() => parseHostMessage({ type: 'focus', stage: 'nope' }), /focus\.stage: expected a stage id/);
    assert.throws(() => parseHostMessage({ type: 'tiles', requestId: 1, traceId: 1, name: 'z', level: 0, tiles: [{ row: 0, col: 0, buffer: [1] }] }), /tiles\.tiles\[0\]\.buffer: expected an ArrayBuffer/);
    assert.throws(() => parseWebviewMessage({ type: 'requestTiles', requestId: 1, traceId: 1, name: 'a_t', level: 0, tiles: Array.from({ length: 33 }, () => [0, 0]) }), /at most 32 tiles/);
    assert.throws(() => parseWebviewMessage({ type: 'requestTiles', requestId: 1, traceId: 1, name: 'a_t', level: 0, tiles: [[0]] }), /expected \[row, col\]/);
    parseHostMessage({ type: 'cellSum', requestId: 3, sum: { formula: 'z = …', terms: [{ label: 'a·w', factors: [2, 3], value: 6 }], total: 6, alternative: { formula: 'x', terms: [], total: 0 } } });
    assert.throws(() => parseHostMessage({ type: 'cellSum', requestId: 3, sum: { formula: 'z', terms: [{ label: 'a·w', factors: ['2'], value: 6 }], total: 6 } }), /factors\[0\]: expected a number/);
    assert.throws(() => parseWebviewMessage({ type: 'linked', traceId: 1, target: { tensor: 'z', index: [-1] }, value: 1, terms: 0, highlights: [] }), /index\[0\]: expected a non-negative integer/);
    parseHostMessage({ type: 'settings', settings: { colorScheme: 'puor', scale: 'shared', precision: 3, stages: 'all', locale: 'zh-cn' } });
    parseHostMessage({ type: 'settings', settings: { colorScheme: 'puor', scale: 'shared', precision: 3, stages: 'all', locale: 'en' } });
    assert.throws(() => parseHostMessage({ type: 'settings', settings: { colorScheme: 'rainbow', scale: 'shared', precision: 3, stages: 'all', locale: 'en' } }), /colorScheme: expected one of auto/);
    assert.throws(() => parseHostMessage({ type: 'settings', settings: { colorScheme: 'puor', scale: 'shared', precision: 3, stages: 'all', locale: 'zh-tw' } }), /locale: expected one of en, zh-cn/);
    assert.throws(() => parseHostMessage({ type: 'settings', settings: { colorScheme: 'puor', scale: 'shared', precision: 3, stages: 'all' } }), /locale: expected one of en, zh-cn/);
    parseHostMessage({ type: 'settings', settings: { colorScheme: 'puor', scale: 'shared', precision: 3, stages: 'forward', locale: 'en' } });
    assert.throws(() => parseHostMessage({ type: 'settings', settings: { colorScheme: 'rainbow', scale: 'shared', precision: 3, stages: 'all', locale: 'en' } }), /colorScheme: expected one of auto/);
    assert.throws(() => parseHostMessage({ type: 'settings', settings: { colorScheme: 'auto', scale: 'shared', precision: 3, stages: 'backward', locale: 'en' } }), /stages: expected one of all/);
  });

  it('Save Layer as Spec…: the panel and the model editor name a layer, checked', () => {
    parseWebviewMessage({ type: 'saveLayerSpec', traceId: 3 });
    assert.throws(() => parseWebviewMessage({ type: 'saveLayerSpec', traceId: -1 }), /saveLayerSpec\.traceId: expected a non-negative integer/);
    assert.throws(() => parseModelEditorMessage({ type: 'saveLayerSpec', layer: 1.5 }), /layer: expected a non-negative integer/);
  });

  it('the gradient check: the request names a cell, the answer the finite difference beside the analytic value', () => {
    parseWebviewMessage({ type: 'requestGradientCheck', requestId: 4, traceId: 2, target: { tensor: 'dW', index: [1, 0, 1, 1] } });
    assert.throws(() => parseWebviewMessage({ type: 'requestGradientCheck', requestId: 4, traceId: 2, target: { tensor: 'dW', index: [1.5] } }), /requestGradientCheck\.target\.index\[0\]: expected a non-negative integer/);
    assert.throws(() => parseWebviewMessage({ type: 'requestGradientCheck', requestId: 4, target: { tensor: 'dW', index: [0] } }), /requestGradientCheck\.traceId: expected a non-negative integer, got undefined/);
    const check = { of: 'layers[0].weight', numeric: 8.000001, analytic: 7, epsilon: 1e-6, relError: 1.2e-7, tolerance: 1e-5, agrees: true, kink: { left: 7, right: 9 } };
    parseHostMessage({ type: 'gradientCheck', requestId: 4, check });
    // A non-finite C makes NaN: still a number.
    parseHostMessage({ type: 'gradientCheck', requestId: 4, check: { ...check, numeric: NaN, relError: NaN, agrees: false, kink: undefined } });
    assert.throws(() => parseHostMessage({ type: 'gradientCheck', requestId: 4, check: { ...check, agrees: 'yes' } }), /gradientCheck\.check\.agrees: expected a boolean/);
    assert.throws(() => parseHostMessage({ type: 'gradientCheck', requestId: 4, check: { ...check, kink: { left: 7 } } }), /gradientCheck\.check\.kink\.right: expected a number, got undefined/);
    assert.throws(() => parseHostMessage({ type: 'gradientCheck', requestId: 4 }), /gradientCheck\.check: expected an object/);
    parseWebviewMessage({ type: 'linked', traceId: 1, target: { tensor: 'dW', index: [0] }, value: 1, terms: 0, highlights: [], gradientCheck: 'finite difference: 1 (ε = 1e-6) · analytic: 1 · agree ✓' });
    assert.throws(() => parseWebviewMessage({ type: 'linked', traceId: 1, target: { tensor: 'dW', index: [0] }, value: 1, terms: 0, highlights: [], gradientCheck: 1 }), /linked\.gradientCheck: expected a string/);
  });

  it('accepts the webview messages', () => {
    assert.deepStrictEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
    const rendered = { type: 'rendered', traceId: 3, shown: [{ name: 'z', shape: [1, 2, 3, 3], cells: ['296'] }] };
    assert.deepStrictEqual(parseWebviewMessage(rendered), rendered);
    assert.deepStrictEqual(parseWebviewMessage({ type: 'painted', traceId: 3 }), { type: 'painted', traceId: 3 });
    assert.throws(() => parseWebviewMessage({ type: 'painted', traceId: -1 }), /painted\.traceId/);
    const page = { at: 1.7e12, built: 12.5, frame: 40, drawn: 41, onScreen: 120 };
    assert.deepStrictEqual(parseWebviewMessage({ type: 'painted', traceId: 3, page }), { type: 'painted', traceId: 3, page });
    assert.throws(() => parseWebviewMessage({ type: 'painted', traceId: 3, page: { ...page, drawn: 'soon' } }), /painted\.page\.drawn/);
    assert.deepStrictEqual(parseWebviewMessage({ type: 'received', traceId: 4 }), { type: 'received', traceId: 4 });
    assert.throws(() => parseWebviewMessage({ type: 'received' }), /received\.traceId/);
  });
});
