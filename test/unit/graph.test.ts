// Networks that are graphs: layers that name their inputs, add and concat. Whole
// residual blocks and concat graphs against PyTorch autograd, δ added up where a
// tensor feeds two layers against central finite differences, and bad graphs as
// problems at their JSON path.

import * as assert from 'assert';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { programOf } from '../../src/debug/program';
import { LayerTrace, NetworkProblem, NetworkTrace, networkShapes, traceNetwork } from '../../src/engine/network';
import { Tensor, tensor } from '../../src/engine/tensor';
import type { WireNetwork } from '../../src/protocol/messages';
import { parseHostMessage } from '../../src/protocol/validate';
import { networkToWire } from '../../src/protocol/wire';
import { analyzeSpec, traceAnySpecText } from '../../src/specReader/convSpec';
import { networkKeyHover } from '../../src/specReader/hoverText';
import { JsonSource, SpecError } from '../../src/specReader/source';
import { assertClose, lossFiniteDifferences, randomTensor, rng } from './helpers';

const FIXTURES = path.join(__dirname, '../../../test/fixtures/torch/graph_cases.json');
interface Expected {
  loss: number;
  dInput: number[];
  layers: ({ out: { shape: number[]; data: number[] }; dOut: number[] } & Record<string, unknown>)[];
}
const { generator, cases } = JSON.parse(fs.readFileSync(FIXTURES, 'utf8')) as { generator: string; cases: { name: string; spec: Record<string, unknown>; expected: Expected }[] };

/** The output each kind records, and the δ it hands to its j-th input. */
const OUT: Record<string, string> = { conv2d: 'z', batchnorm2d: 'z', relu: 'h', tanh: 'h', add: 'z', concat: 'z' };
const handed = (l: LayerTrace, j: number): Tensor | undefined => l.tensors[l.op === 'add' || l.op === 'concat' ? `dA_${j}` : l.op === 'relu' || l.op === 'tanh' ? 'dZ' : 'dA'];

/** ∂C/∂input: the δs every layer that takes the network's input hands to it, added up. */
function inputGradient(t: NetworkTrace): Tensor {
  const parts = t.layers.flatMap(l => l.inputs.flatMap((x, j) => (x.name === 'input' && l.op !== 'loss' ? [handed(l, j)!] : [])));
  const sum = { ...parts[0], data: parts[0].data.slice() };
  for (const p of parts.slice(1)) p.data.forEach((v, k) => { sum.data[k] += v; });
  return sum;
}

describe(`graphs agree with PyTorch (${generator})`, () => {
  for (const c of cases) {
    it(c.name, () => {
      const trace = traceAnySpecText(`${c.name}.json`, JSON.stringify(c.spec)) as NetworkTrace;
      assert.ok(Math.abs(trace.loss!.value - c.expected.loss) <= 1e-9 * Math.max(1, Math.abs(c.expected.loss)), `loss ${trace.loss!.value} vs ${c.expected.loss}`);
      c.expected.layers.forEach((e, i) => {
        const l = trace.layers[i];
        assertClose(l.tensors[OUT[l.op]]!, tensor(e.out.shape, e.out.data), 1e-9, `layers[${i}] ${l.op} output`);
        // The δ each layer received: summed where its output feeds two layers.
        assertClose(l.tensors.delta!, tensor(e.out.shape, e.dOut), 1e-9, `layers[${i}] ${l.op} δ`);
        for (const [key, grad] of [['dweight', l.op === 'conv2d' ? 'dW' : 'dgamma'], ['dbias', l.op === 'conv2d' ? 'db' : 'dbeta']]) {
          if (e[key]) assertClose(l.tensors[grad]!, tensor(l.tensors[grad]!.shape, e[key] as number[]), 1e-9, `layers[${i}] ${grad}`);
        }
      });
      assertClose(inputGradient(trace), tensor(trace.layers[0].inputShape, c.expected.dInput), 1e-9, '∂C/∂input');
    });
  }
});

