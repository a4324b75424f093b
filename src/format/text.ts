// Plain-text rendering of a trace, numpy style, for terminals and logs.

import { aboutEnglish } from '../engine/aboutText.en';
import { outputSizeFormula } from '../engine/convInfo';
import { Tensor, formatShape, sizeOf } from '../engine/tensor';
import { FloatFormat, roundTo } from './floats';
import { ConvTrace, TensorName, TraceTensor, tensorNames } from '../engine/trace';
import { isChained } from '../engine/graph';
import { LayerTrace, NetworkTrace, isNetworkTrace, networkTensor, networkTensorNames } from '../engine/network';

/** Integers print exactly; others with `precision` significant digits, trailing zeros trimmed. */
export function formatNumber(x: number, precision = 6): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const s = x.toPrecision(precision);
  // Only a fraction's zeros go: toPrecision(6) of 123450.4 is "123450".
  if (!s.includes('.')) return s;
  return s.includes('e') ? s.replace(/\.?0+e/, 'e') : s.replace(/\.?0+$/, '');
}

/**
 * A value as precisely as its format holds it, without the noise of float
 * arithmetic: float32, float16 and bfloat16 as the shortest decimal that reads
 * back as the same value (numpy's repr; a sum or product worked out in float64
 * is rounded to the format first), float64 to 15 significant digits, the most
 * that survive decimal → binary → decimal (0.1 + 0.2 shows 0.3, as in a spreadsheet).
 */
export function fullValue(x: number, format: FloatFormat = 'float64'): string {
  x = roundTo(format, x);
  if (Object.is(x, -0)) return '-0';
  if (!Number.isFinite(x) || (Number.isInteger(x) && Math.abs(x) < 1e15)) return formatNumber(x);
  if (format !== 'float64') {
    for (let p = 1; p < 9; p++) if (roundTo(format, Number(x.toPrecision(p))) === x) return formatNumber(x, p);
    return formatNumber(x, 9);
  }
  // 15 digits of the largest doubles round past the largest double: those need 17.
  return Number.isFinite(Number(x.toPrecision(15))) ? formatNumber(x, 15) : formatNumber(x, 17);
}

/** The last two axes as aligned rows; leading axes become `name[i, j] =` headings. */
export function formatTensor(name: string, t: Tensor, precision = 6, maxRows = 24, maxCols = 16): string {
  const shape = t.shape;
  const rows = shape.length >= 2 ? shape[shape.length - 2] : 1;
  const cols = shape.length >= 1 ? shape[shape.length - 1] : 1;
  const lead = shape.slice(0, Math.max(0, shape.length - 2));
  const blocks = sizeOf(lead);
  const out: string[] = [];
  const shownRows = Math.min(rows, maxRows);
  const shownCols = Math.min(cols, maxCols);
  for (let blk = 0; blk < blocks; blk++) {
    if (blk >= 8) {
      out.push(`  … ${blocks - blk} more ${formatShape([rows, cols])} blocks`);
      break;
    }
    const idx: number[] = [];
    let rest = blk;
    for (let d = lead.length - 1; d >= 0; d--) { idx.unshift(rest % lead[d]); rest = Math.floor(rest / lead[d]); }
    const cells: string[][] = [];
    for (let r = 0; r < shownRows; r++) {
      const line: string[] = [];
      for (let c = 0; c < shownCols; c++) line.push(formatNumber(t.data[(blk * rows + r) * cols + c], precision));
      if (shownCols < cols) line.push('…');
      cells.push(line);
    }
    const width = Math.max(1, ...cells.flat().map(s => s.length));
    out.push(lead.length ? `${name}[${idx.join(', ')}] =` : `${name} =`);
    for (const line of cells) out.push('  ' + line.map(s => s.padStart(width)).join(' '));
    if (shownRows < rows) out.push(`  … ${rows - shownRows} more rows`);
  }
  return out.join('\n');
}

function heading(t: TraceTensor): string {
  return `${t.name}  ${formatShape(t.shape)} ${t.axes.join(' × ')}  ${t.dtype}  ${aboutEnglish(t.about)}`;
}

export function formatTrace(trace: ConvTrace, names: readonly TensorName[], precision = 6): string {
  const i = trace.info;
  const lines = [
    `conv2d  input ${formatShape([i.batch, i.inChannels, i.inHeight, i.inWidth])}  weight ${formatShape([i.outChannels, i.inChannelsPerGroup, i.kernelHeight, i.kernelWidth])}` +
    `  stride (${i.strideHeight}, ${i.strideWidth})  padding [${i.padTop}, ${i.padBottom}, ${i.padLeft}, ${i.padRight}]` +
    `  dilation (${i.dilationHeight}, ${i.dilationWidth})  groups ${i.groups}  ${trace.dtype}`,
    `  ${outputSizeFormula(i, 'height')}`,
    `  ${outputSizeFormula(i, 'width')}`,
    'stages:',
    ...trace.stages.map((s, n) => `  ${String(n + 1).padStart(2)}. [${s.pass}] ${s.title}: ${s.formula}`),
  ];
  if (trace.rot180) {
    const verdict = trace.rot180.agrees ? 'agree' : 'DISAGREE';
    lines.push(`col2im and rot180 ${verdict} on ∂C/∂a: max |difference| = ${formatNumber(trace.rot180.maxAbsDiff)}`);
  }
  for (const name of names) {
    const t = trace.tensors[name];
    if (!t) continue;
    lines.push('', heading(t), formatTensor(name, t, precision));
  }
  return lines.join('\n');
}

/** Any trace's tensors by flat name: `z` for a single conv, `layers[2].dA` in a network. */
export interface NamedTensors {
  names: string[];
  get(name: string): TraceTensor | undefined;
}

export function namedTensors(trace: ConvTrace | NetworkTrace): NamedTensors {
  if (isNetworkTrace(trace)) return { names: networkTensorNames(trace), get: n => networkTensor(trace, n) };
  return { names: tensorNames(trace), get: n => trace.tensors[n as TensorName] };
}

/** A layer's line in the network's header: its shapes, what it takes when that is not the layer before, where its δ came from when several handed one. */
function layerLine(l: LayerTrace, i: number): string {
  // The loss takes the last layer's output: chained too.
  const inputs = isChained(i, l.inputs.map(x => x.name)) ? '' : `  ← ${l.inputs.map(x => x.name).join(', ')}`;
  const delta = l.deltaSource === 'sum' ? `  δ = Σ from ${l.deltaFrom!.join(', ')}` : '';
  return `  ${l.name.padEnd(9)}  ${l.title.padEnd(22)} ${l.inputs.map(x => formatShape(x.shape)).join(', ')} → ${formatShape(l.outputShape)}${inputs}${delta}`;
}

export function formatNetwork(trace: NetworkTrace, names: readonly string[], precision = 6): string {
  const lines = ['network', ...trace.layers.map(layerLine)];
  if (trace.loss) lines.push(`loss (${trace.loss.type}) = ${formatNumber(trace.loss.value, precision)}`);
  const tensors = namedTensors(trace);
  for (const name of names) {
    const t = tensors.get(name);
    if (!t) continue;
    lines.push('', `${name}  ${formatShape(t.shape)} ${t.axes.join(' × ')}  ${t.dtype}  ${aboutEnglish(t.about)}`, formatTensor(name, t, precision));
  }
  return lines.join('\n');
}

export function formatAnyTrace(trace: ConvTrace | NetworkTrace, names: readonly string[], precision = 6): string {
  return isNetworkTrace(trace) ? formatNetwork(trace, names, precision) : formatTrace(trace, names as TensorName[], precision);
}
