// conv-trace: runs a conv spec and prints its trace. Exit status 0 on success,
// 2 on bad input or usage (one line on stderr naming the file, the JSON path
// and the problem), 1 on an internal error. Never a stack trace. Every stderr
// line is printable: it may quote the spec's keys, strings and file names.

import * as fs from 'fs';
import * as path from 'path';
import { convInfo } from '../engine/convInfo';
import { conv2dCost } from '../engine/layerKinds/conv2d';
import type { NetworkProblem } from '../engine/network';
import { planNetwork } from '../engine/networkPlan';
import { CONV_TENSOR_NAMES, ConvProblem, DEFAULT_MAX_ELEMENTS } from '../engine/trace';
import { NamedTensors, formatAnyTrace, namedTensors } from '../format/text';
import { AnyTrace, NpyFiles, isNetworkTrace, nonFiniteWarnings, traceSpecSource } from '../specReader/convSpec';
import { installNodeGemmThreads } from '../specReader/nodeGemmThreads';
import { nodeSpecFiles } from '../specReader/nodeSpecFiles';
import { readSpecFiles } from '../specReader/specFiles';
import { printable } from '../format/safeText';
import { encodeNpy } from '../specReader/npy';
import { specFileReferences } from '../specReader/tensorSource';
import { english } from '../specReader/problemText.en';
import { JsonSource, SpecError } from '../specReader/source';
import { cliArguments, positiveIntArg } from './args';
import { ModelUsageError, isModelCommand, runModel } from './modelTrace';

declare const __VERSION__: string;

const USAGE = `usage: conv-trace SPEC.json [options]
Runs a conv2d spec forward and backward the im2col way and prints every intermediate.

  --only NAMES         comma-separated tensors to keep (default: all), from:
                       ${CONV_TENSOR_NAMES.slice(0, 20).join(', ')};
                       network specs: layers[i].NAME and loss.NAME (layers[2].dA, loss.delta)
  --format FORMAT      json (default): one object, {"name": {"shape", "dtype", "data"}};
                       text: numpy-style matrices with the geometry and the stages;
                       npy: one NAME.npy per tensor in --out DIR
  --out DIR            write there instead of stdout (trace.json, trace.txt or NAME.npy)
  --forward-only       skip the backward pass
  --precision N        significant digits for --format text (default 6)
  --max-elements N     refuse runs whose largest intermediate exceeds N elements (default ${DEFAULT_MAX_ELEMENTS})
  -h, --help           this help
  --version            the version
SPEC.json may be - to read standard input.
conv-trace MODEL.onnx --input FILE.npy|FILE.png [--target CLASS]: every value of an ONNX model
                       under its ONNX name (conv-trace MODEL.onnx --help for its options)`;

class UsageError extends Error {}

interface CliOptions {
  spec: string;
  only?: string[];
  format: 'json' | 'text' | 'npy';
  out?: string;
  forwardOnly: boolean;
  precision: number;
  maxElements: number;
}

const usage = (message: string): never => { throw new UsageError(message); };

