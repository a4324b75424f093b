// The feature-map gallery's numbers (engine/featureMaps.ts, engine/resample.ts's resizeBilinear): saliency and Grad-CAM of the
// shipped digits model against PyTorch autograd and F.interpolate (test/fixtures/examples/digits_attribution.py),
// and the channel ranges behind the gallery's two scales against plain loops.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { resizeBilinear } from '../../src/engine/resample';
import { attributionOf, canAttribute, channelMaps, gradCam, saliency } from '../../src/engine/featureMaps';
import type { NetworkProblem } from '../../src/engine/network';
import { NetworkRun, runNetwork } from '../../src/engine/networkRun';
import { tensor } from '../../src/engine/tensor';
import { readSpecProblem } from '../../src/specReader/convSpec';
import { nodeSpecFiles } from '../../src/specReader/nodeSpecFiles';
import { JsonSource } from '../../src/specReader/source';
import { readSpecFiles } from '../../src/specReader/specFiles';
import { specFileReferences } from '../../src/specReader/tensorSource';
import { randomTensor, rng } from './helpers';

const ROOT = path.resolve(__dirname, '../../..');

interface Cam { weights: number[]; coarse: number[]; map: number[] }
interface AttributionReference {
  target: number;
  loss: number;
  saliency: number[];
  gradcam: Record<string, Cam>;
  bilinear: { input: number[]; up: number[]; down: number[] };
}
const ref = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/examples/digits_attribution.ref.json'), 'utf8')) as AttributionReference;

/** Every value within `rel` of PyTorch's, relative to its size (and to `scale`, the map's largest, when given). */
function assertNear(actual: ArrayLike<number>, expected: readonly number[], what: string, rel = 1e-4, scale = 0): void {
  assert.strictEqual(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i], expected[i]];
    assert.ok(Math.abs(a - e) <= rel * Math.max(Math.abs(e), scale) + 1e-12, `${what}[${i}]: ${a} vs PyTorch's ${e}`);
  }
}

async function digits(dtype: 'float32' | 'float64'): Promise<NetworkRun> {
  const file = path.join(ROOT, 'examples/digits.conv.json');
  const source = JsonSource.parse(file, fs.readFileSync(file, 'utf8'));
  const files = await readSpecFiles(file, specFileReferences(source.value), nodeSpecFiles, { maxElements: 1e6 });
  return runNetwork(readSpecProblem(source, { dtype }, files) as NetworkProblem);
}

describe('feature maps: saliency and Grad-CAM of examples/digits against PyTorch', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    // float32 rounds every layer: compared relative to each map's largest value.
    const scaleOf = (values: number[]) => (dtype === 'float32' ? Math.max(...values.map(Math.abs)) : 0);
    describe(dtype, () => {
      let run: NetworkRun;
      before(async () => { run = await digits(dtype); });

      it('saliency = max over channels of |∂C/∂x|, on the 8 × 8 digit', () => {
        const map = attributionOf(run, 'saliency', 0, 0);
        assert.deepStrictEqual([map.height, map.width], [8, 8]);
        assertNear(map.data, ref.saliency, 'saliency', 1e-4, scaleOf(ref.saliency));
        assert.strictEqual(map.range.max, Math.max(...map.data));
      });

      for (const layer of Object.keys(ref.gradcam)) {
        it(`Grad-CAM at layers[${layer}] (weights of −δ, ReLU, bilinear to 8 × 8) for class ${ref.target}`, () => {
          const i = Number(layer);
          const cam = gradCam(run.outputs[i], run.gradients!.deltas[i]!, 0, [8, 8]);
          const expected = ref.gradcam[layer];
          assertNear(cam.weights, expected.weights, 'α', 1e-4, scaleOf(expected.weights));
          assertNear(cam.coarse.data, expected.coarse, 'coarse map', 1e-4, scaleOf(expected.coarse));
          assertNear(cam.map.data, expected.map, 'map', 1e-4, scaleOf(expected.map));
          assertNear(attributionOf(run, 'gradcam', i, 0).data, expected.map, 'attributionOf', 1e-4, scaleOf(expected.map));
          // The sign matters: the map of +δ would light what argues against the class.
          assert.ok(Math.max(...expected.map) > 0, 'the reference map is not all zeros');
        });
      }
    });
  }

  it('Grad-CAM is only offered where it means something: an image input, a [B, K, h, w] layer, a δ', async () => {
    const run = await digits('float64');
    assert.ok(canAttribute(run, 'gradcam', 3));
    assert.ok(!canAttribute(run, 'gradcam', 7), 'the linear layer has no spatial map');
    assert.throws(() => attributionOf(run, 'gradcam', 7, 0), /no gradcam at layer 7/);
    assert.throws(() => attributionOf(run, 'saliency', 0, 1), /no batch item 1/);
    const forwardOnly = { ...run, gradients: undefined };
    assert.ok(!canAttribute(forwardOnly, 'saliency', 0), 'no backward pass, no saliency');
  });
});

