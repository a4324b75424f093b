// The faces (panel, debugger, extension, CLI, text, spec reader) learn what a
// kind shows from its view (src/engine/layerKinds/*View.ts): none of them
// switches on a layer type, a loss type or a stage id. What a view declares for
// them does what it says: the debugger's tensors part way through a stage, the
// cross-check a stage set hides, the counts kept off the shared scale.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ConvRuntime } from '../../src/debug/runtime';
import { col2im } from '../../src/engine/im2col';
import { LAYER_TYPES } from '../../src/engine/layerKinds';
import { LOSS_TYPES } from '../../src/engine/layerKinds/loss';
import { VIEW_KINDS, isCount, isStageId } from '../../src/engine/layerKinds/views';
import type { Tensor } from '../../src/engine/tensor';
import type { ConvTrace, TensorName } from '../../src/engine/trace';
import { toWire } from '../../src/protocol/wire';
import { traceSpecText } from '../../src/specReader/convSpec';
import { traceWithStages } from '../../webview/stageSet';
import { assertClose } from './helpers';

const ROOT = path.join(__dirname, '../../..');
const FACES = ['webview', 'src/debug', 'src/extension', 'src/cli', 'src/format', 'src/specReader'];

/**
 * Lines that name one for another reason: a single conv spec has one op, conv2d (its faces never see a network's
 * layers); "loss" is also a network spec's key, which hovers explain.
 */
const NOT_A_KIND = [/\.op === 'conv2d'/, /^\s*case 'loss':\s*$/];

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** `x.id === 'rot180'`, `op !== 'linear'`, `case 'col2im':` and the like, naming a kind's (or loss's) type, view or stage. */
function kindSwitches(file: string): string[] {
  const named = (literal: string) => isStageId(literal) || [...LAYER_TYPES, ...LOSS_TYPES, ...VIEW_KINDS].includes(literal);
  return fs.readFileSync(file, 'utf8').split('\n').flatMap((line, i) => [
    ...line.matchAll(/(?:\.id|\bstage|\.op|\btype|\bkind)\s*[!=]==?\s*'(\w+)'/g), ...line.matchAll(/\bcase '(\w+)':/g),
  ].filter(m => named(m[1]) && !NOT_A_KIND.some(r => r.test(line))).map(m => `${path.relative(ROOT, file)}:${i + 1}: ${m[0]}`));
}

const seedText = fs.readFileSync(path.join(ROOT, 'examples/seed.conv.json'), 'utf8');

describe('faces read the kinds\' views', () => {
  it('no face switches on a layer type or a stage id', () => {
    const found = FACES.flatMap(dir => sources(path.join(ROOT, dir))).flatMap(kindSwitches);
    assert.deepStrictEqual(found, []);
  });

  it('inside col2im the debugger shows the padded ∂C/∂a of the rows of ∂C/∂a_t added so far', () => {
    const trace = traceSpecText('seed.conv.json', seedText) as ConvTrace;
    const runtime = new ConvRuntime(trace, 'seed.conv.json', {});
    const stage = runtime.steps.findIndex(s => s.stage.id === 'col2im');
    const subs = runtime.subSteps(stage);
    assert.ok(subs > 2, `${subs} row groups`);
    const dAt = trace.tensors.dA_t!;
    for (const sub of [0, Math.floor(subs / 2), subs - 1]) {
      const rows = runtime.rowsDone(stage, sub);
      const shown = runtime.alive({ stage, sub }).get('dA_padded');
      assert.ok(shown, `dA_padded after ${rows} rows`);
      // What is shown plus what the other rows add up to is the whole.
      const rest: Tensor = { ...dAt, data: dAt.data.map((v, i) => (i < rows * dAt.shape[2] ? 0 : v)) };
      const sum = { ...shown, data: shown.data.map((v, i) => v + col2im(rest, trace.info).padded.data[i]) };
      assertClose(sum, trace.tensors.dA_padded!, 1e-12, `rows ${rows}`);
    }
    // One row in, it is not the whole yet.
    assert.notDeepStrictEqual([...runtime.alive({ stage, sub: 0 }).get('dA_padded')!.data], [...trace.tensors.dA_padded!.data]);
  });

  it('the tensors a view declares counts hold whole numbers (the panel keeps them off the shared scale)', () => {
    const trace = traceSpecText('seed.conv.json', seedText) as ConvTrace;
    const counts = Object.keys(trace.tensors).filter(name => isCount(trace.geometry, name as TensorName));
    assert.deepStrictEqual(counts, ['col2im_counts']);
    for (const name of counts) assert.ok(trace.tensors[name as TensorName]!.data.every(v => Number.isInteger(v) && v >= 0), name);
    assert.ok(!isCount(trace.geometry, 'dA_padded'));
  });

  it('"withoutRot180" hides the stages a view declares a cross-check, and a comparison is always shown', () => {
    const wire = toWire(traceSpecText('seed.conv.json', seedText), 1, 'seed.conv.json', []);
    assert.deepStrictEqual(traceWithStages(wire, 'withoutRot180').stages.map(s => s.id), wire.stages.map(s => s.id).filter(id => id !== 'rot180'));
    const compared = { ...wire, stages: [...wire.stages, { id: 'compare', pass: 'forward' as const, title: 'c', formula: 'f', inputs: ['yours', 'z'], outputs: ['difference'] }] };
    assert.ok(traceWithStages(compared, 'forward').stages.some(s => s.id === 'compare'));
  });
});
