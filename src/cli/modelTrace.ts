// conv-trace's model form: `conv-trace MODEL.onnx --input FILE.npy|FILE.png` prints every value of the model under
// its ONNX name (specReader/onnx/modelTrace.ts computes them), with --target also each one's gradient. Everything
// is read and computed before anything is written, so a refused run writes nothing; existing files are kept
// unless --force.

import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_MAX_ELEMENTS } from '../engine/budget';
import { cliArguments, positiveIntArg } from './args';
import { EngineError } from '../engine/errors';
import { DType, Tensor, formatShape, sizeOf } from '../engine/tensor';
import { formatNumber, fullValue } from '../format/text';
import { formatValue } from '../format/valueText';
import { TensorFileError } from '../specReader/fileError';
import { ImageOptions, decodeImage } from '../specReader/image';
import { decodeNpy, encodeNpy } from '../specReader/npy';
import { readGraph } from '../specReader/onnx/graph';
import { ModelTrace, ModelValue, traceOnnxModel } from '../specReader/onnx/modelTrace';
import { maxNpyBytes } from '../specReader/specFiles';

export const MODEL_USAGE = `usage: conv-trace MODEL.onnx --input FILE.npy|FILE.png [options]
Runs an ONNX model on an input and prints every value under its ONNX name: the graph input, each node's
output, each initializer; with --target, each one's gradient too, as grad:NAME.

  --input FILE         a .npy of the model's input shape, or a PNG or JPEG image (made (1, C, H, W))
  --target CLASS       gradients of a cross-entropy against class CLASS on the graph's output: of the input,
                       every node's output (a Pad's too, an Upsample's, a Resize's) and every initializer a layer
                       learns (a conv's or Gemm's weight and bias, BatchNorm's scale and shift). None for
                       constants: shapes, pads, scales, a Mul's or Div's constant factor, Clip's bounds,
                       BatchNorm's running statistics, nor for a Pad read by an AveragePool
  --only NAMES         comma-separated names to keep, in that order (grad:NAME for a gradient)
  --format FORMAT      json (default): {"model", "input", "output", "target", "loss", "values": [{"name", "role",
                       "node", "op", "shape", "dtype", "data"}]}; text: each value's shape, dtype, min, max,
                       mean, std and first values; npy: one .npy per value in --out DIR
  --out DIR            write there (values.json, values.txt or one NAME.npy per value) instead of stdout
  --force              overwrite files that exist in --out
  --dtype TYPE         float32 (default) or float64
  --precision N        significant digits for --format text (default 6)
  --max-elements N     refuse runs whose largest tensor exceeds N elements (default ${DEFAULT_MAX_ELEMENTS})
 images (as the model editor's "Run on…"):
  --size H,W           resize to H × W (bilinear; default: the model's declared input size)
  --mode rgb|gray      default: the model's declared channels (3 rgb, 1 gray)
  --scale N            divide every pixel by N (default 255: 8-bit pixels to 0–1)
  --mean M,…  --std S,…  then subtract each channel's mean and divide by its std
  --imagenet           --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225 (torchvision's)`;

export class ModelUsageError extends Error {}

/** ImageNet's per-channel mean and std (torchvision's), as the model editor's RGB preset. */
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

export interface ModelCliOptions {
  model: string;
  input: string;
  target?: number;
  only?: string[];
  format: 'json' | 'text' | 'npy';
  out?: string;
  force: boolean;
  dtype: DType;
  precision: number;
  maxElements: number;
  image: ImageOptions;
}

/** Whether a command line is the model form: its file argument names an .onnx. */
export function isModelCommand(argv: readonly string[]): boolean {
  return argv.some((a, i) => /\.onnx$/i.test(a) && !a.startsWith('-') && !/^--(input|out|only)$/.test(argv[i - 1] ?? ''));
}

function numbers(flag: string, value: string, count?: number): number[] {
  const list = value.split(',').map(s => Number(s.trim()));
  if (list.some(n => !Number.isFinite(n)) || (count !== undefined && list.length !== count)) {
    throw new ModelUsageError(`${flag} needs ${count ?? 'one or more'} comma-separated numbers, got '${value}'`);
  }
  return list;
}

const usage = (message: string): never => { throw new ModelUsageError(message); };

