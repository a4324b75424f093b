// Tensor descriptions as data, in both languages. Every key renders in English
// and in Chinese from sample arguments (the sample table is checked complete by
// the compiler); every tensor of real traces (a conv, LeNet, a sequence network, networks with every
// layer kind of the registry, a comparison) reads as Chinese in zh-cn, and together they
// reach every key; the wire carries the structured form and refuses a bad one.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { About, AboutArgs, AboutKey } from '../../src/engine/about';
import { ABOUT_EN } from '../../src/engine/aboutText.en';
import { withComparison } from '../../src/engine/compare';
import { leanTrace } from '../../src/engine/leanTrace';
import { NetworkProblem, isNetworkTrace, traceNetwork } from '../../src/engine/network';
import { runNetwork } from '../../src/engine/networkRun';
import { tensor } from '../../src/engine/tensor';
import type { TraceTensor } from '../../src/engine/trace';
import { aboutText } from '../../src/l10n/panelText';
import { parseHostMessage } from '../../src/protocol/validate';
import { networkToWire, toWire } from '../../src/protocol/wire';
import { AnyTrace, readSpecProblem, traceAnySpecText, traceSpecText } from '../../src/specReader/convSpec';
import { JsonSource } from '../../src/specReader/source';
import { EVERY_LOSS, EVERY_NETWORK, everyKind, missingTypes } from './everyKind';

const CJK = /[\u4e00-\u9fff]/;
const EXAMPLES = path.join(__dirname, '../../../examples');
const example = (file: string) => fs.readFileSync(path.join(EXAMPLES, file), 'utf8');

/** Arguments for every key: a key without a sample does not compile. */
const SAMPLES: { [K in AboutKey]: AboutArgs[K] } = {
  'conv.input': {}, 'conv.weight': {}, 'conv.bias': {}, 'conv.a': {}, 'conv.a_t': {}, 'conv.w_t': {}, 'conv.z_t': {}, 'conv.z': {},
  'conv.delta': {}, 'conv.delta_t': {}, 'conv.dA_t': {}, 'conv.dA_padded': {}, 'conv.col2im_counts': {}, 'conv.dA': {},
  'conv.dW_t': {}, 'conv.dW': {}, 'conv.db': {}, 'conv.delta_full': {}, 'conv.w_rot180': {}, 'conv.dA_rot180': {},
  'compare.yours': { name: 'a_t', reshapedFrom: [9, 27] },
  'compare.difference': { name: 'a_t' },
  'conv1d.input': {}, 'conv1d.a_t': {}, 'conv1d.z_t': {}, 'conv1d.z': {}, 'conv1d.dA_padded': {}, 'conv1d.col2im_counts': {},
  'layer.input': {},
  'activation.z': {},
  'activation.h': { activation: 'sigmoid' },
  'activation.h_prime.relu': {},
  'activation.h_prime.leaky_relu': { slope: 0.2 },
  'activation.h_prime.sigmoid': {},
  'activation.h_prime.tanh': {},
  'activation.h_prime.relu6': {}, 'activation.h_prime.clip': { min: -1, max: 2 }, 'activation.h_prime.hardswish': {},
  'activation.h_prime.hardsigmoid': { alpha: 0.25, beta: 0.5 },
  'activation.delta': {}, 'activation.dZ': {},
  'pool.a.max': {}, 'pool.a.avg': {}, 'pool.pool_t': {}, 'pool.z.max': {}, 'pool.z.avg': {}, 'pool.argmax': {},
  'pool.delta': {}, 'pool.dpool_t.max': {}, 'pool.dpool_t.avg': {}, 'pool.dA': {},
  'flatten.z': {}, 'flatten.delta': {}, 'flatten.dA': {},
  'linear.weight': {}, 'linear.bias': {}, 'linear.w_t': {}, 'linear.z': { bias: true },
  'linear.delta': {}, 'linear.dA': {}, 'linear.dW': {}, 'linear.db': {},
  'batchnorm.mean.train': {}, 'batchnorm.mean.eval': {}, 'batchnorm.var.train': {}, 'batchnorm.var.eval': {},
  'batchnorm.x_hat': { eps: 1e-5 }, 'batchnorm.weight': {}, 'batchnorm.bias': {}, 'batchnorm.z': {},
  'batchnorm.running_mean': { momentum: 0.1 }, 'batchnorm.running_var': { momentum: 0.1 },
  'batchnorm.delta': {}, 'batchnorm.dgamma': {}, 'batchnorm.dbeta': {}, 'batchnorm.dA.train': {}, 'batchnorm.dA.eval': {},
  'convT.input': {}, 'convT.weight': {}, 'convT.bias': {}, 'convT.x_t': {}, 'convT.w_mat': {}, 'convT.z_t': {}, 'convT.z_full': {},
  'convT.col2im_counts': {}, 'convT.z': {}, 'convT.x_full': {}, 'convT.w_rot180': {}, 'convT.z_rot180': {}, 'convT.delta': {},
  'convT.dZ_full': {}, 'convT.dZ_t': {}, 'convT.dX_t': {}, 'convT.dA': {}, 'convT.dW_mat': {}, 'convT.dW': {}, 'convT.db': {},
  'softmax.z': {}, 'softmax.z_max': {}, 'softmax.e': {}, 'softmax.e_sum': {}, 'softmax.p': {}, 'softmax.delta': {}, 'softmax.dot': {}, 'softmax.dZ': {},
  'identity.z': {}, 'identity.h.identity': {}, 'identity.h.dropout': { p: 0.5 }, 'identity.delta': {}, 'identity.dZ': {},
  'globalPool.z': {}, 'globalPool.delta': {}, 'globalPool.dA': {},
  'upsample.z.nearest': {}, 'upsample.z.nearestRule': { transform: 'half_pixel', rounding: 'round_prefer_floor' }, 'upsample.z.bilinear': {}, 'upsample.delta': {}, 'upsample.dA': {},
  'pad.z.constant': {}, 'pad.z.reflect': {}, 'pad.z.replicate': {}, 'pad.delta': {}, 'pad.dA': {},
  'merge.input': { from: 'layers[4]' }, 'add.z': {}, 'concat.z': {}, 'merge.delta': {}, 'add.dA': { from: 'input' }, 'concat.dA': { from: 'layers[1]', start: 2, end: 5 },
  'mul.z': {}, 'mul.by': {}, 'mul.dA': { from: 'layers[3]', other: 'input_1' },
  'loss.z.mse': {}, 'loss.z.cross_entropy': {}, 'loss.target.mse': {}, 'loss.target.cross_entropy': {},
  'loss.value.mse': {}, 'loss.value.cross_entropy': {}, 'loss.probs': {}, 'loss.delta': {},
  'run.input': {}, 'run.output': {}, 'run.delta': {},
};
const SAMPLE_ABOUTS = (Object.keys(SAMPLES) as AboutKey[]).map(key => ({ key, args: SAMPLES[key] }) as About);

