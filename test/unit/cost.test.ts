// Every kind's FLOPs and parameters, from its shape-only plan: parameters and the products' FLOPs against
// PyTorch (test/fixtures/torch/torch_cost.py builds the every-kind networks from torch.nn modules), the
// products' FLOPs against the cell sums the trace lists too, the other kinds' against their rule applied to
// what their trace records; and where they show: the hovers, the CLI's text header and the wire.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { totalCost } from '../../src/engine/layerKinds/cost';
import { cellSumIn } from '../../src/engine/layerKinds/views';
import { LayerTrace, NetworkProblem, NetworkTrace, traceNetwork } from '../../src/engine/network';
import { planNetwork } from '../../src/engine/networkPlan';
import { lossKind } from '../../src/engine/layerKinds/loss';
import { thousands } from '../../src/engine/problem';
import { indexOf, sizeOf } from '../../src/engine/tensor';
import { formatNetwork } from '../../src/format/text';
import { en } from '../../src/l10n/en';
import { zhCn } from '../../src/l10n/zh-cn';
import type { WireNetwork } from '../../src/protocol/messages';
import { parseHostMessage } from '../../src/protocol/validate';
import { networkToWire } from '../../src/protocol/wire';
import { analyzeSpec } from '../../src/specReader/convSpec';
import { networkKeyHover } from '../../src/specReader/hoverText';
import { JsonSource } from '../../src/specReader/source';
import { EVERY_LOSS, EVERY_NETWORK, everyKind, everySequenceKind } from './everyKind';

const ROOT = path.join(__dirname, '../../..');
interface TorchLayer { type: string; output: number[]; params: number; flops: number }
const { cases } = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/torch/cost_cases.json'), 'utf8')) as {
  cases: { name: string; layers: TorchLayer[]; losses: { type: string; params: number }[] }[];
};

const PRODUCTS = 'costProducts';
const isProduct = (l: LayerTrace) => l.cost.rule.key === PRODUCTS;

/**
 * Multiply-adds of a product layer: the terms of every cell sum of the matrix product it runs (z_t, or a linear's z;
 * the bias is a constant, not a term). A transposed conv's product makes every column of z_t, also those col2im then
 * crops away, as torch.utils.flop_counter counts it.
 */
function multiplyAdds(l: LayerTrace): number {
  const name = l.tensors.z_t ? 'z_t' : 'z';
  const product = l.tensors[name]!;
  let terms = 0;
  for (let i = 0; i < product.data.length; i++) {
    const sum = cellSumIn(l.geometry, n => l.tensors[n]?.data, n => l.tensors[n]?.shape, { tensor: name, index: indexOf(product.shape, i) });
    terms += sum!.terms.length;
  }
  return terms;
}

/** The other kinds' rules (their modules and README say them) applied to what their trace records. */
function ruleFlops(l: LayerTrace): number {
  const size = (name: string) => sizeOf(l.tensors[name as 'z']!.shape);
  switch (l.op) {
    case 'relu': case 'leaky_relu': case 'sigmoid': case 'tanh': case 'relu6': case 'clip': case 'hardswish': case 'hardsigmoid': return size('h');
    case 'mul': return size('z');
    case 'softmax': return 5 * size('p');
    case 'batchnorm2d': return (l.tensors.running_mean ? 8 : 4) * size('z');
    // pool_t holds each window (padding included) in a row: max compares kh·kw − 1 times, average adds as often and divides once.
    case 'maxpool2d': return size('pool_t') - size('z');
    case 'avgpool2d': return size('pool_t');
    case 'global_avg_pool2d': case 'adaptive_avg_pool2d': return size('input');
    case 'add': return (l.inputs.length - 1) * size('z');
    case 'concat': case 'flatten': case 'reshape': case 'identity': case 'dropout': case 'pad2d': return 0;
    // Three lerps per output cell for bilinear; nearest copies.
    case 'upsample2d': return (l.geometry.info as { mode: string }).mode === 'bilinear' ? 9 * size('z') : 0;
    case 'loss': return l.tensors.probs ? 5 * size('probs') : 3 * size('z');
    default: throw new Error(`no rule for ${l.op}`);
  }
}