export function parseModelArgs(argv: readonly string[]): ModelCliOptions {
  const opts: Partial<ModelCliOptions> = { format: 'json', force: false, dtype: 'float32', precision: 6, maxElements: DEFAULT_MAX_ELEMENTS };
  const image: ImageOptions = { scale: 255 };
  let mean: number[] | undefined;
  let std: number[] | undefined;
  for (const { arg, flag, value } of cliArguments(argv, usage)) {
    switch (flag) {
      case '--input': opts.input = value(); break;
      case '--target': {
        const v = value();
        const n = Number(v);
        if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new ModelUsageError(`--target needs a class index (0, 1, …), got '${v}'`);
        opts.target = n;
        break;
      }
      case '--only': opts.only = value().split(',').map(s => s.trim()).filter(Boolean); break;
      case '--format': {
        const f = value();
        if (f !== 'json' && f !== 'text' && f !== 'npy') throw new ModelUsageError(`--format must be json, text or npy, got '${f}'`);
        opts.format = f;
        break;
      }
      case '--out': opts.out = value(); break;
      case '--force': opts.force = true; break;
      case '--dtype': {
        const d = value();
        if (d !== 'float32' && d !== 'float64') throw new ModelUsageError(`--dtype must be float32 or float64, got '${d}'`);
        opts.dtype = d;
        break;
      }
      case '--precision': opts.precision = Math.min(17, positiveIntArg(flag, value(), usage)); break;
      case '--max-elements': opts.maxElements = positiveIntArg(flag, value(), usage); break;
      case '--size': {
        const v = value();
        const [h, w] = numbers(flag, v.replace(/[x×]/i, ','), 2);
        if (![h, w].every(n => Number.isInteger(n) && n >= 1)) throw new ModelUsageError(`--size needs two positive integers H,W, got '${v}'`);
        image.size = [h, w];
        break;
      }
      case '--mode': {
        const m = value();
        if (m !== 'rgb' && m !== 'gray') throw new ModelUsageError(`--mode must be rgb or gray, got '${m}'`);
        image.mode = m;
        break;
      }
      case '--scale': {
        const [s] = numbers(flag, value(), 1);
        if (!(s > 0)) throw new ModelUsageError(`--scale must be above 0, got ${s}`);
        image.scale = s;
        break;
      }
      case '--mean': mean = numbers(flag, value()); break;
      case '--std': {
        std = numbers(flag, value());
        if (std.some(s => s <= 0)) throw new ModelUsageError(`--std must be above 0, got ${std.join(',')}`);
        break;
      }
      case '--imagenet': ({ mean, std } = IMAGENET); break;
      default:
        if (arg.startsWith('-')) throw new ModelUsageError(`unknown option '${arg}'`);
        if (opts.model !== undefined) throw new ModelUsageError(`one model at a time (got '${opts.model}' and '${arg}')`);
        opts.model = arg;
    }
  }
  if (opts.model === undefined) throw new ModelUsageError('missing the model file');
  if (opts.input === undefined) throw new ModelUsageError('missing --input FILE.npy|FILE.png: the model needs an input');
  if (opts.format === 'npy' && !opts.out) throw new ModelUsageError('--format npy writes files: give a directory with --out DIR');
  if (mean || std) image.normalize = { mean: mean ?? [], std: std ?? [] };
  return { ...opts, image } as ModelCliOptions;
}

/** A file the user named, refused (with why) when it is not a regular file or is bigger than the limit allows. */
function readUserFile(file: string, maxElements: number): Uint8Array {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    throw new ModelUsageError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (!stat.isFile()) throw new ModelUsageError(`${file}: not a regular file`);
  if (stat.size > maxNpyBytes(maxElements)) throw new ModelUsageError(`${file}: ${stat.size} bytes, more than --max-elements ${maxElements} allows`);
  return new Uint8Array(fs.readFileSync(file));
}

/** The shape the graph's input declares (a symbolic dimension as undefined), when it declares one. */
function declaredInput(model: Uint8Array): (number | undefined)[] | undefined {
  const g = readGraph(model);
  const input = g.inputs.find(i => !g.initializers.has(i.name));
  return input?.shape?.map(d => (typeof d === 'number' ? d : undefined));
}

/** The input: a .npy as written (reshaped to the model's input when only singleton axes differ), or an image preprocessed. */
function readInput(opts: ModelCliOptions, declared: (number | undefined)[] | undefined): Tensor {
  const bytes = readUserFile(opts.input, opts.maxElements);
  if (/\.npy$/i.test(opts.input)) {
    const t = decodeNpy(bytes, opts.dtype);
    const wanted = declared?.every(d => d !== undefined) ? (declared as number[]) : undefined;
    const squeezed = (s: readonly number[]) => s.filter(d => d !== 1).join(',');
    if (wanted && formatShape(wanted) !== formatShape(t.shape) && sizeOf(wanted) === sizeOf(t.shape) && squeezed(wanted) === squeezed(t.shape)) return { ...t, shape: wanted };
    return t;
  }
  const [, c, h, w] = declared ?? [];
  const image: ImageOptions = {
    ...(c === 1 || c === 3 ? { mode: c === 3 ? 'rgb' : 'gray' } : {}),
    ...(h && w ? { size: [h, w] } : {}),
    ...opts.image,
  };
  return decodeImage(bytes, image, opts.dtype, opts.maxElements).tensor;
}

/** JSON has no NaN or Infinity: they are written as strings, as conv-trace's spec form does; float32 as its shortest decimal. */
const jsonNumber = (x: number, dtype: DType) => (!Number.isFinite(x) ? JSON.stringify(String(x)) : dtype === 'float32' ? fullValue(x, 'float32') : String(x));

