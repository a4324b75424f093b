// The gallery across the boundary: what the host sends of a traced layer (featureMapsToWire: the channels the
// engine cut with their ranges, the network's input as a picture), how the messages are checked, and the
// attribution job a worker runs (the spec run again, lean) against the engine's own run.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { attributionOf, channelMaps, networkInputOf } from '../../src/engine/featureMaps';
import { NetworkProblem, NetworkTrace, traceNetwork } from '../../src/engine/network';
import { runNetwork } from '../../src/engine/networkRun';
import { tensor } from '../../src/engine/tensor';
import { runAttributionJob } from '../../src/extension/trace/traceJob';
import { GALLERY_CHANNELS } from '../../src/protocol/messages';
import { parseHostMessage, parseWebviewMessage } from '../../src/protocol/validate';
import { attributionToWire, featureMapsToWire } from '../../src/protocol/wire';
import { readSpecProblem } from '../../src/specReader/convSpec';
import { JsonSource } from '../../src/specReader/source';
import { randomTensor, rng } from './helpers';

const LENET = path.join(__dirname, '../../../examples/lenet.conv.json');
const lenetText = fs.readFileSync(LENET, 'utf8');
const lenetProblem = () => readSpecProblem(JsonSource.parse(LENET, lenetText)) as NetworkProblem;

describe('the gallery across the protocol', () => {
  let trace: NetworkTrace;
  before(() => { trace = traceNetwork(lenetProblem()); });

  it('LeNet conv1: its z channel by channel, its δ, and the 28 × 28 input as a gray picture; the message passes validation', () => {
    const l = trace.layers[0];
    const maps = featureMapsToWire(l.tensors, l.geometry, 0, networkInputOf(trace))!;
    assert.deepStrictEqual([maps.output.tensor, maps.output.channels, maps.output.total, maps.output.height, maps.output.width], ['z', 6, 6, 24, 24]);
    assert.deepStrictEqual(maps.output.ranges, channelMaps(l.tensors.z!, 0).ranges);
    assert.deepStrictEqual(new Float32Array(maps.output.buffer), Float32Array.from(l.tensors.z!.data));
    assert.strictEqual(maps.delta?.tensor, 'delta');
    assert.deepStrictEqual([maps.input?.width, maps.input?.height, maps.inputShape], [28, 28, [1, 1, 28, 28]]);
    // The darkest pixel is the input's smallest value, the brightest its largest (stretched to 0..255).
    const gray = new Uint8ClampedArray(maps.input!.items[0]).filter((_, i) => i % 4 === 0);
    assert.deepStrictEqual([Math.min(...gray), Math.max(...gray)], [0, 255]);
    parseHostMessage({ type: 'featureMaps', requestId: 3, maps });
    // A batch item the run does not have (a hostile or stale request) is refused, never read past the end.
    assert.throws(() => featureMapsToWire(l.tensors, l.geometry, 5), /no batch item 5: the batch has 1/);
  });

  it('a ReLU layer\'s output is its h; a flatten layer\'s (1, 400) is one strip; the loss has none to show', () => {
    const relu = trace.layers[1];
    assert.strictEqual(featureMapsToWire(relu.tensors, relu.geometry, 0)?.output.tensor, 'h');
    const flat = trace.layers.findIndex(l => l.op === 'flatten');
    const strip = featureMapsToWire(trace.layers[flat].tensors, trace.layers[flat].geometry, 0)!.output;
    assert.deepStrictEqual([strip.channels, strip.height, strip.width], [1, 1, trace.layers[flat].outputShape[1]]);
    const loss = trace.layers[trace.layers.length - 1];
    assert.strictEqual(featureMapsToWire(loss.tensors, loss.geometry, 0), undefined);
  });

  it(`at most ${GALLERY_CHANNELS} channels are sent, the first ones, with the total`, () => {
    const z = randomTensor([1, 300, 2, 2], rng(1));
    const l = trace.layers[0];
    const maps = featureMapsToWire({ z }, l.geometry, 0)!;
    assert.deepStrictEqual([maps.output.channels, maps.output.total, maps.output.ranges.length], [GALLERY_CHANNELS, 300, GALLERY_CHANNELS]);
    assert.strictEqual(maps.output.buffer.byteLength, GALLERY_CHANNELS * 4 * 4);
  });

  it('rejects gallery messages that do not add up: bytes, ranges, kinds', () => {
    const l = trace.layers[0];
    const maps = featureMapsToWire(l.tensors, l.geometry, 0)!;
    assert.throws(() => parseHostMessage({ type: 'featureMaps', requestId: 3, maps: { ...maps, output: { ...maps.output, buffer: new ArrayBuffer(8) } } }), /featureMaps\.maps\.output\.buffer: 8 bytes for shape \(6, 24, 24\) float32/);
    assert.throws(() => parseHostMessage({ type: 'featureMaps', requestId: 3, maps: { ...maps, output: { ...maps.output, ranges: [] } } }), /one range each/);
    const attribution = attributionToWire('gradcam', 0, { height: 2, width: 2, data: new Float64Array([0, 1, 2, 3]), range: { min: 0, max: 3 } });
    parseHostMessage({ type: 'attribution', requestId: 4, attribution });
    assert.throws(() => parseHostMessage({ type: 'attribution', requestId: 4, attribution: { ...attribution, height: 3 } }), /attribution\.attribution\.buffer: 16 bytes for shape \(3, 2\)/);
    parseWebviewMessage({ type: 'requestAttribution', requestId: 5, traceId: 2, kind: 'saliency', item: 0 });
    assert.throws(() => parseWebviewMessage({ type: 'requestAttribution', requestId: 5, traceId: 2, kind: 'occlusion', item: 0 }), /requestAttribution\.kind: expected one of saliency, gradcam/);
    assert.throws(() => parseWebviewMessage({ type: 'requestFeatureMaps', requestId: 5, traceId: 2, item: -1 }), /requestFeatureMaps\.item: expected a non-negative integer/);
  });

  it('a picture only for an image input: a (1, 5) input has none', () => {
    const maps = featureMapsToWire({ z: tensor([1, 2], [1, 2]) }, trace.layers[0].geometry, 0, { ...tensor([1, 5], [1, 2, 3, 4, 5]), axes: [], about: { key: 'layer.input' }, stats: { min: 1, max: 5, nonFinite: 0, mean: 3, std: 1, zeros: 0 } } as never);
    assert.strictEqual(maps?.input, undefined);
  });
});

describe('the attribution job (a worker runs the spec again, lean)', () => {
  it('LeNet: saliency and Grad-CAM at conv1 and conv2 are the engine\'s run\'s, and a bad layer is a failure, not a crash', () => {
    const run = runNetwork(lenetProblem());
    for (const [kind, layer] of [['saliency', 0], ['gradcam', 0], ['gradcam', 3]] as const) {
      const result = runAttributionJob({ file: LENET, text: lenetText, options: {}, attribution: { kind, layer, item: 0 } });
      assert.ok(result.ok, `${kind} at ${layer}: ${result.ok ? '' : result.message}`);
      assert.deepStrictEqual(result.map.data, attributionOf(run, kind, layer, 0).data);
    }
    const bad = runAttributionJob({ file: LENET, text: lenetText, options: {}, attribution: { kind: 'gradcam', layer: 99, item: 0 } });
    assert.ok(!bad.ok && /no gradcam at layer 99/.test(bad.message), JSON.stringify(bad));
  });
});
