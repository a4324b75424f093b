// Each kind's view (src/engine/layerKinds/*View.ts) declares every stage its
// kind records, and every word it names is in both language tables: a view
// cannot name a key the panel would print as the key itself.

import * as assert from 'assert';
import { NetworkTrace, networkShapes, traceNetwork } from '../../src/engine/network';
import { DeltaSource, TraceStage, recordedTensors, traceConv } from '../../src/engine/trace';
import type { LayerGeometry, LayerIO, WordArg, Words } from '../../src/engine/layerKinds/view';
import {
  VIEW_KINDS, axisLabels, cellMeaningWords, geometryFactWords, hoverLines, stageExplanation, stageFlow, stageTitleWords, stageViewOf,
} from '../../src/engine/layerKinds/views';
import { PANEL_TEXT } from '../../src/l10n/panelText';
import { renderText, renderWords } from '../../src/format/explain';
import { lossKind } from '../../src/engine/layerKinds/loss';
import { EVERY_NETWORK, missingTypes } from './everyKind';
import { randomTensor, rng } from './helpers';

const random = rng(8);
const t = (...shape: number[]) => randomTensor(shape, random);
const problems = EVERY_NETWORK;
const traces: NetworkTrace[] = problems.map(p => traceNetwork(p));
const conv = traceConv({ input: t(1, 2, 5, 5), weight: t(4, 1, 3, 3), bias: t(4), options: { stride: 2, padding: 1, dilation: 1, groups: 2 }, dtype: 'float64' });
const layers: { geometry: LayerGeometry; stages: TraceStage[]; names: string[]; io: LayerIO; shapeOf(n: string): readonly number[] | undefined }[] = [
  ...traces.flatMap(tr => tr.layers.map(l => ({
    geometry: l.geometry, stages: l.stages, names: Object.keys(l.tensors), io: { input: l.inputShape, output: l.outputShape }, shapeOf: (n: string) => l.tensors[n]?.shape,
  }))),
  { geometry: conv.geometry, stages: conv.stages, names: Object.keys(conv.tensors), io: { input: conv.tensors.input!.shape, output: conv.tensors.z!.shape }, shapeOf: (n: string) => conv.tensors[n]?.shape },
];

/** Every key a piece of words names, its arguments' too. */
function keysOf(w: Words | undefined, out: Set<string>): Set<string> {
  if (!w) return out;
  out.add(w.key);
  for (const a of w.args ?? []) if (typeof a === 'object') keysOf(a as Words, out);
  return out;
}
const keysOfText = (a: WordArg | undefined, out: Set<string>) => (typeof a === 'object' ? keysOf(a, out) : out);

