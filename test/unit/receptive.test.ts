// Receptive fields across layers (src/engine/receptive.ts and each kind's `receptive` and `field`), against brute
// force: a layer's rule is the set of input cells whose change changes the output cell (each input cell set to
// +∞ and nudged, on random inputs and non-zero weights, the layer's own forward pass run); the whole stack is
// those per-layer dependence sets composed naively down the graph; the recurrence's size and stride are the
// box the exact cells make.

import * as assert from 'assert';
import * as path from 'path';
import { inputOfName } from '../../src/engine/graph';
import { kindOf } from '../../src/engine/layerKinds';
import { isMergeKind } from '../../src/engine/layerKinds/kind';
import { viewOf } from '../../src/engine/layerKinds/views';
import type { NetworkProblem } from '../../src/engine/network';
import { LayerPlan, planNetwork } from '../../src/engine/networkPlan';
import { FieldLayer, layerFields, receptiveRegions } from '../../src/engine/receptive';
import { Field, Region } from '../../src/engine/region';
import { Tensor, sizeOf, tensor } from '../../src/engine/tensor';
import { analyzeSpec } from '../../src/specReader/convSpec';
import { networkKeyHover } from '../../src/specReader/hoverText';
import { collectNetworkSpec } from '../../src/specReader/networkSpec';
import { nodeSpecFiles } from '../../src/specReader/nodeSpecFiles';
import { JsonSource } from '../../src/specReader/source';
import { readRegularFile, readSpecFiles } from '../../src/specReader/specFiles';
import { specFileReferences } from '../../src/specReader/tensorSource';
import { EVERY_NETWORK } from './everyKind';
import { rng } from './helpers';

const ROOT = path.resolve(__dirname, '../../..');

async function exampleProblem(name: string): Promise<NetworkProblem> {
  const file = path.join(ROOT, 'examples', name);
  const source = JsonSource.parse(file, new TextDecoder().decode(await readRegularFile(nodeSpecFiles, file)));
  const files = await readSpecFiles(file, specFileReferences(source.value), nodeSpecFiles, { maxElements: 1e7 });
  const r = collectNetworkSpec(source, files);
  assert.ok(r.problem, `${name}: ${String(r.problems[0])}`);
  return r.problem;
}

/** Random values in (0.1, 0.4): every activation is on its slope there (relu passes, clip and hardswish bend nothing away). */
function positive(shape: readonly number[], random: () => number): Tensor {
  return tensor([...shape], Array.from({ length: sizeOf(shape) }, () => 0.1 + 0.3 * random()));
}

/** The layer with every weight replaced by random non-zero values, so no tap reads its input times 0. */
function nonZeroWeights<S extends object>(spec: S, random: () => number): S {
  const out = { ...spec } as Record<string, unknown>;
  const w = out.weight as Tensor | undefined;
  if (w && w.shape) out.weight = tensor([...w.shape], Array.from(w.data, () => (random() < 0.5 ? -1 : 1) * (0.2 + 0.8 * random())));
  return out as S;
}

/** Which output cells change (bit for bit) when each cell of each input changes: deps[j][k] lists the output offsets. */
function bruteDependence(problem: NetworkProblem, plan: LayerPlan, index: number, random: () => number): number[][][] {
  const spec = nonZeroWeights(problem.layers[index], random);
  const kind = kindOf(spec);
  const inputs = plan.inputs.map(x => positive(x.shape, random));
  const forward = (xs: Tensor[]) => (isMergeKind(kind) ? kind.forward(spec, xs, plan) : kind.forward(spec, xs[0], plan)).output.data;
  const base = forward(inputs);
  return inputs.map((x, j) => Array.from(x.data, (v, k) => {
    const changed = new Set<number>();
    for (const nudged of [Infinity, v + 0.05]) {
      const data = Float64Array.from(x.data);
      data[k] = nudged;
      const out = forward(inputs.map((y, m) => (m === j ? { ...y, data } : y)));
      out.forEach((o, n) => { if (!Object.is(o, base[n])) changed.add(n); });
    }
    return [...changed];
  }));
}

/** For each output offset, the offsets of each input it depends on (deps turned around). */
function readsOf(deps: number[][][], outputs: number): number[][][] {
  const reads = Array.from({ length: outputs }, () => deps.map((): number[] => []));
  deps.forEach((perInput, j) => perInput.forEach((outs, k) => outs.forEach(n => reads[n][j].push(k))));
  return reads;
}