describe('bilinear resize = F.interpolate(bilinear, align_corners=False)', () => {
  it('3 × 5 up to 7 × 4 and down to 2 × 3', () => {
    const b = ref.bilinear;
    assertNear(resizeBilinear(Float64Array.from(b.input), 1, 3, 5, 7, 4), b.up, 'up', 1e-12);
    assertNear(resizeBilinear(Float64Array.from(b.input), 1, 3, 5, 2, 3), b.down, 'down', 1e-12);
  });

  it('the same size is the identity, and a wrong length is refused', () => {
    const src = Array.from({ length: 12 }, (_, i) => i * i);
    assert.deepStrictEqual([...resizeBilinear(Float64Array.from(src), 1, 3, 4, 3, 4)], src);
    assert.throws(() => resizeBilinear(Float64Array.from(src), 1, 3, 5, 6, 10), /12 values for a 3×5 map/);
  });
});

describe('channel maps: the gallery\'s per-channel and shared scales', () => {
  it('x=[2,3,4,5] item 1: each channel\'s range and the shared one, against loops', () => {
    const t = randomTensor([2, 3, 4, 5], rng(3));
    const maps = channelMaps(t, 1);
    assert.deepStrictEqual([maps.channels, maps.height, maps.width], [3, 4, 5]);
    for (let c = 0; c < 3; c++) {
      const values = Array.from(t.data.subarray(60 + c * 20, 60 + (c + 1) * 20));
      assert.deepStrictEqual(maps.ranges[c], { min: Math.min(...values), max: Math.max(...values) });
      assert.deepStrictEqual([...maps.data.subarray(c * 20, (c + 1) * 20)], values.map(Math.fround));
    }
    const all = Array.from(t.data.subarray(60, 120));
    assert.deepStrictEqual(maps.shared, { min: Math.min(...all), max: Math.max(...all) });
  });

  it('NaN and ±Infinity are left out of the ranges; a channel with no finite value is { 0, 0 }; only the first channels when capped', () => {
    const t = tensor([1, 3, 1, 2], [NaN, 2, Infinity, -Infinity, -1, 5]);
    const maps = channelMaps(t, 0);
    assert.deepStrictEqual(maps.ranges, [{ min: 2, max: 2 }, { min: 0, max: 0 }, { min: -1, max: 5 }]);
    assert.deepStrictEqual(maps.shared, { min: -1, max: 5 });
    assert.strictEqual(channelMaps(t, 0, 2).channels, 2);
  });

  it('[B, F] is one channel of 1 × F; rank 1 has no channels; a missing item is refused', () => {
    const maps = channelMaps(tensor([2, 3], [1, 2, 3, 4, 5, 6]), 1);
    assert.deepStrictEqual([maps.channels, maps.height, maps.width, [...maps.data]], [1, 1, 3, [4, 5, 6]]);
    assert.throws(() => channelMaps(tensor([3], [1, 2, 3]), 0), /rank 1/);
    assert.throws(() => channelMaps(tensor([2, 3], [1, 2, 3, 4, 5, 6]), 2), /no batch item 2/);
  });

  it('saliency keeps NaN (a broken gradient shows as broken)', () => {
    const map = saliency(tensor([1, 2, 1, 2], [NaN, -3, 1, 2]), 0);
    assert.ok(Number.isNaN(map.data[0]));
    assert.strictEqual(map.data[1], 3);
  });
});