describe('graph gradients = central finite differences', () => {
  it('a tensor that feeds two layers (a conv and an add, a tanh and a concat) gets the sum of both δs', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), (seed, B, C) => {
      const random = rng(seed);
      const input = randomTensor([B, C, 3, 4], random);
      const w0 = randomTensor([C, C, 3, 3], random);
      const w1 = randomTensor([2, 2 * C, 1, 1], random);
      const target = randomTensor([B, 2, 3, 4], random);
      const p: NetworkProblem = {
        input, dtype: 'float64', loss: { type: 'mse', target },
        layers: [
          { type: 'tanh' },
          { type: 'conv2d', weight: w0, options: { padding: 1 } },
          { type: 'add', inputs: [0, 1] },
          { type: 'concat', inputs: [2, 0] },
          { type: 'conv2d', weight: w1, options: {} },
        ],
      };
      const t = traceNetwork(p);
      // layers[0] feeds the conv, the add and the concat: its δ is their three δs added up.
      assert.strictEqual(t.layers[0].deltaSource, 'sum');
      assert.deepStrictEqual(t.layers[0].deltaFrom, ['layers[3]', 'layers[2]', 'layers[1]']);
      assertClose(t.layers[0].tensors.dZ!, lossFiniteDifferences(p, input, 1e-6), 1e-6, '∂C/∂input');
      assertClose(t.layers[1].tensors.dW!, lossFiniteDifferences(p, w0, 1e-6), 1e-6, '∂C/∂w of the conv in the branch');
      assertClose(t.layers[4].tensors.dW!, lossFiniteDifferences(p, w1, 1e-6), 1e-6, '∂C/∂w after the concat');
    }), { numRuns: 6 });
  });

  it('a chain records one layer above as where each δ came from', () => {
    const random = rng(3);
    const t = traceNetwork({ input: randomTensor([1, 1, 3, 3], random), layers: [{ type: 'relu' }, { type: 'tanh' }], dtype: 'float64' });
    assert.deepStrictEqual(t.layers.map(l => [l.deltaSource, l.deltaFrom, l.inputs.map(x => x.name)]), [['above', ['layers[1]'], ['input']], ['ones', undefined, ['layers[0]']]]);
  });
});

describe('bad graphs are problems at the layer, naming both shapes', () => {
  const input = [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]];
  const fails = (layers: unknown[], pattern: RegExp, pathWanted: (string | number)[]) => {
    assert.throws(() => traceAnySpecText('net.json', JSON.stringify({ input, layers })), (e: unknown) => {
      assert.ok(e instanceof SpecError, String(e));
      assert.match(e.message, pattern);
      assert.deepStrictEqual(e.path, pathWanted);
      return true;
    });
  };
  it('a later layer (a cycle), the layer itself, a layer that does not exist: at the name', () => {
    fails([{ type: 'relu', inputs: ['layers[1]'] }, { type: 'relu' }], /\$\.layers\[0\]\.inputs\[0\]: layers\[1\] comes after this layer \(layers\[0\]\), which would make a cycle/, ['layers', 0, 'inputs', 0]);
    fails([{ type: 'relu' }, { type: 'add', inputs: ['input', 'layers[1]'] }], /\$\.layers\[1\]\.inputs\[1\]: layers\[1\] is this layer itself/, ['layers', 1, 'inputs', 1]);
    fails([{ type: 'relu' }, { type: 'add', inputs: ['layers[7]', 'input'] }], /\$\.layers\[1\]\.inputs\[0\]: there is no layers\[7\]: the network has 2 layers/, ['layers', 1, 'inputs', 0]);
  });
  it('a name that is not "input" or "layers[k]", and inputs that are not a list', () => {
    fails([{ type: 'relu', inputs: ['layer 0'] }], /\$\.layers\[0\]\.inputs\[0\]: an input is "input" .* found the string "layer 0"/, ['layers', 0, 'inputs', 0]);
    fails([{ type: 'relu', inputs: 'input' }], /\$\.layers\[0\]\.inputs: "inputs" is a list/, ['layers', 0, 'inputs']);
  });
  it('too few or too many inputs for the kind, an output nothing uses', () => {
    fails([{ type: 'add', inputs: ['input'] }], /\$\.layers\[0\]\.inputs: a add layer takes at least 2 inputs, got 1/, ['layers', 0, 'inputs']);
    fails([{ type: 'relu' }, { type: 'concat' }], /\$\.layers\[1\]: a concat layer takes at least 2 inputs, got 1/, ['layers', 1]);
    fails([{ type: 'relu' }, { type: 'tanh', inputs: ['input', 'layers[0]'] }], /\$\.layers\[1\]\.inputs: a tanh layer takes one input, got 2/, ['layers', 1, 'inputs']);
    fails([{ type: 'relu' }, { type: 'tanh', inputs: ['input'] }], /\$\.layers\[0\]: the output of layers\[0\] is not used/, ['layers', 0]);
  });
  it('shapes that do not add or concatenate: every input and its shape', () => {
    fails([{ type: 'maxpool2d', kernel: 2, stride: 1 }, { type: 'add', inputs: ['input', 'layers[0]'] }],
      /\$\.layers\[1\]\.inputs: layers\[1\] \(add\): inputs to add must have the same shape: input \(1, 1, 3, 3\), layers\[0\] \(1, 1, 2, 2\)$/, ['layers', 1, 'inputs']);
    fails([{ type: 'maxpool2d', kernel: 2, stride: 1 }, { type: 'concat', inputs: ['input', 'layers[0]'] }],
      /\$\.layers\[1\]\.inputs: layers\[1\] \(concat\): inputs to concatenate .* input \(1, 1, 3, 3\), layers\[0\] \(1, 1, 2, 2\)$/, ['layers', 1, 'inputs']);
    fails([{ type: 'flatten' }, { type: 'concat', inputs: ['input', 'layers[0]'] }], /input \(1, 1, 3, 3\), layers\[0\] \(1, 9\)$/, ['layers', 1, 'inputs']);
  });
  it('a layer that names its input says where that input came from', () => {
    fails([{ type: 'flatten' }, { type: 'linear', weight: [[1, 2]], inputs: ['input'] }, { type: 'concat', inputs: ['layers[0]', 'layers[1]'] }],
      /layers\[1\] \(linear\): expects a 2-D input .* — its input \(1, 1, 3, 3\) comes from the input$/, ['layers', 1]);
  });
  it('the engine refuses the same graphs when called directly', () => {
    const x = tensor([1, 1, 2, 2], [1, 2, 3, 4]);
    assert.throws(() => traceNetwork({ input: x, layers: [{ type: 'relu', inputs: [1] }, { type: 'relu' }], dtype: 'float64' }), /layers\[0\] \(relu\): layers\[1\] comes after this layer/);
    assert.throws(() => traceNetwork({ input: x, layers: [{ type: 'add', inputs: ['input'] }], dtype: 'float64' }), /layers\[0\] \(add\): a add layer takes at least 2 inputs, got 1/);
  });
});