const fieldLayers = (plan: LayerPlan[]): FieldLayer[] => plan;

/** Some output cells of a tensor: all of a small one, else a deterministic sample with the corners. */
function sampleOffsets(count: number, random: () => number, most = 120): number[] {
  if (count <= most) return Array.from({ length: count }, (_, k) => k);
  return [0, count - 1, ...Array.from({ length: most - 2 }, () => Math.floor(random() * count))];
}

const offsetsOf = (r: Region) => r.cells().map(index => r.offset(index));

interface Case { name: string; problem: () => Promise<NetworkProblem> }

const CASES: Case[] = [
  { name: 'every kind', problem: async () => EVERY_NETWORK[0] },
  { name: 'every sequence kind', problem: async () => EVERY_NETWORK[2] },
  { name: 'LeNet', problem: () => exampleProblem('lenet.conv.json') },
  { name: 'resnet-block', problem: () => exampleProblem('resnet-block.conv.json') },
  { name: 'unet-up', problem: () => exampleProblem('unet-up.conv.json') },
];

describe('receptive fields across layers', () => {
  for (const c of CASES) {
    describe(c.name, () => {
      let problem: NetworkProblem;
      let plan: LayerPlan[];
      let reads: number[][][][];
      before(async function () {
        this.timeout(60000);
        problem = await c.problem();
        plan = planNetwork(problem, false).layers;
        const random = rng(16);
        reads = plan.map((l, i) => readsOf(bruteDependence(problem, l, i, random), sizeOf(l.output)));
      });

      it('each kind\'s rule one layer down is the input cells whose change changes the output cell', () => {
        const random = rng(3);
        plan.forEach((l, i) => {
          const view = viewOf(l.geometry);
          assert.ok(view.receptive, `${l.op} states no receptive rule`);
          for (const n of sampleOffsets(reads[i].length, random)) {
            const out = new Region(l.output);
            out.lit[n] = 1;
            const regions = view.receptive(l.geometry.info, out, l.inputs.map(x => x.shape));
            regions.forEach((r, j) => assert.deepStrictEqual(offsetsOf(r), [...reads[i][n][j]].sort((a, b) => a - b),
              `layers[${i}] (${l.op}) output cell ${out.cells()[0].join(', ')}, input ${j}`));
          }
        });
      });

      it('a cell\'s field in every layer below and in the input is the layers\' dependences composed down the graph', () => {
        const random = rng(5);
        plan.forEach((l, from) => {
          for (const n of sampleOffsets(reads[from].length, random, 12)) {
            // Naively: the set of each layer's output, from the layer down, each cell adding what it reads.
            const naive = plan.map(() => new Set<number>());
            const naiveInput = new Set<number>();
            naive[from].add(n);
            for (let i = from; i >= 0; i--) {
              for (const cell of naive[i]) {
                plan[i].inputs.forEach((x, j) => {
                  const source = inputOfName(x.name);
                  for (const k of reads[i][cell][j]) (source === 'input' ? naiveInput : naive[source as number]).add(k);
                });
              }
            }
            const out = new Region(l.output);
            out.lit[n] = 1;
            const got = receptiveRegions(problem.input.shape, fieldLayers(plan), from, out);
            const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
            assert.deepStrictEqual(offsetsOf(got.input), sorted(naiveInput), `layers[${from}] cell ${n}: the input`);
            got.layers.forEach((r, i) => assert.deepStrictEqual(r ? offsetsOf(r) : [], i <= from ? sorted(naive[i]) : [], `layers[${from}] cell ${n}: layers[${i}]`));
          }
        });
      });
    });
  }

  /** Per spatial axis, the first and last input row (column) a region of the input holds. */
  function box(r: Region): [number, number][] {
    const spatial = r.shape.slice(2);
    const lo = spatial.map(() => Infinity);
    const hi = spatial.map(() => -Infinity);
    r.forEach(index => index.slice(2).forEach((v, d) => { lo[d] = Math.min(lo[d], v); hi[d] = Math.max(hi[d], v); }));
    return lo.map((v, d) => [v, hi[d]]);
  }

  /** The network's spatial layers (up to a flatten) on a bigger input of the same channels, so that more windows miss the borders. */
  function enlarged(problem: NetworkProblem, side: number): NetworkProblem {
    const spatial = planNetwork(problem, false).layers.findIndex(l => l.output.length < 3);
    const shape = [...problem.input.shape.slice(0, 2), ...problem.input.shape.slice(2).map(() => side)];
    return { input: tensor(shape, new Array<number>(sizeOf(shape)).fill(0)), layers: spatial < 0 ? problem.layers : problem.layers.slice(0, spatial), dtype: problem.dtype };
  }

  /**
   * Along each spatial axis, over the output positions (all channels) whose field stays off the input's borders: the
   * largest box is the field's size, and the box moves by the field's jump per output cell.
   */
  function assertFieldIsTheBox(problem: NetworkProblem, what: string): number {
    const plan = planNetwork(problem, false).layers;
    const fields = layerFields(problem.input.shape, plan);
    let checked = 0;
    plan.forEach((l, from) => {
      const f: Field = fields[from];
      if (f === 'whole' || !f.jump || l.output.length < 3) return;
      f.size.forEach((size, d) => {
        const spatial = l.output.slice(2);
        const inner = problem.input.shape[2 + d];
        const boxes: { u: number; lo: number; hi: number }[] = [];
        for (let u = 0; u < spatial[d]; u++) {
          // Every channel at the position: a merge's channels come down different paths.
          const out = new Region(l.output);
          for (let c = 0; c < l.output[1]; c++) out.add([0, c, ...spatial.map((s, e) => (e === d ? u : Math.floor(s / 2)))]);
          const [lo, hi] = box(receptiveRegions(problem.input.shape, plan, from, out).input)[d];
          if (lo > 0 && hi < inner - 1) boxes.push({ u, lo, hi });
        }
        if (boxes.length < 2) return;
        const where = `${what} layers[${from}] (${l.op}) axis ${d}`;
        assert.strictEqual(Math.max(...boxes.map(b => b.hi - b.lo + 1)), size, `${where}: size`);
        const [first, last] = [boxes[0], boxes[boxes.length - 1]];
        const moved = (last.lo - first.lo) / (last.u - first.u);
        assert.ok(Math.abs(moved - f.jump![d]) <= 1 / (last.u - first.u), `${where}: moves ${moved} per cell, jump ${f.jump![d]}`);
        checked++;
      });
    });
    return checked;
  }

  it('each layer\'s receptive field size and stride (the recurrence) are those of the cells it reads, on LeNet, resnet-block and unet-up', async () => {
    const lenet = await exampleProblem('lenet.conv.json');
    let checked = assertFieldIsTheBox(enlarged(lenet, 40), 'LeNet');
    checked += assertFieldIsTheBox(enlarged(await exampleProblem('resnet-block.conv.json'), 16), 'resnet-block');
    checked += assertFieldIsTheBox(enlarged(await exampleProblem('unet-up.conv.json'), 24), 'unet-up');
    assert.ok(checked >= 20, `only ${checked} axes checked`);
  });

  it('a layer\'s hover in the editor says its receptive field size and stride, in English and in Chinese', async () => {
    const file = path.join(ROOT, 'examples/lenet.conv.json');
    const analysis = analyzeSpec(JsonSource.parse(file, new TextDecoder().decode(await readRegularFile(nodeSpecFiles, file))));
    assert.ok(analysis.layers, String(analysis.problems[0]));
    const fields = layerFields(analysis.layers[0].input, analysis.layers);
    analysis.layers.forEach((l, i) => {
      const f = fields[i];
      const [en, zh] = [networkKeyHover(['layers', i], analysis)!, networkKeyHover(['layers', i], analysis, 'zh-cn')!];
      if (f === 'whole') {
        assert.ok(en.includes('receptive field: all of the input') && zh.includes('感受野：整个输入'), `layers[${i}] (${l.op}): ${en}`);
        return;
      }
      const size = f.size.join('×');
      if (!f.jump) {
        assert.ok(en.includes(`receptive field ${size} of the input`) && zh.includes(`感受野为输入的 ${size}`), `layers[${i}] (${l.op}): ${en}`);
        return;
      }
      assert.ok(f.jump.every(j => j === f.jump![0]), 'LeNet\'s strides are square');
      assert.ok(en.includes(`receptive field ${size} of the input, stride ${f.jump[0]}`), `layers[${i}] (${l.op}): ${en}`);
      assert.ok(zh.includes(`感受野为输入的 ${size}，步长 ${f.jump[0]}`), `layers[${i}] (${l.op}): ${zh}`);
    });
  });
});