function* jsonChunks(opts: ModelCliOptions, trace: ModelTrace, model: { input: string; output: string }): Generator<string> {
  const head = { model: path.basename(opts.model), input: model.input, output: model.output, ...(opts.target !== undefined ? { target: opts.target } : {}), ...(trace.loss !== undefined ? { loss: trace.loss } : {}) };
  yield JSON.stringify(head, null, 2).replace(/\n}$/, ',\n  "values": [');
  for (const [k, v] of trace.values.entries()) {
    const about = { name: v.name, role: v.role, ...(v.node !== undefined ? { node: v.node, op: v.op } : {}), shape: v.tensor.shape, dtype: v.tensor.dtype };
    yield `${k ? ',' : ''}\n    ${JSON.stringify(about).replace(/}$/, ', "data": [')}`;
    const step = 8192;
    for (let i = 0; i < v.tensor.data.length; i += step) {
      yield (i ? ', ' : '') + Array.from(v.tensor.data.subarray(i, i + step), x => jsonNumber(x, v.tensor.dtype)).join(', ');
    }
    yield ']}';
  }
  yield '\n  ]\n}\n';
}

/** What a value is, for the text heading. */
function what(v: ModelValue): string {
  if (v.role === 'node' || v.role === 'output') return `${v.op} ${v.node}${v.role === 'output' ? ' (graph output)' : ''}`;
  return v.role === 'input' ? 'graph input' : v.role;
}

function textOf(opts: ModelCliOptions, trace: ModelTrace): string {
  const loss = trace.loss !== undefined ? `; cross-entropy against class ${opts.target}: ${formatNumber(trace.loss, opts.precision)}` : '';
  const head = `${path.basename(opts.model)} on ${path.basename(opts.input)}${loss}`;
  return [head, ...trace.values.map(v => formatValue(v.name, v.tensor, what(v), opts.precision))].join('\n\n') + '\n';
}

/** A file name for an ONNX name: letters, digits, '.', '-' and '_' kept, the rest '_'; unique in `taken`. */
export function safeFileName(name: string, taken: Set<string>): string {
  const base = name.replace(/^grad:/, 'grad_').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._]+/, '').slice(0, 120) || 'value';
  let file = `${base}.npy`;
  for (let k = 2; taken.has(file.toLowerCase()); k++) file = `${base}_${k}.npy`;
  taken.add(file.toLowerCase());
  return file;
}

/** The files a run writes, refused all together (nothing written) when one exists and --force is not given. */
function checkTargets(opts: ModelCliOptions, files: string[]): void {
  if (fs.existsSync(opts.out!) && !fs.statSync(opts.out!).isDirectory()) throw new ModelUsageError(`--out ${opts.out} is not a directory`);
  const there = files.filter(f => fs.existsSync(f));
  if (there.length && !opts.force) {
    throw new ModelUsageError(`${there.length} file${there.length > 1 ? 's' : ''} already there (${there.slice(0, 3).map(f => path.basename(f)).join(', ')}${there.length > 3 ? ', …' : ''}); nothing written: give --force to overwrite`);
  }
  fs.mkdirSync(opts.out!, { recursive: true });
}

/** `fn`'s problems (a file's, a layer's) as usage errors naming `file`. */
function about<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TensorFileError || e instanceof EngineError) throw new ModelUsageError(`${file}: ${e.message}`);
    throw e;
  }
}

/** Runs the model form; writes to `stdout` (a file descriptor). Throws ModelUsageError (a file's problems too). */
export function runModel(argv: readonly string[], stdout: number): void {
  const say = (line: string) => fs.writeSync(stdout, line + '\n');
  if (argv.includes('-h') || argv.includes('--help')) { say(MODEL_USAGE); return; }
  const opts = parseModelArgs(argv);
  const model = readUserFile(opts.model, opts.maxElements);
  const declared = about(opts.model, () => declaredInput(model));
  const input = about(opts.input, () => readInput(opts, declared));
  const trace = about(opts.model, () => traceOnnxModel(model, input, { target: opts.target, only: opts.only, dtype: opts.dtype, maxElements: opts.maxElements }));
  const names = { input: trace.names[0], output: readGraph(model).outputs[0].name };
  if (opts.format === 'npy') {
    const taken = new Set<string>();
    const files = trace.values.map(v => path.join(opts.out!, safeFileName(v.name, taken)));
    checkTargets(opts, files);
    trace.values.forEach((v, k) => {
      fs.writeFileSync(files[k], encodeNpy(v.tensor));
      say(`${files[k]}  ${v.name}  ${formatShape(v.tensor.shape)}  ${v.tensor.dtype}`);
    });
    return;
  }
  const chunks = opts.format === 'text' ? [textOf(opts, trace)] : jsonChunks(opts, trace, names);
  if (!opts.out) {
    for (const c of chunks) fs.writeSync(stdout, c);
    return;
  }
  const target = path.join(opts.out, opts.format === 'text' ? 'values.txt' : 'values.json');
  checkTargets(opts, [target]);
  const fd = fs.openSync(target, 'w');
  try { for (const c of chunks) fs.writeSync(fd, c); } finally { fs.closeSync(fd); }
  say(target);
}
