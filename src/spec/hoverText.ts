// Hover texts (Markdown) for tensors in JSON and for a spec's keys. Pure: the
// extension's hover provider and the tests both call these.

import { ConvInfo, outputSizeFormula } from '../engine/convInfo';
import type { PoolInfo } from '../engine/layers';
import type { LayerShapes } from '../engine/network';
import { formatShape } from '../engine/tensor';
import { formatNumber } from '../format/text';
import type { SpecAnalysis, TensorKey } from './convSpec';
import { LocatedTensor, indexWithin, previewRows } from './locator';
import { JSONPath, jsonPath } from './source';

/** The number token around an offset, if the offset is on one. */
function numberAt(text: string, offset: number): number | undefined {
  const isNum = (c: string) => /[0-9eE+\-.]/.test(c);
  let a = offset;
  let b = offset;
  while (a > 0 && isNum(text[a - 1])) a--;
  while (b < text.length && isNum(text[b])) b++;
  if (b <= a) return undefined;
  const x = Number(text.slice(a, b));
  return Number.isFinite(x) ? x : undefined;
}

function table(rows: number[][], precision: number): string {
  const cells = rows.map(r => r.map(v => formatNumber(v, precision)));
  const width = Math.max(1, ...cells.flat().map(c => c.length));
  return cells.map(r => r.map(c => c.padStart(width)).join(' ')).join('\n');
}

/** Shape, statistics, the cell under the pointer and a preview of the first rows. */
export function tensorHover(text: string, t: LocatedTensor, offset: number, precision = 5): string {
  const s = t.stats;
  const lines = [`**${jsonPath(t.path)}** · tensor \`${formatShape(t.shape)}\` · ${s.count.toLocaleString('en-US')} values`, ''];
  lines.push(`min ${formatNumber(s.min, precision)} · max ${formatNumber(s.max, precision)} · mean ${formatNumber(s.mean, precision)} · non-finite ${s.nonFinite}`);
  if (t.ragged) lines.push('', `⚠ ${t.ragged.problem} at \`${jsonPath(t.ragged.path)}\``);
  const index = indexWithin(text, t, offset);
  const value = numberAt(text, offset);
  if (index.length === t.shape.length && value !== undefined) {
    lines.push('', `cell \`${String(t.path[t.path.length - 1] ?? '$')}[${index.join(', ')}]\` = ${value}`);
  }
  const rows = previewRows(text, t);
  if (rows.length) {
    const lead = t.shape.length > 2 ? `first 2-D slice [${new Array(t.shape.length - 2).fill(0).join(', ')}]` : t.shape.length === 2 ? 'first rows' : 'first values';
    const more = t.shape.length >= 2 && t.shape[t.shape.length - 2] > rows.length ? '\n…' : '';
    lines.push('', `${lead}:`, '```text', table(rows, precision) + more, '```');
  }
  return lines.join('\n');
}

const AXES: Record<TensorKey, string> = { input: '(B, Cin, H, W)', weight: '(Cout, Cin/groups, kh, kw)', bias: '(Cout,)', grad: '(B, Cout, Hout, Wout)' };

function geometryLines(i: ConvInfo): string[] {
  return [
    `stride (${i.strideHeight}, ${i.strideWidth}) · padding [${i.padTop}, ${i.padBottom}, ${i.padLeft}, ${i.padRight}] · dilation (${i.dilationHeight}, ${i.dilationWidth}) · groups ${i.groups}`,
    '',
    '```text',
    outputSizeFormula(i, 'height'),
    outputSizeFormula(i, 'width'),
    '```',
  ];
}

/** What a spec key means in this spec: the shapes derived from it, formulas filled in. */
export function specKeyHover(key: string, analysis: SpecAnalysis, npy?: { file: string; shape: number[]; dtype: string }): string | undefined {
  const i = analysis.info;
  const lines: string[] = [];
  const shape = (d: number[]) => `\`${formatShape(d)}\``;
  if (npy) lines.push(`**${npy.file}**: ${npy.dtype} ${shape(npy.shape)}`, '');
  if (!i) {
    const mine = analysis.problems.filter(p => p.path?.[0] === key);
    const all = mine.length ? mine : analysis.problems;
    if (!all.length) return lines.length ? lines.join('\n') : undefined;
    lines.push(`**${key}**: the derived shapes need a valid spec first:`, ...all.slice(0, 5).map(p => `- ${p.problem}`));
    return lines.join('\n');
  }
  const K = i.patchSize;
  switch (key) {
    case 'input':
      lines.push(
        `**input** ${shape([i.batch, i.inChannels, i.inHeight, i.inWidth])} = ${AXES.input}`, '',
        `- padded \`a\` ${shape([i.batch, i.inChannels, i.paddedHeight, i.paddedWidth])}`,
        `- \`a_t\` = im2col(a) ${shape([i.batch, i.outPositions, K])} = (B, Hout·Wout, Cin·kh·kw)`,
        `- \`z\` ${shape([i.batch, i.outChannels, i.outHeight, i.outWidth])} = (B, Cout, Hout, Wout)`, '',
        ...geometryLines(i));
      break;
    case 'weight':
      lines.push(
        `**weight** ${shape([i.outChannels, i.inChannelsPerGroup, i.kernelHeight, i.kernelWidth])} = ${AXES.weight}`, '',
        `- \`w_t\` = w.reshape(Cout, -1).T ${shape([K, i.outChannels])}${i.groups > 1 ? `, block-diagonal: ${i.groups} groups of ${i.groupPatchSize} rows × ${i.outChannelsPerGroup} columns` : ''}`,
        `- \`z_t\` = a_t @ w_t ${shape([i.batch, i.outPositions, i.outChannels])}`,
        `- each output value sums ${i.groupPatchSize} products`);
      break;
    case 'bias':
      lines.push(`**bias** ${shape([i.outChannels])} = ${AXES.bias}: b[o] is added to every position of channel o`);
      break;
    case 'grad':
      lines.push(`**grad** (δ = ∂C/∂z) must have the output's shape ${shape([i.batch, i.outChannels, i.outHeight, i.outWidth])} = ${AXES.grad}`, '',
        `- \`δ_t\` ${shape([i.batch, i.outPositions, i.outChannels])}, \`∂C/∂a_t\` = δ_t @ w_tᵀ ${shape([i.batch, i.outPositions, K])}`,
        '- without it, δ is all ones (C = Σ z)');
      break;
    case 'stride': case 'padding': case 'dilation': case 'groups':
      lines.push(`**${key}**`, '', ...geometryLines(i));
      break;
    default:
      return lines.length ? lines.join('\n') : undefined;
  }
  return lines.join('\n');
}

