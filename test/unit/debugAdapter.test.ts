// The conv debug adapter as VS Code drives it: a separate process speaking DAP,
// driven by @vscode/debugadapter-testsupport's DebugClient.

import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { loadSpec } from '../../src/debug/loadSpec';
import { acceptsArguments } from '../../src/debug/requests';
import { ConvDebugSession } from '../../src/debug/session';
import { nodeSpecFiles } from '../../src/specReader/nodeSpecFiles';
import { traceAnySpecText } from '../../src/specReader/convSpec';
import { SpecError, jsonPath } from '../../src/specReader/source';

const ROOT = path.join(__dirname, '../../..');
const ADAPTER = path.join(ROOT, 'dist/debugAdapter.js');
const SEED = path.join(ROOT, 'examples/seed.conv.json');
const SEED_TEXT = fs.readFileSync(SEED, 'utf8');
const lineOf = (key: string) => SEED_TEXT.split('\n').findIndex(l => l.includes(`"${key}"`)) + 1;

describe('conv debug adapter (DAP, own process)', () => {
  let dc: DebugClient;

  beforeEach(async () => {
    dc = new DebugClient('node', ADAPTER, 'conv');
    await dc.start();
  });
  afterEach(() => dc.stop());

  async function launchStopped(extra: object = {}): Promise<void> {
    await Promise.all([dc.configurationSequence(), dc.launch({ spec: SEED, ...extra }), dc.waitForEvent('stopped')]);
  }

  async function topFrame(): Promise<DebugProtocol.StackFrame> {
    return (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
  }

  async function step(kind: 'next' | 'stepIn' | 'stepOut' | 'stepBack'): Promise<DebugProtocol.StackFrame> {
    const stopped = dc.waitForEvent('stopped');
    await dc[`${kind}Request`]({ threadId: 1 });
    await stopped;
    return topFrame();
  }

  async function evaluate(expression: string): Promise<string> {
    return (await dc.evaluateRequest({ expression, context: 'repl' })).body.result;
  }

  it('stops on entry, then each step over is one stage, pointing into the spec', async () => {
    await launchStopped();
    assert.strictEqual((await topFrame()).name, 'conv2d › start (nothing run yet)');
    const names: string[] = [];
    for (let i = 0; i < 4; i++) names.push((await step('next')).name);
    assert.deepStrictEqual(names, ['conv2d › Pad: a = pad(input)', 'conv2d › im2col: a_t = im2col(a)', 'conv2d › Kernels as a matrix: w_t = w.reshape(Cout, -1).T', 'conv2d › Matrix product: z_t = a_t @ w_t']);
    const f = await topFrame();
    assert.strictEqual(f.source?.name, 'seed.conv.json');
    assert.strictEqual(f.line, lineOf('weight'));
  });

  it('variables: the tensors alive now, as float64 (1, 9, 12) min 1 max 9, expandable to rows and cells', async () => {
    await launchStopped();
    await step('next');
    await step('next');
    const scopes = (await dc.scopesRequest({ frameId: 0 })).body.scopes;
    const tensors = (await dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables;
    assert.deepStrictEqual(tensors.map(v => v.name), ['input', 'weight', 'bias', 'a', 'a_t']);
    const at = tensors.find(v => v.name === 'a_t')!;
    assert.strictEqual(at.value, 'float64 (1, 9, 12) min 1 max 9');
    const batch = (await dc.variablesRequest({ variablesReference: at.variablesReference })).body.variables;
    const rows = (await dc.variablesRequest({ variablesReference: batch[0].variablesReference })).body.variables;
    assert.strictEqual(rows.length, 9);
    const cells = (await dc.variablesRequest({ variablesReference: rows[8].variablesReference })).body.variables;
    assert.deepStrictEqual(cells.map(c => c.value), ['7', '7', '1', '2', '1', '7', '5', '8', '3', '8', '3', '6']);
    assert.strictEqual(cells[3].evaluateName, 'a_t[0, 8, 3]');
  });

  it('the console evaluates numpy-style expressions, with clear errors', async () => {
    await launchStopped();
    for (let i = 0; i < 5; i++) await step('next');
    assert.strictEqual(await evaluate('z_t[0, 3]'), '[276, 228]');
    assert.strictEqual(await evaluate('a_t.shape'), '(1, 9, 12)');
    assert.strictEqual(await evaluate('z[0, 1] - 2'), '[[289, 250, 261], [228, 265, 237], [221, 281, 255]]');
    assert.strictEqual(await evaluate('max(abs(z)) > 1000'), 'False');
    await assert.rejects(dc.evaluateRequest({ expression: 'dW.sum()', context: 'repl' }), /'dW' is not defined here/);
    for (let i = 0; i < 4; i++) await step('next');
    // ∂C/∂w of docs/derivation.md: both kernels get the same 12 numbers.
    assert.strictEqual(await evaluate('dW.sum()'), String(2 * [40, 44, 34, 38, 39, 40, 42, 47, 42, 47, 30, 41].reduce((a, b) => a + b)));
  });

  it('gradcheck(dW) checks a whole gradient against finite differences, once it exists; what is not a gradient is an error', async () => {
    await launchStopped();
    await assert.rejects(dc.evaluateRequest({ expression: 'gradcheck(dW)', context: 'repl' }), /'dW' is not defined here/);
    for (let i = 0; i < 9; i++) await step('next');
    assert.match(await evaluate('gradcheck(dW)'), /^gradcheck\(dW\): 24 of 24 cells agree, max relative error \S+ \(ε 1e-6\)$/);
    // The seed's δ is all ones: C = Σ z, and ∂C/∂a and ∂C/∂b agree too.
    assert.match(await evaluate('gradcheck(dA)'), /^gradcheck\(dA\): 48 of 48 cells agree/);
    await assert.rejects(dc.evaluateRequest({ expression: 'gradcheck(db)', context: 'repl' }), /'db' is not defined here/);
    await step('next');
    assert.match(await evaluate('gradcheck(db)'), /^gradcheck\(db\): 2 of 2 cells agree/);
    await assert.rejects(dc.evaluateRequest({ expression: 'gradcheck(a_t)', context: 'repl' }), /a_t is not the gradient of a weight, a bias, an input or an output/);
    await assert.rejects(dc.evaluateRequest({ expression: 'gradcheck(dW) + 1', context: 'repl' }), /'\+' does not apply to a report/);
    await assert.rejects(dc.evaluateRequest({ expression: 'gradcheck(dW[0])', context: 'repl' }), /gradcheck\(\) takes the name of a gradient tensor/);
  });

  it('step into walks the matmul row by row; step out finishes it; the rows not yet computed are NaN', async () => {
    await launchStopped();
    for (let i = 0; i < 3; i++) await step('next');
    const inside = await step('stepIn');
    assert.strictEqual(inside.name, 'Matrix product › rows 0..0 done');
    assert.strictEqual(await evaluate('z_t[0, 0]'), '[295, 289]');
    assert.strictEqual(await evaluate('any(isnan(z_t[0, 1]))'), 'True');
    await step('next');
    assert.strictEqual(await evaluate('any(isnan(z_t[0, 1]))'), 'False');
    assert.strictEqual((await step('stepOut')).name, 'conv2d › Matrix product: z_t = a_t @ w_t');
    assert.strictEqual(await evaluate('any(isnan(z_t))'), 'False');
  });

  it('breakpoints on spec lines stop at the stages that read them; conditions decide', async () => {
    await Promise.all([
      dc.configurationSequence(),
      dc.launch({ spec: SEED, stopOnEntry: true }),
      dc.waitForEvent('stopped'),
    ]);
    const set = await dc.setBreakpointsRequest({ source: { path: SEED }, breakpoints: [{ line: lineOf('bias') }, { line: lineOf('description') }] });
    assert.deepStrictEqual(set.body.breakpoints.map(b => b.verified), [true, false]);
    let stopped = dc.waitForEvent('stopped');
    await dc.continueRequest({ threadId: 1 });
    assert.strictEqual((await stopped).body.reason, 'breakpoint');
    assert.strictEqual((await topFrame()).name, 'conv2d › Reshape and add bias: z = z_t.transpose(0, 2, 1).reshape(B, Cout, Hout, Wout) + b');
    stopped = dc.waitForEvent('stopped');
    await dc.continueRequest({ threadId: 1 });
    await stopped;
    assert.match((await topFrame()).name, /Gradient of b/);
    // A condition that never holds: run to the end.
    await dc.setBreakpointsRequest({ source: { path: SEED }, breakpoints: [{ line: lineOf('weight'), condition: 'max(abs(z)) > 1000' }] });
    const terminated = dc.waitForEvent('terminated');
    await dc.continueRequest({ threadId: 1 });
    await terminated;
  });

  it('a condition about a tensor that exists only later waits for it', async () => {
    await launchStopped();
    await dc.setBreakpointsRequest({ source: { path: SEED }, breakpoints: [{ line: lineOf('weight'), condition: 'dW[0, 0, 0, 0] == 40' }] });
    const stopped = dc.waitForEvent('stopped');
    await dc.continueRequest({ threadId: 1 });
    await stopped;
    assert.match((await topFrame()).name, /Gradient of w/);
  });

  it('steps back and continues in reverse (every stage is recorded)', async () => {
    await launchStopped();
    for (let i = 0; i < 6; i++) await step('next');
    assert.match((await step('stepBack')).name, /Reshape and add bias/);
    await dc.setBreakpointsRequest({ source: { path: SEED }, breakpoints: [{ line: lineOf('padding') }] });
    const stopped = dc.waitForEvent('stopped');
    await dc.reverseContinueRequest({ threadId: 1 });
    assert.strictEqual((await stopped).body.reason, 'breakpoint');
    assert.match((await topFrame()).name, /im2col/);
  });

  it('refuses a broken spec with the reader\'s message', async () => {
    const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cvd-dap-')), 'bad.conv.json');
    fs.writeFileSync(bad, '{"input": [[[[1, 2]]]], "weight": [[[[1, "x"]]]]}');
    await Promise.all([dc.configurationSequence(), assert.rejects(dc.launch({ spec: bad }), /Cannot debug .*bad\.conv\.json: .*\$\.weight\[0\]\[0\]\[0\]\[1\]: expected a number, found the string "x"/)]);
  });

  describe('hostile input: every request\'s arguments are checked; a bad one gets an error response and the adapter answers on', () => {
    /** The adapter process is alive and answering: threads, then disconnect. */
    async function stillAnswers(): Promise<void> {
      assert.deepStrictEqual((await dc.threadsRequest()).body.threads.map(t => t.id), [1]);
      assert.strictEqual((await dc.disconnectRequest()).success, true);
    }

    it('launch with spec: 42', async () => {
      await assert.rejects(dc.launch({ spec: 42 } as object), /launch: arguments\.spec: expected the path of the conv spec to debug .*, got the number 42/);
      await stillAnswers();
    });

    it('launch with no arguments', async () => {
      await dc.initializeRequest();
      await assert.rejects(dc.send('launch'), /launch: arguments: expected an object, got undefined/);
      await stillAnswers();
    });

    for (const [maxElements, described] of [['abc', 'the string "abc"'], [-1, 'the number -1'], [1.5, 'the number 1.5'], [0, 'the number 0']] as const) {
      it(`launch with maxElements ${JSON.stringify(maxElements)} (not "no limit")`, async () => {
        await Promise.all([dc.configurationSequence(), assert.rejects(dc.launch({ spec: SEED, maxElements }), new RegExp(`launch: arguments\\.maxElements: expected a positive integer, got ${described.replace(/\./g, '\\.')}`))]);
        await stillAnswers();
      });
    }

    it('F5\'s early load takes only the arguments a launch takes (acceptsArguments)', () => {
      assert.ok(acceptsArguments('launch', { type: 'conv', request: 'launch', name: 'Debug conv spec', spec: SEED, maxElements: 4096, dtype: 'float32' }));
      for (const maxElements of ['abc', -1, 1.5, 0, Infinity]) assert.ok(!acceptsArguments('launch', { spec: SEED, maxElements }), `maxElements ${maxElements}`);
      assert.ok(!acceptsArguments('launch', { spec: SEED, dtype: 'int8' }));
      assert.ok(!acceptsArguments('launch', { spec: '  ' }));
    });

    it('variables with start -5, count -1, a huge count, a start past the end', async () => {
      await launchStopped();
      await step('next');
      await step('next');
      const scopes = (await dc.scopesRequest({ frameId: 0 })).body.scopes;
      const at = (await dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables.find(v => v.name === 'a_t')!;
      // a_t[0]: 9 rows.
      const rows = (await dc.variablesRequest({ variablesReference: at.variablesReference })).body.variables[0].variablesReference;
      await assert.rejects(dc.variablesRequest({ variablesReference: rows, start: -5 }), /variables: arguments\.start: expected a non-negative integer, got the number -5/);
      await assert.rejects(dc.variablesRequest({ variablesReference: rows, count: -1 }), /variables: arguments\.count: expected a non-negative integer, got the number -1/);
      await assert.rejects(dc.variablesRequest({ variablesReference: rows, start: 0.5 }), /arguments\.start: expected a non-negative integer, got the number 0\.5/);
      const names = async (args: { start?: number; count?: number }) => (await dc.variablesRequest({ variablesReference: rows, ...args })).body.variables.map(v => v.name);
      assert.deepStrictEqual(await names({ start: 5, count: 1e12 }), ['[5]', '[6]', '[7]', '[8]']);
      assert.deepStrictEqual(await names({ start: 1e12, count: 3 }), []);
      await stillAnswers();
    });

    it('evaluate with a non-string expression, and an expression the limits refuse', async () => {
      await launchStopped();
      await assert.rejects(dc.evaluateRequest({ expression: 42 as unknown as string, context: 'repl' }), /evaluate: arguments\.expression: expected a string, got the number 42/);
      await assert.rejects(evaluate(`${'('.repeat(4000)}input${')'.repeat(4000)}`), /^Error: the expression nests more than 100 levels deep/);
      await assert.rejects(evaluate('constructor(input)'), /unknown function 'constructor'/);
      await stillAnswers();
    });

    it('stackTrace, scopes, setBreakpoints and stepping with malformed arguments', async () => {
      await launchStopped();
      await assert.rejects(dc.stackTraceRequest({ threadId: 'one' } as unknown as DebugProtocol.StackTraceArguments), /stackTrace: arguments\.threadId: expected a non-negative integer, got the string "one"/);
      await assert.rejects(dc.scopesRequest({ frameId: -3 }), /scopes: arguments\.frameId: expected a non-negative integer, got the number -3/);
      await assert.rejects(dc.setBreakpointsRequest({ source: { path: SEED }, breakpoints: [{ line: lineOf('bias'), hitCondition: 3 as unknown as string }] }), /setBreakpoints: arguments\.breakpoints\[0\]\.hitCondition: expected a string, got the number 3/);
      await assert.rejects(dc.send('stepBack', { threadId: null }), /stepBack: arguments\.threadId: expected a non-negative integer, got null/);
      await assert.rejects(dc.send('source', { sourceReference: -1 }), /source: arguments\.sourceReference: expected a non-negative integer, got the number -1/);
      // The session is where it was: still at entry.
      assert.strictEqual((await topFrame()).name, 'conv2d › start (nothing run yet)');
      await stillAnswers();
    });
  });

  (process.platform === 'win32' ? it.skip : it)('hostile input: a spec naming a FIFO is refused at once, and the adapter still answers', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cvd-dap-'));
    assert.strictEqual(spawnSync('mkfifo', [path.join(dir, 'x.npy')]).status, 0);
    const spec = path.join(dir, 'fifo.conv.json');
    fs.writeFileSync(spec, '{"input": {"npy": "x.npy"}, "weight": [[[[1]]]]}');
    await Promise.all([dc.configurationSequence(), assert.rejects(dc.launch({ spec }), /Cannot debug .*fifo\.conv\.json: .*\$\.input\.npy: x\.npy: not a regular file \(a FIFO\)/)]);
    // Nothing is left blocked: the next request is answered.
    assert.ok((await dc.threadsRequest()).success);
  });

  it('refuses a spec with a key of control characters in one printable line', async () => {
    const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cvd-dap-')), 'bad.conv.json');
    fs.writeFileSync(bad, JSON.stringify({ input: [[[[1]]]], weight: [[[[1]]]], '\u001b]0;pwned\u0007\nok\u202e': 1 }));
    await Promise.all([dc.configurationSequence(), assert.rejects(dc.launch({ spec: bad }), (e: Error) => {
      assert.ok(!/[\p{Cc}\u202e]/u.test(e.message), JSON.stringify(e.message));
      assert.match(e.message, /unknown key "\\x1b\]0;pwned\\x07\\nok\\u202e"/);
      return true;
    })]);
  });

  describe('a network (examples/two-layer.conv.json)', () => {
    const NET = path.join(ROOT, 'examples/two-layer.conv.json');
    const NET_TEXT = fs.readFileSync(NET, 'utf8');
    /** The line of the n-th layer object's `"type"` key. */
    const layerLine = (n: number) => NET_TEXT.split('\n').map((l, i) => (l.includes('"type"') ? i + 1 : 0)).filter(Boolean)[n];

    async function launchNet(): Promise<void> {
      await Promise.all([dc.configurationSequence(), dc.launch({ spec: NET }), dc.waitForEvent('stopped')]);
    }

    it('steps forward through every layer, then the loss, then backward from the top layer down', async () => {
      await launchNet();
      assert.strictEqual((await topFrame()).name, 'network › start (nothing run yet)');
      // conv 11 stages, relu 2, maxpool 5, flatten 2, linear 3, loss 2.
      const names: string[] = [];
      for (let i = 0; i < 25; i++) names.push((await step('next')).name.split(':')[0]);
      const terminated = dc.waitForEvent('terminated');
      await dc.nextRequest({ threadId: 1 });
      await terminated;
      const layerOf = names.map(n => n.split(' › ')[0].split(' ')[0]);
      // Forward 0..4 (conv: 5 stages; relu, pool, flatten, linear: theirs), the loss, backward 4..0.
      const firstBackward = names.findIndex(n => /^loss [\w-]+ › The first δ$/.test(n));
      assert.deepStrictEqual([...new Set(layerOf.slice(0, firstBackward))], ['layers[0]', 'layers[1]', 'layers[2]', 'layers[3]', 'layers[4]', 'loss']);
      assert.deepStrictEqual([...new Set(layerOf.slice(firstBackward + 1))], ['layers[4]', 'layers[3]', 'layers[2]', 'layers[1]', 'layers[0]']);
      assert.ok(names.includes('layers[1] relu › Through the activation'));
      assert.strictEqual(names[names.length - 1], 'layers[0] conv2d 2@2×2 › Full convolution with ROT180(w)');
    });

    it('gradcheck(layers[0].dW) and the layer\'s own gradcheck(dW) check the conv\'s gradient, kinks of the integer example included', async () => {
      await launchNet();
      for (let i = 0; i < 25; i++) await step('next');
      // The example's integers put relu and max pooling on their kinks: there the trace takes one side, as PyTorch does.
      const report = await evaluate('gradcheck(layers[0].dW)');
      assert.match(report, /^gradcheck\(layers\[0\]\.dW\): 8 of 8 cells agree, max relative error \S+ \(ε 1e-6\); \d at a kink, where the analytic value is a one-sided difference$/);
      assert.strictEqual(await evaluate('gradcheck(dW)'), report.replace('layers[0].dW', 'dW'));
      assert.match(await evaluate('gradcheck(loss.delta)'), /^gradcheck\(loss\.delta\): 2 of 2 cells agree/);
    });

    it('a breakpoint on a layer stops as it runs forward and again backward; the console reads layers[i].name and the layer\'s own names', async () => {
      await launchNet();
      const set = await dc.setBreakpointsRequest({ source: { path: NET }, breakpoints: [{ line: layerLine(2) }] });
      assert.deepStrictEqual(set.body.breakpoints.map(b => b.verified), [true]);
      let stopped = dc.waitForEvent('stopped');
      await dc.continueRequest({ threadId: 1 });
      await stopped;
      assert.match((await topFrame()).name, /^layers\[2\] maxpool2d 2×2 › Pad/);
      assert.strictEqual((await topFrame()).line, layerLine(2), 'the frame points at the layer in the spec');
      // The relu output of the layer below, qualified; the pooling geometry by name.
      assert.strictEqual(await evaluate('layers[1].h.shape'), '(1, 2, 4, 4)');
      assert.strictEqual(await evaluate('kernelHeight'), '2');
      stopped = dc.waitForEvent('stopped');
      await dc.continueRequest({ threadId: 1 });
      await stopped;
      assert.match((await topFrame()).name, /^layers\[2\] maxpool2d 2×2 › Route δ to the argmax/);
      // δ of this layer is what the layer above (flatten) handed down.
      assert.strictEqual(await evaluate('all(delta == layers[3].dA)'), 'True');
      const scopes = (await dc.scopesRequest({ frameId: 0 })).body.scopes;
      assert.deepStrictEqual(scopes.map(s => s.name), ['Tensors of layers[2] maxpool2d 2×2', 'All layers', 'Geometry']);
      const here = (await dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables;
      assert.deepStrictEqual(here.map(v => v.name), ['input', 'a', 'pool_t', 'z', 'argmax', 'delta', 'dpool_t']);
      assert.strictEqual(here.find(v => v.name === 'delta')?.evaluateName, 'layers[2].delta');
      await assert.rejects(evaluate('layers[0].dA'), /is not defined here/);
    });
  });
});

describe('conv debug adapter (DAP, own process): function breakpoints on a model\'s ONNX nodes', () => {
  let dc: DebugClient;
  let dir: string;
  let spec: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conv-debug-model-'));
    for (const f of ['digits.onnx', 'digits.npz']) fs.copyFileSync(path.join(ROOT, 'examples', f), path.join(dir, f));
    spec = path.join(dir, 'digits.conv.json');
    fs.writeFileSync(spec, JSON.stringify({ model: { onnx: 'digits.onnx' }, input: { npz: 'digits.npz', key: 'x' }, loss: { type: 'cross_entropy', target: [8] } }, null, 2));
    dc = new DebugClient('node', ADAPTER, 'conv');
    await dc.start();
  });
  afterEach(async () => {
    await dc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const layerNow = async () => (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0].name.split(' › ')[0];

  it('a node\'s name or its output\'s stops at its layer forward and backward; an unknown name is unverified, saying what to give', async () => {
    const init = await dc.initializeRequest();
    assert.strictEqual(init.body?.supportsFunctionBreakpoints, true);
    await Promise.all([dc.configurationDoneRequest(), dc.launch({ spec }), dc.waitForEvent('stopped')]);
    const set = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: '/MaxPool' }, { name: '/Relu_1_output_0' }, { name: 'nope' }, { name: 'logits' }] });
    assert.deepStrictEqual(set.body.breakpoints.map(b => b.verified), [true, true, false, true]);
    assert.match(set.body.breakpoints[2].message!, /^No layer is named "nope": give a layer \(layers\[2\]\), or a model's ONNX node or output name/);
    const stops: string[] = [];
    for (;;) {
      const event = Promise.race([dc.waitForEvent('stopped').then(() => 'stopped'), dc.waitForEvent('terminated').then(() => 'terminated')]);
      await dc.continueRequest({ threadId: 1 });
      if (await event === 'terminated') break;
      stops.push(await layerNow());
    }
    // Forward: maxpool (layers[2]), relu (layers[4]), linear (layers[7]); backward the other way.
    assert.deepStrictEqual(stops.map(s => s.split(' ')[0]), ['layers[2]', 'layers[4]', 'layers[7]', 'layers[7]', 'layers[4]', 'layers[2]']);
    assert.match(stops[0], /^layers\[2\] maxpool2d 2×2/);
  });

  it('a model\'s layer, which has no line of its own in the spec, points at the "model" key', async () => {
    await dc.initializeRequest();
    await Promise.all([dc.configurationDoneRequest(), dc.launch({ spec }), dc.waitForEvent('stopped')]);
    const line = async () => (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0].line;
    assert.strictEqual(await line(), 1);
    await Promise.all([dc.nextRequest({ threadId: 1 }), dc.waitForEvent('stopped')]);
    assert.strictEqual(await line(), fs.readFileSync(spec, 'utf8').split('\n').findIndex(l => l.includes('"model"')) + 1);
  });

  it('set before launch, with a condition: stops where it holds', async () => {
    await dc.initializeRequest();
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: '/conv2/Conv', condition: 'delta.shape[0] == 1' }] });
    await Promise.all([dc.configurationDoneRequest(), dc.launch({ spec, stopOnEntry: false }), dc.waitForEvent('stopped')]);
    // Forward, delta does not exist yet (the condition is not met); backward it does.
    assert.match(await layerNow(), /^layers\[3\] conv2d/);
    const frame = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0].name;
    assert.doesNotMatch(frame, /Pad/);
  });

  it('malformed setFunctionBreakpoints arguments get an error response', async () => {
    await dc.initializeRequest();
    await assert.rejects(dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 3 as unknown as string }] }), /setFunctionBreakpoints: arguments\.breakpoints\[0\]\.name: expected a string, got the number 3/);
  });
});

