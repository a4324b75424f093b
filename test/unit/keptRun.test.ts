// The network run a trace worker keeps for the panel (src/extension/trace/keptRun.ts): its first screen is the run,
// lean; a layer opened is traced alone and must be the layer traceNetwork records; attributions read the kept run
// and must be the ones the spec run again gives; the run's own buffers are never handed away with an answer.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { LayerTrace, NetworkProblem, isNetworkTrace, traceNetwork } from '../../src/engine/network';
import { wholeArrays } from '../../src/engine/recycledBuffers';
import { runNetwork, traceRunLayer } from '../../src/engine/networkRun';
import type { Tensor } from '../../src/engine/tensor';
import { recordedTensors } from '../../src/engine/trace';
import { OPENED_WITH_RUN_FLOPS, RunKeeper } from '../../src/extension/trace/keptRun';
import { nodeTraceWorkers } from '../../src/extension/trace/nodeTraceWorkers';
import { resultBuffers, reusableArrays, runAttributionJob, runWorkerJob } from '../../src/extension/trace/traceJob';
import { runKeptTrace } from '../../src/extension/trace/traceRunner';
import { layerToWire, networkToWire } from '../../src/protocol/wire';
import { parseHostMessage } from '../../src/protocol/validate';
import { readSpecProblem } from '../../src/specReader/convSpec';
import { assertClose } from './helpers';
import { nodeSpecFiles } from '../../src/specReader/nodeSpecFiles';
import { JsonSource } from '../../src/specReader/source';
import { readSpecFiles } from '../../src/specReader/specFiles';
import { specFileReferences } from '../../src/specReader/tensorSource';

const ROOT = path.join(__dirname, '../../..');
const example = (name: string) => ({ file: path.join(ROOT, 'examples', name), text: fs.readFileSync(path.join(ROOT, 'examples', name), 'utf8') });
const WORKER = nodeTraceWorkers(path.join(ROOT, 'dist/traceWorker.js'));

/** The largest finite |value| (max pooling's padding is −∞). */
const maxAbs = (t: Tensor) => Array.from(t.data).reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);

/**
 * A layer's tensors against traceNetwork's: the same names, the values within float64 rounding (the run's δs come
 * from the kinds' fast backward kernels, the trace's from its stages: the same sums in another order).
 */
