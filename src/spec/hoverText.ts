// Hover texts (Markdown) for tensors in JSON and for a spec's keys. Pure: the
// extension's hover provider and the tests both call these.

import { ConvInfo, outputSizeFormula } from '../engine/convInfo';
import { formatShape } from '../engine/tensor';
import { formatNumber } from '../format/text';
import type { SpecAnalysis, TensorKey } from './convSpec';
import { LocatedTensor, indexWithin, previewRows } from './locator';
import { jsonPath } from './source';

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