describe('conv debug adapter (DAP, in this process): one guard around every request', () => {
  let dc: DebugClient;
  let server: net.Server;
  /** Set to make the session's host hooks throw, as a bug anywhere inside a handler would. */
  let broken = false;

  beforeEach(async () => {
    broken = false;
    server = net.createServer(socket => {
      const session = new ConvDebugSession({
        load: (spec, options) => loadSpec(spec, nodeSpecFiles, options),
        get locale() {
          if (broken) throw new Error('the host broke');
          return undefined;
        },
      });
      session.setRunAsServer(true);
      session.start(socket, socket);
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    dc = new DebugClient('node', '', 'conv');
    await dc.start((server.address() as net.AddressInfo).port);
  });
  afterEach(async () => {
    await dc.stop();
    server.close();
  });

  it('hostile input: an exception inside a handler is an error response (or stderr once answered), never an unhandled rejection or a stack', async () => {
    await Promise.all([dc.configurationSequence(), dc.launch({ spec: SEED }), dc.waitForEvent('stopped')]);
    broken = true;
    // Thrown before the answer: an error response with the message, no JS stack.
    await assert.rejects(dc.stackTraceRequest({ threadId: 1 }), (e: Error) => e.message === 'internal error in the conv debugger: the host broke');
    // Thrown after the answer (the step is answered, then the stop fails): reported on stderr.
    const stderr = dc.waitForEvent('output');
    assert.strictEqual((await dc.nextRequest({ threadId: 1 })).success, true);
    assert.deepStrictEqual([(await stderr).body.category, (await stderr).body.output], ['stderr', 'internal error in the conv debugger: the host broke\n']);
    broken = false;
    assert.strictEqual((await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0].name, 'conv2d › Pad: a = pad(input)');
  });
});

describe('loadSpec with a tracer (the extension traces in its worker)', () => {
  const LENET = path.join(ROOT, 'examples/lenet.conv.json');
  const DIGITS = path.join(ROOT, 'examples/digits.conv.json');

  it('reads the problem here and takes the trace the tracer made: the same spec as traced here, the same .npy files given', async () => {
    for (const spec of [SEED, LENET, DIGITS]) {
      const here = await loadSpec(spec, nodeSpecFiles, { dtype: 'float32' });
      const asked: { file: string; files: string[] }[] = [];
      const elsewhere = await loadSpec(spec, nodeSpecFiles, { dtype: 'float32' }, undefined, async (file, text, npy, options) => {
        asked.push({ file, files: [...npy.keys()] });
        return traceAnySpecText(file, text, options, npy);
      });
      assert.deepStrictEqual(elsewhere, here, spec);
      assert.strictEqual(asked.length, 1);
      assert.strictEqual(asked[0].file, spec);
      // digits.conv.json names its .npz beside it: read once here, handed to the tracer.
      if (spec === DIGITS) assert.ok(asked[0].files.length > 0, 'the spec\'s files go to the tracer');
    }
  });

  it('a spec\'s problem is the problem read here, whatever the tracer says', async () => {
    const bad = path.join(os.tmpdir(), `cvd-bad-${process.pid}.conv.json`);
    fs.writeFileSync(bad, JSON.stringify({ input: [[[[1, 2], [3, 4]]]], weight: [[[[1, 'x']]]] }));
    try {
      await assert.rejects(loadSpec(bad, nodeSpecFiles, {}, undefined, () => Promise.reject(new Error('the worker died'))), (e: unknown) => e instanceof SpecError && /weight/.test(jsonPath(e.path ?? [])));
    } finally {
      fs.rmSync(bad);
    }
  });
});