function assertSameTensors(actual: LayerTrace['tensors'], expected: LayerTrace['tensors'], what: string): void {
  assert.deepStrictEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${what}: its tensors`);
  for (const [name, t] of Object.entries(expected)) assertClose(actual[name as keyof typeof actual]!, t!, 1e-10 * Math.max(1, maxAbs(t!)), `${what}.${name}`);
}

describe('the kept network run (a layer traced when opened)', () => {
  for (const name of ['lenet.conv.json', 'resnet-block.conv.json', 'unet-up.conv.json']) {
    it(`${name}: the lean first screen names every layer with its output and δ; each layer traced on request is traceNetwork's`, () => {
      const { file, text } = example(name);
      const keeper = new RunKeeper();
      const first = runWorkerJob({ file, text, options: {}, keep: true }, keeper);
      assert.ok(first.ok && 'kept' in first && first.kept, JSON.stringify(!first.ok && first.message));
      const problem = readSpecProblem(JsonSource.parse(file, text)) as NetworkProblem;
      const full = traceNetwork(problem);
      const engineRun = runNetwork(problem);
      const lean = first.trace as typeof full;
      assert.strictEqual(lean.layers.length, full.layers.length);
      assert.deepStrictEqual(lean.loss, full.loss);
      const wire = networkToWire(lean, 1, name, []);
      parseHostMessage(structuredClone({ type: 'network', network: wire }));
      full.layers.forEach((l, i) => {
        const shell = lean.layers[i];
        if (l.op === 'loss') return;
        assert.ok(shell.lean && shell.stages.length === 0 && wire.layers[i].lean);
        assert.deepStrictEqual([shell.title, shell.geometry, shell.cost, shell.deltaSource, shell.deltaFrom], [l.title, l.geometry, l.cost, l.deltaSource, l.deltaFrom]);
        // What the shell keeps is what the trace records under the same names.
        for (const [k, t] of Object.entries(shell.tensors)) assertClose(t!, l.tensors[k as keyof typeof l.tensors]!, 1e-10 * Math.max(1, maxAbs(t!)), `${name} layers[${i}].${k}`);
        const traced = runWorkerJob({ traceLayer: i }, keeper);
        assert.ok(traced.ok && 'layer' in traced, JSON.stringify(!traced.ok && traced.message));
        assert.deepStrictEqual(traced.layer.stages, l.stages, `${name} layers[${i}] stages`);
        assertSameTensors(traced.layer.tensors, l.tensors, `${name} layers[${i}]`);
        assert.deepStrictEqual(traced.layer, traceRunLayer(engineRun, i), `${name} layers[${i}]: the engine's traceRunLayer`);
        const agrees = (x: LayerTrace) => (x.rot180 ?? x.conv?.rot180)?.agrees;
        assert.deepStrictEqual([traced.layer.deltaSource, traced.layer.deltaFrom, agrees(traced.layer)], [l.deltaSource, l.deltaFrom, agrees(l)]);
        // The run's own tensors go to the host as copies: handing them over would empty the run.
        const kept = keeper.buffers();
        assert.ok(resultBuffers(traced, keeper).every(b => !kept.has(b)));
        assert.ok(recordedTensors(traced.layer.tensors).some(t => kept.has(t.data.buffer)), 'a traced layer records some of the run\'s own tensors');
      });
      const bad = runWorkerJob({ traceLayer: 99 }, keeper);
      assert.ok(!bad.ok && /no layer 99/.test(bad.message));
    });
  }

  it('the layer the panel will open comes traced with the run (the loss, a missing layer: none), its run\'s buffers kept', () => {
    const { file, text } = example('lenet.conv.json');
    const problem = readSpecProblem(JsonSource.parse(file, text)) as NetworkProblem;
    const full = traceNetwork(problem);
    for (const index of [0, 2, problem.layers.length - 1]) {
      const keeper = new RunKeeper();
      const result = runWorkerJob({ file, text, options: {}, keep: true, openLayer: index }, keeper);
      assert.ok(result.ok && 'opened' in result && result.opened, `layers[${index}] opened`);
      assert.strictEqual(result.opened.index, index);
      assert.deepStrictEqual(result.opened.layer.stages, full.layers[index].stages);
      assertSameTensors(result.opened.layer.tensors, full.layers[index].tensors, `layers[${index}] opened`);
      // The network itself stays lean: the opened layer is sent beside it, and its shell comes back when another opens.
      assert.ok((result.trace as typeof full).layers[index].lean);
      const kept = keeper.buffers();
      const handed = resultBuffers(result, keeper);
      assert.ok(handed.every(b => !kept.has(b)), 'none of the run\'s own buffers handed away');
      assert.ok(recordedTensors(result.opened.layer.tensors).some(t => handed.includes(t.data.buffer as ArrayBuffer)), 'the opened layer\'s own tensors handed over');
      // On the wire: the network with the layer beside it, under the lean layer's trace id (any other is refused).
      const network = networkToWire(result.trace as typeof full, 1, 'lenet', []);
      const opened = { index, layer: layerToWire(result.opened.layer, 2 + index, 'lenet', 'float64', { bytes: 1 << 24 }) };
      parseHostMessage(structuredClone({ type: 'network', network: { ...network, opened } }));
      const elsewhere = { ...opened, index: index + 1 };
      assert.throws(() => parseHostMessage(structuredClone({ type: 'network', network: { ...network, opened: elsewhere } })), /opened\.index: expected a lean layer of the network/);
    }
    // The loss (no layer of the run's problem), a layer that is not there, a bad index: the network alone.
    for (const index of [full.layers.length - 1, 99, -1, 1.5]) {
      const result = runWorkerJob({ file, text, options: {}, keep: true, openLayer: index }, new RunKeeper());
      assert.ok(result.ok && 'kept' in result && !('opened' in result), `openLayer ${index}`);
    }
  });

  it('a layer too big to hold the chain back for is left to the panel\'s request; a small one after it comes traced', () => {
    // (1, 16, 48, 48) ⋆ (K, 16, 3, 3): 2 · 16 · 9 · K · 46² FLOPs, under the limit with 16 kernels, over it with 40.
    const values = (n: number, k: number) => Array.from({ length: n }, (_, i) => ((i * 7919 + k) % 13) / 13 - 0.5);
    const nest = (flat: number[], shape: number[]): unknown => (shape.length === 1 ? flat : Array.from({ length: shape[0] }, (_, i) => {
      const size = flat.length / shape[0];
      return nest(flat.slice(i * size, (i + 1) * size), shape.slice(1));
    }));
    const spec = (kernels: number) => JSON.stringify({
      input: nest(values(16 * 48 * 48, 1), [1, 16, 48, 48]),
      layers: [{ type: 'conv2d', weight: nest(values(kernels * 16 * 9, 2), [kernels, 16, 3, 3]) }, { type: 'relu' }],
    });
    const flops = (kernels: number) => 2 * 16 * 9 * kernels * 46 * 46;
    assert.ok(flops(16) < OPENED_WITH_RUN_FLOPS && flops(40) > OPENED_WITH_RUN_FLOPS);
    for (const [kernels, layer, opened] of [[16, 0, true], [40, 0, false], [40, 1, true]] as const) {
      const result = runWorkerJob({ file: 'big.conv.json', text: spec(kernels), options: {}, keep: true, openLayer: layer }, new RunKeeper());
      assert.ok(result.ok && 'kept' in result, `${kernels} kernels: ${!result.ok && result.message}`);
      assert.strictEqual('opened' in result, opened, `${kernels} kernels, layers[${layer}]`);
    }
  });

  it('a run after a dropped one takes the dropped run\'s arrays for its forward pass: the same values, fewer new arrays', () => {
    const { file, text } = example('lenet.conv.json');
    const keeper = new RunKeeper();
    const first = runWorkerJob({ file, text, options: {}, keep: true }, keeper);
    assert.ok(first.ok);
    const before = keeper.buffers();
    runWorkerJob({ dropRun: true }, keeper);
    const second = runWorkerJob({ file, text, options: {}, keep: true }, keeper);
    assert.ok(second.ok && 'trace' in second);
    const shared = [...keeper.buffers()].filter(b => before.has(b));
    // LeNet's 8 layers: their outputs made on the dropped run's arrays (flatten's copy too: copyOf).
    assert.ok(shared.length >= 4, `${shared.length} arrays of the dropped run taken`);
    assert.deepStrictEqual(second.trace, first.ok && 'trace' in first ? first.trace : undefined);
    // Without a drop in between, nothing is handed on.
    const third = runWorkerJob({ file, text, options: {}, keep: true }, keeper);
    assert.ok(third.ok);
    assert.ok([...keeper.buffers()].every(b => !before.has(b)));
  });

  it('a dropped run\'s arrays wait for the next run a while, then go (the idle worker\'s memory back)', async () => {
    const { file, text } = example('lenet.conv.json');
    const keeper = new RunKeeper(40);
    const rerun = () => {
      const r = runWorkerJob({ file, text, options: {}, keep: true }, keeper);
      assert.ok(r.ok && 'trace' in r);
      return (r as { reusedBytes?: number }).reusedBytes ?? 0;
    };
    rerun();
    runWorkerJob({ dropRun: true }, keeper);
    assert.ok(rerun() > 0, 'a run right after the drop takes the dropped run\'s arrays');
    runWorkerJob({ dropRun: true }, keeper);
    await new Promise(resolve => setTimeout(resolve, 100));
    assert.strictEqual(rerun(), 0, 'after the wait, none are left to take');
  });

  it('a re-run makes the lean trace\'s copies in the arrays of the lean trace it replaces (TraceJob.reuse), whatever they held', () => {
    const { file, text } = example('lenet.conv.json');
    const keeper = new RunKeeper();
    const first = runWorkerJob({ file, text, options: { dtype: 'float32' }, keep: true }, keeper);
    assert.ok(first.ok && 'trace' in first && isNetworkTrace(first.trace));
    const expected = structuredClone(first.trace);
    const reuse = reusableArrays(first.trace);
    for (const d of reuse) d.fill(Number.NaN); // The panel let it go: what it held is nobody's.
    runWorkerJob({ dropRun: true }, keeper);
    const second = runWorkerJob({ file, text, options: { dtype: 'float32' }, keep: true, reuse }, keeper);
    assert.ok(second.ok && 'trace' in second && isNetworkTrace(second.trace));
    assert.deepStrictEqual(second.trace, expected);
    const lean = wholeArrays(second.trace.layers.filter(l => l.lean).flatMap(l => recordedTensors(l.tensors)));
    const given = new Set<unknown>(reuse);
    assert.ok(lean.length >= 8 && lean.every(d => given.has(d)), `${lean.filter(d => given.has(d)).length} of the ${lean.length} copies in the arrays given`);
    // None of them is the run's own: the panel gets them, the run keeps its own.
    const own = keeper.buffers();
    assert.ok(lean.every(d => !own.has(d.buffer)));
    assert.ok(second.reusedBytes! >= lean.reduce((n, d) => n + d.byteLength, 0));
  });

  it('a single conv is traced whole, nothing kept; a keeper with no run says so', () => {
    const { file, text } = example('seed.conv.json');
    const keeper = new RunKeeper();
    const result = runWorkerJob({ file, text, options: {}, keep: true }, keeper);
    assert.ok(result.ok && 'trace' in result && !('kept' in result) && !('kind' in result.trace));
    const none = runWorkerJob({ traceLayer: 0 }, keeper);
    assert.ok(!none.ok && /keeps no network run/.test(none.message));
  });

  it('digits: saliency and Grad-CAM read from the kept run equal the spec run again (float64 and float32)', async () => {
    const { file, text } = example('digits.conv.json');
    const source = JsonSource.parse(file, text);
    const npy = Object.fromEntries(await readSpecFiles(file, specFileReferences(source.value), nodeSpecFiles, { maxElements: 1e6 }));
    for (const dtype of ['float64', 'float32'] as const) {
      const keeper = new RunKeeper();
      const job = { file, text, options: { dtype }, npy };
      assert.ok(runWorkerJob({ ...job, keep: true }, keeper).ok);
      const problem = readSpecProblem(source, { dtype }, new Map(Object.entries(npy))) as NetworkProblem;
      const convs = problem.layers.flatMap((l, i) => (l.type === 'conv2d' ? [i] : []));
      for (const [kind, layer] of [['saliency', 0], ...convs.map(i => ['gradcam', i] as const)] as const) {
        const kept = runWorkerJob({ keptAttribution: { kind, layer, item: 0 } }, keeper);
        const again = runAttributionJob({ ...job, attribution: { kind, layer, item: 0 } });
        assert.ok(kept.ok && 'map' in kept && again.ok, `${dtype} ${kind} ${layer}`);
        assert.deepStrictEqual(Array.from(kept.map.data), Array.from(again.map.data), `${dtype} ${kind} at layers[${layer}]`);
        assert.deepStrictEqual(kept.map.range, again.map.range);
      }
    }
  });

  it('in a worker thread: the run stays there, layers and attributions come on request, and release ends the worker', async () => {
    const { file, text } = example('lenet.conv.json');
    let ended = 0;
    const workers = () => { const w = WORKER(); return { start: w.start, terminate: () => { ended++; w.terminate(); } }; };
    const { trace, kept } = await runKeptTrace({ file, text, options: {}, openLayer: 1 }, workers);
    assert.ok(kept && 'layers' in trace && trace.layers[0].lean);
    const full = traceNetwork(readSpecProblem(JsonSource.parse(file, text)) as NetworkProblem);
    // The layer to open crossed from the worker traced, with the run.
    assert.strictEqual(kept.opened?.index, 1);
    assertSameTensors(kept.opened.layer.tensors, full.layers[1].tensors, 'layers[1] opened');
    // Asked together: answered one after another, each the right one.
    const [l3, l0, cam] = await Promise.all([kept.traceLayer(3), kept.traceLayer(0), kept.attribute('gradcam', 0, 0)]);
    assertSameTensors(l3.tensors, full.layers[3].tensors, 'layers[3]');
    assertSameTensors(l0.tensors, full.layers[0].tensors, 'layers[0]');
    assert.strictEqual(cam.height, 28);
    // Opening the same layer again: its input (the run's) was copied, not taken away.
    assertSameTensors((await kept.traceLayer(3)).tensors, full.layers[3].tensors, 'layers[3] again');
    // Save Layer as Spec…: asked without a name, only whether it can be one; with a name, its files, from the worker.
    assert.strictEqual(await kept.layerSpec(0, 'about'), undefined);
    const files = await kept.layerSpec(0, 'about', 'c1.conv.json');
    assert.strictEqual(files?.tensors.name, 'c1.safetensors');
    const saved = readSpecProblem(JsonSource.parse('c1.conv.json', files.json), {}, new Map([[files.tensors.name, files.tensors.bytes]])) as NetworkProblem;
    assertSameTensors(traceNetwork(saved).layers[0].tensors, full.layers[0].tensors, 'layers[0] saved as a spec');
    assert.strictEqual(ended, 0);
    kept.release();
    // Once the jobs asked of it are answered (none here): a worker that cannot be reused ends.
    await new Promise(resolve => setImmediate(resolve));
    assert.strictEqual(ended, 1);
    await assert.rejects(kept.traceLayer(1), /let go/);
  });
});
