// The settings that change what runs and what shows: the default dtype of specs
// without one, and the stages the panel shows.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { isNetworkTrace } from '../../src/engine/network';
import type { ConvTrace } from '../../src/engine/trace';
import { networkToWire, toWire } from '../../src/protocol/wire';
import { traceAnySpecText } from '../../src/specReader/convSpec';
import { networkWithStages, traceWithStages } from '../../webview/stageSet';

const example = (name: string) => fs.readFileSync(path.join(__dirname, '../../../examples', name), 'utf8');

describe('settings: default dtype and shown stages', () => {
  it('a spec without "dtype" runs in the default dtype; one that names it keeps its own', () => {
    const seed = example('seed.conv.json');
    const f32 = traceAnySpecText('seed.conv.json', seed, { dtype: 'float32' }) as ConvTrace;
    assert.strictEqual(f32.dtype, 'float32');
    assert.ok(f32.tensors.z_t!.data instanceof Float32Array && f32.tensors.dW!.data instanceof Float32Array);
    const f64 = traceAnySpecText('seed.conv.json', seed) as ConvTrace;
    // Integer data: both dtypes compute the worked example exactly.
    assert.deepStrictEqual([...f32.tensors.z!.data], [...f64.tensors.z!.data]);
    const named = traceAnySpecText('seed.conv.json', seed.replace('"stride"', '"dtype": "float64", "stride"'), { dtype: 'float32' }) as ConvTrace;
    assert.strictEqual(named.dtype, 'float64');
    const net = traceAnySpecText('two-layer.conv.json', example('two-layer.conv.json'), { dtype: 'float32' });
    assert.ok(isNetworkTrace(net));
    assert.strictEqual(net.dtype, 'float32');
    assert.ok(net.layers.every(l => Object.values(l.tensors).every(t => t!.data instanceof Float32Array)));
  });

  it('the panel shows all stages, all but rot180, or the forward pass only', () => {
    const wire = toWire(traceAnySpecText('seed.conv.json', example('seed.conv.json')) as ConvTrace, 1, 'seed.conv.json', []);
    const ids = (set: 'all' | 'withoutRot180' | 'forward') => traceWithStages(wire, set).stages.map(s => s.id);
    assert.deepStrictEqual(ids('all'), wire.stages.map(s => s.id));
    assert.deepStrictEqual(ids('withoutRot180'), wire.stages.map(s => s.id).filter(id => id !== 'rot180'));
    assert.deepStrictEqual(ids('forward'), ['pad', 'im2col', 'weight_matrix', 'matmul', 'reshape_bias']);
    assert.strictEqual(traceWithStages(wire, 'all'), wire, 'nothing hidden: the same trace');
    const net = traceAnySpecText('two-layer.conv.json', example('two-layer.conv.json'));
    assert.ok(isNetworkTrace(net));
    const forward = networkWithStages(networkToWire(net, 10, 'two-layer.conv.json', []), 'forward');
    for (const layer of forward.layers) {
      assert.ok(layer.trace.stages.length > 0, `${layer.title} keeps its forward stages`);
      assert.ok(layer.trace.stages.every(s => s.pass === 'forward'), layer.title);
    }
  });
});
