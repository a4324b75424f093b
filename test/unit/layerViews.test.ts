// Each kind's view (src/engine/layerKinds/*View.ts) declares every stage its
// kind records, and every word it names is in both language tables: a view
// cannot name a key the panel would print as the key itself.

import * as assert from 'assert';
import { LAYER_TYPES } from '../../src/engine/layerKinds';
import { LossSpec, NetworkLayer, NetworkTrace, traceNetwork } from '../../src/engine/network';
import { DeltaSource, TraceStage, recordedTensors, traceConv } from '../../src/engine/trace';
import type { LayerGeometry, WordArg, Words } from '../../src/engine/layerKinds/view';
import {
  VIEW_KINDS, axisLabels, cellMeaningWords, geometryFactWords, stageExplanation, stageFlow, stageTitleWords, stageViewOf,
} from '../../src/engine/layerKinds/views';
import { PANEL_TEXT } from '../../src/l10n/panelText';
import { randomTensor, rng } from './helpers';

const random = rng(7);
const t = (...shape: number[]) => randomTensor(shape, random);

/** A network with every layer type that reads a feature map, (2, 2, 6, 6) in. */
function everyKind(loss: LossSpec): NetworkTrace {
  const layers: NetworkLayer[] = [
    { type: 'conv2d', weight: t(3, 2, 3, 3), bias: t(3), options: { padding: 1 } },
    { type: 'batchnorm2d', weight: t(3), bias: t(3), eps: 1e-5, momentum: 0.1, training: true },
    { type: 'batchnorm2d', running_mean: t(3), eps: 1e-3, momentum: 0.1, training: false },
    { type: 'relu' },
    // A residual over the batchnorms and the relu, joined along channels with the first batchnorm's output: 6 channels.
    { type: 'add', inputs: [0, 3] }, { type: 'concat', inputs: [4, 1] },
    { type: 'leaky_relu', slope: 0.1 }, { type: 'sigmoid' }, { type: 'tanh' },
    { type: 'relu6' }, { type: 'clip', min: -0.5, max: 0.5 }, { type: 'hardswish' }, { type: 'softmax' },
    { type: 'dropout', p: 0.5 }, { type: 'identity' },
    { type: 'maxpool2d', options: { kernel: 2 } },
    { type: 'avgpool2d', options: { kernel: 2, padding: 1 } },
    { type: 'conv_transpose2d', weight: t(6, 1, 2, 2), bias: t(3), options: { stride: 2, padding: 1, output_padding: 1, dilation: 2, groups: 3 } },
    { type: 'adaptive_avg_pool2d', output_size: [1, 1] }, { type: 'global_avg_pool2d' },
    { type: 'flatten' },
    { type: 'linear', weight: t(2, 3), bias: t(2) }, { type: 'softmax' },
  ];
  return traceNetwork({ input: t(2, 2, 6, 6), layers, loss, dtype: 'float64' });
}

/** The kinds that read a sequence (B, C, L), which a (B, C, H, W) network cannot reach: (2, 2, 9) in. */
function everySequenceKind(loss: LossSpec): NetworkTrace {
  const layers: NetworkLayer[] = [
    { type: 'conv1d', weight: t(4, 1, 3), bias: t(4), options: { padding: 'causal', dilation: 2, groups: 2 } },
    { type: 'relu' },
    // A residual around a "same" conv1d: the sequence keeps its length.
    { type: 'conv1d', weight: t(4, 4, 2), options: { padding: 'same' } }, { type: 'add', inputs: [1, 2] },
    { type: 'conv1d', weight: t(2, 4, 2), options: { stride: 2, padding: 1 } },
    { type: 'flatten' },
    { type: 'linear', weight: t(2, 10), bias: t(2) },
  ];
  return traceNetwork({ input: t(2, 2, 9), layers, loss, dtype: 'float64' });
}

const LOSSES: LossSpec[] = [{ type: 'mse', target: t(2, 2) }, { type: 'cross_entropy', target: [1, 0] }];
const traces = [...LOSSES.map(everyKind), ...LOSSES.map(everySequenceKind)];
const conv = traceConv({ input: t(1, 2, 5, 5), weight: t(4, 1, 3, 3), bias: t(4), options: { stride: 2, padding: 1, dilation: 1, groups: 2 }, dtype: 'float64' });
const layers: { geometry: LayerGeometry; stages: TraceStage[]; names: string[]; shapeOf(n: string): readonly number[] | undefined }[] = [
  ...traces.flatMap(tr => tr.layers.map(l => ({ geometry: l.geometry, stages: l.stages, names: Object.keys(l.tensors), shapeOf: (n: string) => l.tensors[n]?.shape }))),
  { geometry: conv.geometry, stages: conv.stages, names: Object.keys(conv.tensors), shapeOf: (n: string) => conv.tensors[n]?.shape },
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
    const ops = new Set(traces.flatMap(tr => tr.layers.map(l => l.op)));
    for (const type of LAYER_TYPES) assert.ok(ops.has(type), type);
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

  it('a recorded tensor\'s name is a word (the protocol checks names as words)', () => {
    for (const tr of traces) for (const l of tr.layers) for (const x of recordedTensors(l.tensors)) assert.match(x.name, /^\w{1,64}$/);
  });
});