describe('cost: FLOPs and parameters', () => {
  const networks: [string, NetworkProblem][] = [['every kind', everyKind(EVERY_LOSS[0])], ['every sequence kind', everySequenceKind(EVERY_LOSS[0])]];

  it('every kind\'s parameters are its PyTorch module\'s sum(p.numel()), and its products\' FLOPs PyTorch\'s count', () => {
    for (const [name, problem] of networks) {
      const torch = cases.find(c => c.name === name)!;
      const plan = planNetwork(problem);
      assert.strictEqual(plan.layers.length, torch.layers.length, name);
      plan.layers.forEach((l, i) => {
        const at = `${name}: layers[${i}] ${l.op}`;
        // The fixture builds the same network: each layer's type and output shape.
        assert.deepStrictEqual([l.op, l.output], [torch.layers[i].type, torch.layers[i].output], at);
        assert.strictEqual(l.cost.params, torch.layers[i].params, at);
        // flop_counter counts products only: the other kinds' FLOPs are their own rule's.
        if (l.cost.rule.key === PRODUCTS) assert.strictEqual(l.cost.flops, torch.layers[i].flops, at);
        else assert.strictEqual(torch.layers[i].flops, 0, at);
      });
      assert.ok(plan.layers.some(l => l.cost.rule.key === PRODUCTS && l.cost.flops > 0), name);
    }
    for (const loss of EVERY_LOSS) {
      const params = cases[0].losses.find(l => l.type === loss.type)!.params;
      assert.strictEqual(lossKind.plan(loss, [2, 2], true).cost.params, params, loss.type);
    }
  });

  it('a product\'s FLOPs are 2 per term of the cell sums of its matrix product; every other kind counts by its rule', () => {
    const seen = new Set<string>();
    for (const problem of EVERY_NETWORK) {
      for (const l of traceNetwork(problem).layers) {
        seen.add(l.op);
        assert.strictEqual(l.cost.flops, isProduct(l) ? 2 * multiplyAdds(l) : ruleFlops(l), `${l.name} ${l.op}`);
      }
    }
    for (const op of ['conv2d', 'conv1d', 'conv_transpose2d', 'linear', 'loss']) assert.ok(seen.has(op), op);
  });

  it('every kind\'s rule is words both language tables have', () => {
    const rules = EVERY_NETWORK.flatMap(p => traceNetwork(p).layers.map(l => l.cost.rule.key));
    for (const key of new Set(rules)) {
      assert.ok(key in en && key in zhCn, key);
    }
  });

  it('the hover on "layers" sums the layers\' costs, and a layer\'s hover says its rule, in English and Chinese', () => {
    const analysis = analyzeSpec(JsonSource.parse('lenet.conv.json', fs.readFileSync(path.join(ROOT, 'examples/lenet.conv.json'), 'utf8')));
    const layers = analysis.layers!;
    const total = totalCost(layers.map(l => l.cost));
    assert.ok(total.flops > 0 && total.params > 0);
    for (const [locale, table] of [['en', en], ['zh-cn', zhCn]] as const) {
      assert.ok(networkKeyHover(['layers'], analysis, locale)!.includes(table.hoverNetworkCost(thousands(total.flops), thousands(total.params))), locale);
      // layers[2] is a max pooling of 2×2 windows: 3 comparisons each.
      const pool = layers[2];
      assert.strictEqual(pool.op, 'maxpool2d');
      const hover = networkKeyHover(['layers', 2], analysis, locale)!;
      assert.ok(hover.includes(table.hoverCost(thousands(sizeOf(pool.output) * 3), 0, table.costMaxPool(3))), hover);
    }
  });

  it('the CLI\'s text header gives each layer\'s FLOPs and parameters and the layers\' total, the loss not in it', () => {
    const trace = traceNetwork(everySequenceKind(EVERY_LOSS[1]));
    const text = formatNetwork(trace, []);
    for (const l of trace.layers) assert.match(text, new RegExp(`^  ${l.name.replace(/[[\]]/g, '\\$&')} .*${en.layerCost(thousands(l.cost.flops), thousands(l.cost.params))}`, 'm'));
    const total = totalCost(trace.layers.slice(0, -1).map(l => l.cost));
    assert.ok(text.split('\n').includes(en.hoverNetworkCost(thousands(total.flops), thousands(total.params))), text);
  });

  it('the wire carries each layer\'s cost through the protocol\'s checks, and refuses one without it', () => {
    const trace: NetworkTrace = traceNetwork(everyKind(EVERY_LOSS[1]));
    const wire = (parseHostMessage({ type: 'network', network: structuredClone(networkToWire(trace, 1, 'every.json', [])) }) as { network: WireNetwork }).network;
    assert.deepStrictEqual(wire.layers.map(l => l.cost), trace.layers.map(l => ({ flops: l.cost.flops, params: l.cost.params })));
    const negative = structuredClone(networkToWire(trace, 1, 'every.json', []));
    negative.layers[0].cost = { flops: -1, params: 3 };
    assert.throws(() => parseHostMessage({ type: 'network', network: negative }), /layers\[0\]\.cost\.flops/);
    const without: { layers: { cost?: unknown }[] } = structuredClone(networkToWire(trace, 1, 'every.json', []));
    delete without.layers[1].cost;
    assert.throws(() => parseHostMessage({ type: 'network', network: without }), /layers\[1\]\.cost/);
  });
});