function poolSizeFormula(p: PoolInfo, axis: 'height' | 'width'): string {
  const [n, name, pad, d, k, s, out] = axis === 'height'
    ? [p.inHeight, 'Hout', p.padHeight, p.dilationHeight, p.kernelHeight, p.strideHeight, p.outHeight]
    : [p.inWidth, 'Wout', p.padWidth, p.dilationWidth, p.kernelWidth, p.strideWidth, p.outWidth];
  return `${name} = ${p.ceilMode ? 'ceil' : 'floor'}((${n} + 2·${pad} - ${d}·(${k}-1) - 1) / ${s}) + 1 = ${out}`;
}

/** One layer of a network spec: where it sits in the chain and the shapes it makes. */
function layerLines(index: number, l: LayerShapes): string[] {
  const shape = (d: number[]) => `\`${formatShape(d)}\``;
  const lines = [`**layers[${index}]** ${l.title} · ${shape(l.input)} → ${shape(l.output)}`, ''];
  if (l.conv) {
    const i = l.conv;
    lines.push(
      `- \`a_t\` = im2col(pad(input)) ${shape([i.batch, i.outPositions, i.patchSize])}, \`w_t\` ${shape([i.patchSize, i.outChannels])}, \`z_t\` ${shape([i.batch, i.outPositions, i.outChannels])}`,
      `- each output value sums ${i.groupPatchSize} products`, '', ...geometryLines(i));
  } else if (l.pool) {
    const p = l.pool;
    lines.push(
      `- \`pool_t\` ${shape([p.batch, p.channels, p.outHeight * p.outWidth, p.kernelHeight * p.kernelWidth])}: one row per window, one column per tap`,
      `- ${p.kind === 'max' ? 'backward routes δ to each window\'s argmax (the first on ties)' : 'backward spreads δ evenly over each window'}`,
      '', `stride (${p.strideHeight}, ${p.strideWidth}) · padding (${p.padHeight}, ${p.padWidth}) · dilation (${p.dilationHeight}, ${p.dilationWidth}) · ceil_mode ${p.ceilMode}`,
      '', '```text', poolSizeFormula(p, 'height'), poolSizeFormula(p, 'width'), '```');
  } else if (l.op === 'linear') {
    lines.push(`- weight ${shape([l.output[1], l.input[1]])} = (out, in); \`w_t\` = W.T ${shape([l.input[1], l.output[1]])}`, '- z = input @ w_t + b; backward: δ @ w_tᵀ, δᵀ @ input');
  } else if (l.op === 'flatten') {
    lines.push(`- every batch item becomes one row of ${l.output[1]} features; backward reshapes δ back`);
  } else {
    lines.push(`- applied to every value on its own; backward multiplies δ by h'(z): δ^l = δ ⊙ h'(z^l)`);
  }
  return lines;
}

/** A network spec's keys: "layers" lists the chain, a layer's keys show that layer, "input" and "loss" the ends. */
export function networkKeyHover(path: JSONPath, analysis: SpecAnalysis): string | undefined {
  const layers = analysis.layers;
  const shape = (d: number[]) => `\`${formatShape(d)}\``;
  if (!layers) {
    const at = path[0] === 'layers' && typeof path[1] === 'number' ? `layers[${path[1]}]` : String(path[0]);
    const mine = analysis.problems.filter(p => p.path && jsonPath(p.path).startsWith(jsonPath(path.slice(0, path[0] === 'layers' ? 2 : 1))));
    const all = mine.length ? mine : analysis.problems;
    return all.length ? [`**${at}**: the shapes through the network need the chain to fit first:`, ...all.slice(0, 5).map(p => `- ${p.problem}`)].join('\n') : undefined;
  }
  if (path[0] === 'layers' && typeof path[1] === 'number') return layers[path[1]] ? layerLines(path[1], layers[path[1]]).join('\n') : undefined;
  const last = layers[layers.length - 1];
  switch (path[0]) {
    case 'layers':
      return [`**layers**: ${layers.length} layers, ${shape(layers[0].input)} → ${shape(last.output)}`, '', '```text',
        ...layers.map((l, i) => `${String(i).padStart(2)}  ${l.title.padEnd(20)} ${formatShape(l.input)} → ${formatShape(l.output)}`), '```'].join('\n');
    case 'input':
      return `**input** ${shape(layers[0].input)} = (B, C, H, W), read by layers[0] (${layers[0].title})`;
    case 'loss':
      return `**loss** on the output ${shape(last.output)} of layers[${layers.length - 1}] (${last.title}): mse takes a target of that shape; cross_entropy one class index per batch item (${last.output[0]}). It makes the first δ.`;
    case 'grad':
      return `**grad** (δ = ∂C/∂output) must have the output's shape ${shape(last.output)}`;
    default:
      return undefined;
  }
}