describe('layer views: every stage declared, every word in both tables', () => {
  it('the traces cover every layer type and every view', () => {
    assert.deepStrictEqual(missingTypes(), []);
    const kinds = new Set(layers.map(l => l.geometry.kind));
    assert.deepStrictEqual([...kinds].sort(), [...VIEW_KINDS].sort());
  });

  it('every recorded stage is declared by its kind\'s view, with a title, an explanation and a flow showing its outputs', () => {
    for (const l of layers) {
      for (const stage of l.stages) {
        const has = (n: string) => l.names.includes(n);
        assert.ok(stageViewOf(l.geometry, stage.id), `${l.geometry.kind} declares ${stage.id}`);
        assert.ok(stageTitleWords(l.geometry, { stage }), `${stage.id} title`);
        assert.ok(stageExplanation(l.geometry, { stage, has }), `${stage.id} explanation`);
        const flow = stageFlow(l.geometry, { stage, has });
        assert.ok(flow.some(item => 'tensor' in item), `${stage.id} shows a tensor`);
        for (const n of stage.outputs) if (has(n)) assert.ok(flow.some(item => 'tensor' in item && item.tensor === n), `${stage.id} shows ${n}`);
      }
    }
  });

  it('every key a view names is in the English and the Chinese table', () => {
    const keys = new Set<string>();
    for (const l of layers) {
      keysOf({ key: 'cellParts', args: geometryFactWords(l.geometry) ?? [] }, keys);
      for (const line of hoverLines(l.geometry, l.io)) keysOfText(line, keys);
      for (const stage of l.stages) {
        keysOf(stageTitleWords(l.geometry, { stage }), keys);
        for (const delta of ['ones', 'spec', 'loss', 'above', 'sum'] as DeltaSource[]) keysOf(stageExplanation(l.geometry, { stage, delta }), keys);
        for (const item of stageFlow(l.geometry, { stage })) keysOfText('op' in item ? item.op : item.caption, keys);
      }
      for (const name of l.names) {
        const shape = l.shapeOf(name)!;
        // The first and the last cell of each tensor.
        for (const index of [shape.map(() => 0), shape.map(d => d - 1)]) keysOf(cellMeaningWords(l.geometry, name, index), keys);
        const labels = axisLabels(l.geometry, name);
        if (labels.row) assert.strictEqual(typeof labels.row(0), 'string');
      }
    }
    assert.ok(keys.size > 40, `${keys.size} keys`);
    for (const [locale, table] of Object.entries(PANEL_TEXT)) {
      for (const key of keys) assert.ok(Object.hasOwn(table, key), `${locale} has ${key}`);
    }
  });

  it('a layer that records a ROT180 check has a stage that shows it (crossCheck, in words of both tables), and only then', () => {
    for (const tr of traces) {
      for (const l of tr.layers) {
        const checked = l.stages.filter(st => stageViewOf(l.geometry, st.id)?.crossCheck);
        assert.strictEqual(checked.length, (l.conv?.rot180 ?? l.rot180) ? 1 : 0, `${l.op}: stages showing the check: ${checked.map(st => st.id).join(', ')}`);
        for (const st of checked) {
          const { agrees, disagrees } = stageViewOf(l.geometry, st.id)!.crossCheck!;
          for (const [locale, table] of Object.entries(PANEL_TEXT)) {
            for (const key of [agrees, disagrees]) assert.strictEqual(typeof (table as unknown as Record<string, unknown>)[key], 'function', `${locale} words the check: ${key}`);
          }
        }
      }
    }
  });

  it('the shape-only plan carries the geometry each layer records, which its hover reads', () => {
    problems.forEach((problem, i) => {
      const planned = networkShapes(problem);
      const recorded = traces[i].layers.filter(l => l.op !== 'loss');
      assert.deepStrictEqual(planned.map(l => l.geometry), recorded.map(l => l.geometry));
      for (const l of planned) assert.ok(hoverLines(l.geometry, l).length > 0, `${l.op} says something in a hover`);
    });
  });

  it('the loss ends the chain as a kind module: its plan has the geometry and the tensors its record has', () => {
    traces.forEach((tr, i) => {
      const l = tr.layers[tr.layers.length - 1];
      const plan = lossKind.plan(problems[i].loss!, l.inputShape, true);
      assert.deepStrictEqual(plan.geometry, l.geometry);
      assert.deepStrictEqual(plan.tensors.map(p => [p.name, [...p.shape]]), plan.tensors.map(p => [p.name, [...l.tensors[p.name]!.shape]]));
      assert.strictEqual(l.value, tr.loss!.value);
    });
  });

  it('a recorded tensor\'s name is a word (the protocol checks names as words)', () => {
    for (const tr of traces) for (const l of tr.layers) for (const x of recordedTensors(l.tensors)) assert.match(x.name, /^\w{1,64}$/);
  });
});

describe('pooling views: the padding as the layer has it', () => {
  const input = t(1, 1, 5, 6);
  const pool = (options: object) => traceNetwork({ input, layers: [{ type: 'avgpool2d', options: { kernel: 3, stride: 2, ...options } }], dtype: 'float64' }).layers[0];
  const texts = (l: ReturnType<typeof pool>, locale: 'en' | 'zh-cn' = 'en') => {
    const stage = l.stages.find(s => s.id === 'pool_pad')!;
    return [
      ...geometryFactWords(l.geometry)!.map(w => renderWords(w, locale)), ...hoverLines(l.geometry, { input: l.inputShape, output: l.outputShape }).map(h => renderText(h, locale)),
      renderWords(stageExplanation(l.geometry, { stage })!, locale),
    ].join('\n');
  };

  it('uneven padding as [top, bottom, left, right], its sums in the size formula; count_include_pad false said', () => {
    const text = texts(pool({ padding: [2, 0, 0, 1], ceilMode: true, countIncludePad: false }));
    for (const part of ['padding [2, 0, 0, 1]', 'Hout = ceil((5 + 2 + 0 - 1·(3-1) - 1) / 2) + 1 = 3', 'Wout = ceil((6 + 0 + 1 - 1·(3-1) - 1) / 2) + 1 = 3',
      'count_include_pad false', 'padded by [2, 0, 0, 1]', 'not counted']) assert.ok(text.includes(part), `${part} in:\n${text}`);
    assert.ok(texts(pool({ padding: [2, 0, 0, 1], countIncludePad: false }), 'zh-cn').includes('count_include_pad 为 false'));
  });

  it('even padding as (ph, pw), counted in the mean by default', () => {
    const text = texts(pool({ padding: 1 }));
    for (const part of ['padding (1, 1)', 'Hout = floor((5 + 2·1 - 1·(3-1) - 1) / 2) + 1 = 3', 'counted in the mean']) assert.ok(text.includes(part), `${part} in:\n${text}`);
    assert.ok(!text.includes('count_include_pad false'));
  });
});