describe('examples/resnet-block.conv.json', () => {
  const text = fs.readFileSync(path.join(__dirname, '../../../examples/resnet-block.conv.json'), 'utf8');
  const trace = traceAnySpecText('resnet-block.conv.json', text) as NetworkTrace;

  it('the stem\'s δ is the sum of what the skip (the add) and the block\'s first conv hand back', () => {
    const [stem, conv, add] = [trace.layers[1], trace.layers[2], trace.layers[7]];
    assert.deepStrictEqual(add.inputs.map(x => x.name), ['layers[1]', 'layers[6]']);
    assert.strictEqual(stem.deltaSource, 'sum');
    assert.deepStrictEqual(stem.deltaFrom, ['layers[7]', 'layers[2]']);
    const both = add.tensors.dA_0!.data.map((v, k) => v + conv.tensors.dA!.data[k]);
    assertClose(stem.tensors.delta!, tensor(stem.tensors.delta!.shape, both), 1e-15, 'δ of layers[1]');
  });

  it('∂C/∂(the stem\'s weight) = central finite differences, through both paths', () => {
    const spec = JSON.parse(text) as { layers: { weight?: unknown }[] };
    const stemWeight = trace.layers[0].tensors.weight!;
    const lossWith = (k: number, h: number) => {
      const w = Array.from(stemWeight.data, (v, i) => (i === k ? v + h : v));
      spec.layers[0].weight = [[[[w[0]]], [[w[1]]]], [[[w[2]]], [[w[3]]]]];
      return (traceAnySpecText('r.json', JSON.stringify(spec)) as NetworkTrace).loss!.value;
    };
    const h = 1e-6;
    const fd = Array.from(stemWeight.data, (_, k) => (lossWith(k, h) - lossWith(k, -h)) / (2 * h));
    assertClose(trace.layers[0].tensors.dW!, tensor(stemWeight.shape, fd), 1e-6, '∂C/∂w of the stem');
  });
});