/** The math both languages keep as it is (Chinese may name a symbol twice, to say what a formula is). */
const math = (s: string) => [...new Set(s.match(/[∂δ⊙⋆ᵀΣ@]|ROT180|im2col|col2im|softmax|a_t|w_t|z_t|δ_t|h'\(z\)|−∞/g))].sort();

/** Every tensor a trace records, by its qualified name. */
function tensorsOf(trace: AnyTrace): [string, TraceTensor][] {
  const own = (prefix: string, tensors: Partial<Record<string, TraceTensor>>) => Object.entries(tensors).map(([n, t]) => [`${prefix}${n}`, t!] as [string, TraceTensor]);
  return isNetworkTrace(trace) ? trace.layers.flatMap(l => own(`${l.name}.`, l.tensors)) : own('', trace.tensors);
}

describe('tensor descriptions (about) in both languages', () => {
  const seed = traceSpecText('seed.conv.json', example('seed.conv.json'));
  const reshaped = withComparison(seed, 'z', tensor([18], [...seed.tensors.z!.data]));
  const traces: [string, AnyTrace][] = [
    ['seed.conv.json', seed],
    ['lenet.conv.json', traceAnySpecText('lenet.conv.json', example('lenet.conv.json'))],
    ['upsample.conv.json', traceAnySpecText('upsample.conv.json', example('upsample.conv.json'))],
    ['conv1d.conv.json', traceAnySpecText('conv1d.conv.json', example('conv1d.conv.json'))],
    ...EVERY_NETWORK.map((p, i): [string, AnyTrace] => [`every kind, network ${i}`, traceNetwork(p)]),
    ['resnet-block.conv.json', traceAnySpecText('resnet-block.conv.json', example('resnet-block.conv.json'))],
    ['nearest by an ONNX rule', traceAnySpecText('rule.json', JSON.stringify({ input: [[[[1, 2], [3, 4]]]], layers: [{ type: 'upsample2d', scale_factor: 2, coordinate_transformation_mode: 'half_pixel', nearest_mode: 'round_prefer_ceil' }] }))],
    ['a concat', traceAnySpecText('concat.json', JSON.stringify({ input: [[[[1, 2], [3, 4]]]], layers: [{ type: 'relu' }, { type: 'concat', inputs: ['input', 'layers[0]'] }] }))],
    ['a comparison', withComparison(seed, 'z', tensor([1, 2, 3, 3], [...seed.tensors.z!.data]))],
    ['a reshaped comparison', reshaped],
    ['lenet.conv.json run lean, no layer traced yet', leanTrace(runNetwork(readSpecProblem(JsonSource.parse('lenet.conv.json', example('lenet.conv.json'))) as NetworkProblem))],
  ];

  it('the traces have every layer type of the registry', () => assert.deepStrictEqual(missingTypes(), []));

  it('every key renders in English and in Chinese, keeping the math', () => {
    for (const about of SAMPLE_ABOUTS) {
      const english = aboutText(about, 'en');
      const chinese = aboutText(about, 'zh-cn');
      assert.match(english, /\S/, about.key);
      assert.doesNotMatch(english, CJK, about.key);
      assert.match(chinese, CJK, `${about.key}: ${chinese}`);
      assert.deepStrictEqual(math(chinese), math(english), `${about.key}: ${chinese}`);
      for (const value of Object.values(SAMPLES[about.key]).flat()) {
        if (typeof value !== 'boolean') assert.ok(english.includes(String(value)) && chinese.includes(String(value)), `${about.key}: ${value}`);
      }
    }
  });

  it('the arguments choose the words: a linear layer says "+ b" only with a bias, a reshaped tensor names its shape', () => {
    assert.strictEqual(aboutText({ key: 'linear.z', args: { bias: true } }), 'z = input @ W.T + b');
    assert.strictEqual(aboutText({ key: 'linear.z', args: { bias: false } }), 'z = input @ W.T');
    assert.strictEqual(aboutText({ key: 'compare.yours', args: { name: 'z' } }), 'your z');
    assert.strictEqual(aboutText({ key: 'compare.yours', args: { name: 'z', reshapedFrom: [18] } }), "your z, read from (18,) in the engine's shape");
    assert.strictEqual(aboutText({ key: 'activation.h_prime.leaky_relu', args: { slope: 0.2 } }, 'zh-cn'), "导数 h'(z)：z > 0 时为 1，否则为 0.2");
  });

  for (const [label, trace] of traces) {
    it(`every tensor of ${label} reads as Chinese in zh-cn`, () => {
      for (const [name, t] of tensorsOf(trace)) assert.match(aboutText(t.about, 'zh-cn'), CJK, `${name}: ${aboutText(t.about, 'zh-cn')}`);
    });
  }

  it('those traces reach every key (no description is dead)', () => {
    const reached = new Set(traces.flatMap(([, trace]) => tensorsOf(trace).map(([, t]) => t.about.key)));
    assert.deepStrictEqual(Object.keys(ABOUT_EN).filter(k => !reached.has(k as AboutKey)), []);
  });

  describe('on the wire', () => {
    const network = traceNetwork(everyKind(EVERY_LOSS[0]));
    const tensorAt = (about: unknown) => {
      const wire = structuredClone(toWire(seed, 1, 'seed.conv.json', []));
      (wire.tensors[0] as { about: unknown }).about = about;
      return () => parseHostMessage({ type: 'trace', trace: wire });
    };

    it('carries the structured form of a network and a comparison, which validation accepts', () => {
      const msg = parseHostMessage({ type: 'network', network: structuredClone(networkToWire(network, 1, 'every.json', [])) });
      assert.strictEqual(msg.type, 'network');
      if (msg.type !== 'network') return;
      const leaky = msg.network.layers.find(l => l.op === 'leaky_relu')!;
      assert.deepStrictEqual(leaky.trace.tensors.find(t => t.name === 'h_prime')!.about, { key: 'activation.h_prime.leaky_relu', args: { slope: 0.1 } });
      const compared = parseHostMessage({ type: 'trace', trace: structuredClone(toWire(reshaped, 2, 'seed.conv.json', [])) });
      assert.ok(compared.type === 'trace' && compared.trace.tensors.some(t => t.about.key === 'compare.yours' && 'args' in t.about));
    });

    it('rejects an unknown key, the old English string, and arguments that are not names, numbers, flags or shapes', () => {
      assert.throws(tensorAt({ key: 'conv.nope' }), /trace\.trace\.tensors\[0\]\.about\.key: expected one of conv\.input/);
      assert.throws(tensorAt('the input feature map'), /tensors\[0\]\.about: expected an object, got the string/);
      assert.throws(tensorAt({ key: 'activation.h', args: { activation: { toString: 'relu' } } }), /about\.args\.activation: expected a string, number, boolean or shape/);
      assert.throws(tensorAt({ key: 'activation.h_prime.leaky_relu' }), /about\.args: expected an object, got undefined/);
      assert.throws(tensorAt({ key: 'compare.yours', args: { name: 'z', reshapedFrom: [-1] } }), /about\.args\.reshapedFrom\[0\]: expected a non-negative integer/);
      assert.doesNotThrow(tensorAt({ key: 'compare.difference', args: { name: 'dW' } }));
    });
  });
});