export function parseArgs(argv: readonly string[]): CliOptions | 'help' | 'version' {
  const opts: Partial<CliOptions> = { format: 'json', forwardOnly: false, precision: 6, maxElements: DEFAULT_MAX_ELEMENTS };
  for (const { arg, flag, value } of cliArguments(argv, usage)) {
    switch (flag) {
      case '-h': case '--help': return 'help';
      case '--version': return 'version';
      case '--only': {
        const names = value().split(',').map(s => s.trim()).filter(Boolean);
        const unknown = names.filter(n => !(CONV_TENSOR_NAMES as readonly string[]).includes(n) && !/^(layers\[\d+\]|loss)\.\w+$/.test(n));
        if (unknown.length) throw new UsageError(`unknown tensor ${unknown.map(n => `'${n}'`).join(', ')} in --only; names: ${CONV_TENSOR_NAMES.slice(0, 20).join(', ')} (networks: layers[i].NAME, loss.NAME)`);
        opts.only = names;
        break;
      }
      case '--format': {
        const f = value();
        if (f !== 'json' && f !== 'text' && f !== 'npy') throw new UsageError(`--format must be json, text or npy, got '${f}'`);
        opts.format = f;
        break;
      }
      case '--out': opts.out = value(); break;
      case '--forward-only': opts.forwardOnly = true; break;
      case '--precision': opts.precision = Math.min(17, positiveIntArg(flag, value(), usage)); break;
      case '--max-elements': opts.maxElements = positiveIntArg(flag, value(), usage); break;
      default:
        if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option '${arg}'`);
        if (opts.spec !== undefined) throw new UsageError(`one spec file at a time (got '${opts.spec}' and '${arg}')`);
        opts.spec = arg;
    }
  }
  if (opts.spec === undefined) throw new UsageError('missing the spec file');
  if (opts.format === 'npy' && !opts.out) throw new UsageError('--format npy writes files: give a directory with --out DIR');
  return opts as CliOptions;
}

function readSpec(spec: string): { file: string; text: string } {
  if (spec === '-') return { file: '<stdin>', text: fs.readFileSync(0, 'utf8') };
  try {
    return { file: spec, text: fs.readFileSync(spec, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new SpecError(spec, undefined, { code: 'spec.unreadable', args: { why } });
  }
}

/**
 * The files a spec names (.npy, images, .npz, .safetensors), read relative to the spec (or the
 * working directory for stdin) from anywhere (the user chose them), but only regular files within the element limit.
 */
function readNpyFiles(spec: string, value: unknown, maxElements: number): Promise<NpyFiles> {
  const specPath = spec === '-' ? path.join(process.cwd(), '<stdin>') : spec;
  return readSpecFiles(specPath, specFileReferences(value), nodeSpecFiles, { maxElements });
}

/** JSON has no NaN or Infinity: they are written as the strings the spec reader accepts. */
function jsonNumber(x: number): string {
  return Number.isFinite(x) ? String(x) : Number.isNaN(x) ? '"NaN"' : x > 0 ? '"Infinity"' : '"-Infinity"';
}

function* jsonChunks(tensors: NamedTensors, names: readonly string[]): Generator<string> {
  yield '{';
  let first = true;
  for (const name of names) {
    const t = tensors.get(name);
    if (!t) continue;
    yield `${first ? '' : ','}\n  ${JSON.stringify(name)}: {"shape": ${JSON.stringify(t.shape)}, "dtype": "${t.dtype}", "data": [`;
    first = false;
    const step = 8192;
    for (let i = 0; i < t.data.length; i += step) {
      const part: string[] = [];
      for (let j = i; j < Math.min(i + step, t.data.length); j++) part.push(jsonNumber(t.data[j]));
      yield (i > 0 ? ', ' : '') + part.join(', ');
    }
    yield ']}';
  }
  yield '\n}\n';
}

function writeAll(fd: number, chunks: Iterable<string>): void {
  for (const chunk of chunks) fs.writeSync(fd, chunk);
}

/**
 * The multiply-adds of a run's products, from its plan: the layers' forward FLOPs (2 a multiply-add for the
 * products; the other kinds' few count as they are), three times over with the backward pass (∂C/∂input and
 * ∂C/∂w each cost a forward).
 */
export function plannedMultiplyAdds(problem: ConvProblem | NetworkProblem, backward: boolean): number {
  const flops = 'layers' in problem
    ? planNetwork(problem, backward).layers.reduce((sum, l) => sum + l.cost.flops, 0)
    : conv2dCost(convInfo(problem.input.shape, problem.weight.shape, problem.options, problem.bias?.shape)).flops;
  return (flops / 2) * (backward ? 3 : 1);
}

/**
 * From this many planned multiply-adds a spec's run starts helper threads (2^30: the bench's two ResNet-block convs,
 * 0.7G at batch 1, stay on one thread; at batch 8, 5.5G, use every core). A helper costs its start (a worker and the
 * kernel's instance, tens of ms) and a short process spends most of its time outside the products (starting Node,
 * reading, the trace's copies, its new memory): on 2 cores that batch-1 run was 5–10 % slower with a helper, whose
 * products gain ~20 ms.
 */
export const THREADS_FROM_MULTIPLY_ADDS = 2 ** 30;

/**
 * Runs conv-trace on `argv`, writing to the file descriptors `stdout` and `stderr`; the exit status. `threads`
 * installs helper threads (the command installs Node's): called before a model runs, or a spec whose plan has
 * products big enough to gain (THREADS_FROM_MULTIPLY_ADDS).
 */
export async function run(argv: readonly string[], stdout = 1, stderr = 2, threads?: () => void): Promise<number> {
  const say = (fd: number, line: string) => fs.writeSync(fd, line + '\n');
  // Escaped here, where every message leaves, rather than where each is made: no message can miss it.
  const complain = (line: string) => say(stderr, printable(line));
  try {
    if (isModelCommand(argv)) {
      // A model someone brings is a whole CNN: its products gain from every core.
      threads?.();
      runModel(argv, stdout);
      return 0;
    }
    const opts = parseArgs(argv);
    if (opts === 'help') { say(stdout, USAGE); return 0; }
    if (opts === 'version') { say(stdout, typeof __VERSION__ === 'string' ? __VERSION__ : 'dev'); return 0; }
    const { file, text } = readSpec(opts.spec);
    const source = JsonSource.parse(file, text);
    const npy = await readNpyFiles(opts.spec, source.value, opts.maxElements);
    const backward = !opts.forwardOnly;
    const trace: AnyTrace = traceSpecSource(source, { backward, maxElements: opts.maxElements }, npy, problem => {
      if (plannedMultiplyAdds(problem, backward) >= THREADS_FROM_MULTIPLY_ADDS) threads?.();
    });
    const tensors = namedTensors(trace);
    const missing = (opts.only ?? []).filter(n => !tensors.names.includes(n));
    if (missing.length && opts.forwardOnly && !isNetworkTrace(trace)) throw new UsageError(`${missing.join(', ')} come from the backward pass, which --forward-only skips`);
    if (missing.length) throw new UsageError(`${missing.map(n => `'${n}'`).join(', ')} not in this trace; it has ${tensors.names.slice(0, 12).join(', ')}${tensors.names.length > 12 ? ', …' : ''}`);
    const names = opts.only ?? tensors.names;
    for (const w of nonFiniteWarnings(trace)) complain(`conv-trace: warning: ${english(w)}`);
    if (!isNetworkTrace(trace) && trace.rot180 && !trace.rot180.agrees) complain(`conv-trace: warning: col2im and rot180 disagree on ∂C/∂a by ${trace.rot180.maxAbsDiff}`);

    if (opts.format === 'npy') {
      fs.mkdirSync(opts.out!, { recursive: true });
      for (const name of names) {
        const t = tensors.get(name);
        if (!t) continue;
        const target = path.join(opts.out!, `${name.replace(/[[\]]/g, '_').replace(/_\./g, '.')}.npy`);
        fs.writeFileSync(target, encodeNpy(t));
        say(stdout, `${target}  (${t.shape.join(', ')})  ${t.dtype}`);
      }
      return 0;
    }
    const chunks = opts.format === 'text' ? [formatAnyTrace(trace, names, opts.precision) + '\n'] : jsonChunks(tensors, names);
    if (opts.out) {
      fs.mkdirSync(opts.out, { recursive: true });
      const target = path.join(opts.out, opts.format === 'text' ? 'trace.txt' : 'trace.json');
      const fd = fs.openSync(target, 'w');
      try { writeAll(fd, chunks); } finally { fs.closeSync(fd); }
      say(stdout, target);
    } else {
      writeAll(stdout, chunks);
    }
    return 0;
  } catch (e) {
    if (e instanceof SpecError) { complain(e.message); return 2; }
    if (e instanceof ModelUsageError) { complain(`conv-trace: ${e.message}`); return 2; }
    if (e instanceof UsageError) { complain(`conv-trace: ${e.message}; ${USAGE.split('\n')[0]}`); return 2; }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') return 0; // the reader went away (| head)
    if (code) { complain(`conv-trace: ${(e as Error).message}`); return 2; }
    complain(`conv-trace: internal error: ${(e as Error).message ?? String(e)}`);
    return 1;
  }
}

if (require.main === module) {
  // Big products on every core (helper threads that end with the process), for runs big enough to gain; for any
  // run when CVD_THREADS asks for more than one thread.
  let installed = false;
  const install = () => {
    if (!installed) installNodeGemmThreads();
    installed = true;
  };
  if (Number(process.env.CVD_THREADS) > 1) install();
  void run(process.argv.slice(2), 1, 2, install).then(status => { process.exitCode = status; });
}