describe('a graph in the faces: shapes without a forward pass, the wire, the debugger\'s order', () => {
  const text = fs.readFileSync(path.join(__dirname, '../../../examples/resnet-block.conv.json'), 'utf8');

  it('hovers and CodeLens read each layer\'s inputs from the shape-only plan, never a value', () => {
    const untouchable = (shape: number[]): Tensor => ({
      shape, dtype: 'float64',
      data: new Proxy(new Float64Array(shape.reduce((a, b) => a * b, 1)), {
        get(target, key) {
          if (typeof key === 'string' && /^\d+$/.test(key)) throw new Error('a value was read: a forward pass ran');
          const v = Reflect.get(target, key, target);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      }),
    });
    const shapes = networkShapes({
      input: untouchable([1, 2, 5, 5]), dtype: 'float64',
      layers: [
        { type: 'conv2d', weight: untouchable([3, 2, 3, 3]), options: { padding: 1 } }, { type: 'relu' },
        { type: 'concat', inputs: ['input', 1] }, { type: 'conv2d', weight: untouchable([2, 5, 1, 1]), options: {} }, { type: 'add', inputs: [3, 'input'] },
      ],
    });
    assert.deepStrictEqual(shapes.map(s => [s.inputs.map(x => `${x.name} ${x.shape.join('×')}`), s.output]), [
      [['input 1×2×5×5'], [1, 3, 5, 5]], [['layers[0] 1×3×5×5'], [1, 3, 5, 5]], [['input 1×2×5×5', 'layers[1] 1×3×5×5'], [1, 5, 5, 5]],
      [['layers[2] 1×5×5×5'], [1, 2, 5, 5]], [['layers[3] 1×2×5×5', 'input 1×2×5×5'], [1, 2, 5, 5]],
    ]);
    const analysis = analyzeSpec(JsonSource.parse('resnet-block.conv.json', text));
    assert.strictEqual(networkKeyHover(['layers', 7], analysis)!.split('\n')[0], '**layers[7]** add · layers[1] `(1, 2, 6, 6)`, layers[6] `(1, 2, 6, 6)` → `(1, 2, 6, 6)`');
  });

  it('the panel gets each layer\'s inputs and where a summed δ came from, through the protocol\'s checks', () => {
    const trace = traceAnySpecText('resnet-block.conv.json', text) as NetworkTrace;
    const wire = (parseHostMessage({ type: 'network', network: structuredClone(networkToWire(trace, 1, 'resnet-block.conv.json', [])) }) as { network: WireNetwork }).network;
    assert.deepStrictEqual(wire.layers[7].inputs, ['layers[1]', 'layers[6]']);
    assert.deepStrictEqual(wire.layers[1].deltaFrom, ['layers[7]', 'layers[2]']);
    assert.deepStrictEqual(wire.layers[8].inputs, ['layers[7]']);
    const bad = structuredClone(networkToWire(trace, 1, 'r.json', []));
    bad.layers[7].inputs[0] = 'layers[1]; x';
    assert.throws(() => parseHostMessage({ type: 'network', network: bad }), /inputs\[0\]/);
  });

  it('the debugger steps every layer forward in the spec\'s order, the loss, then backward in reverse order', () => {
    const program = programOf(traceAnySpecText('resnet-block.conv.json', text) as NetworkTrace);
    const order = (pass: string) => program.steps.filter(s => s.stage.pass === pass).map(s => s.layerName).filter((n, k, all) => n !== all[k - 1]);
    assert.deepStrictEqual(order('forward'), [...Array.from({ length: 9 }, (_, i) => `layers[${i}]`), 'loss']);
    assert.deepStrictEqual(order('backward'), ['loss', ...Array.from({ length: 9 }, (_, i) => `layers[${8 - i}]`)]);
    // The summed δ of the skip's start exists once both layers that take it (the add and the conv) have handed theirs back.
    const delta = program.tensors.find(t => t.name === 'layers[1].delta')!;
    const handedBack = (layer: number) => program.entries![layer].backward;
    assert.ok(delta.producer >= Math.max(handedBack(7), handedBack(2)) && delta.producer < handedBack(1), `δ of layers[1] made at step ${delta.producer}`);
    // The add's inputs exist before it runs.
    assert.ok(program.tensors.filter(t => t.layer === 7 && /^input_/.test(t.short)).every(t => t.producer < program.entries![7].forward));
  });
});
