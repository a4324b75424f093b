// Hover texts (Markdown) for tensors in JSON and for a spec's keys. Pure: the
// extension's hover provider and the tests both call these. Whatever comes from
// the file (key names, paths, file names, problems quoting them) goes in through
// markdownText or markdownCode, so it shows as written and never as Markdown.

import { convGeometryLines } from '../engine/layerKinds/conv2dView';
import { codeShape } from '../engine/layerKinds/view';
import { hoverLines } from '../engine/layerKinds/views';
import { isChained } from '../engine/graph';
import { networkInputOf } from '../engine/layerKinds';
import { type LayerShapes, layerName } from '../engine/network';
import { thousands } from '../engine/problem';
import { formatShape, tensorStats } from '../engine/tensor';
import { renderText } from '../format/explain';
import { markdownCode, markdownText } from '../format/safeText';
import { formatNumber } from '../format/text';
import { type Locale, panelText } from '../l10n/panelText';
import { renderProblem } from './problemText';
import type { SpecAnalysis, TensorKey } from './convSpec';
import { thumbnailPng } from './image';
import type { Problem } from './problemCodes';
import { LocatedTensor, SCAN_BUDGET, TensorScan, indexWithin, previewRows } from './locator';
import { JSONPath, jsonPath } from './source';
import { SourceReading, sourceLabel } from './tensorSource';

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
export function tensorHover(text: string, t: LocatedTensor, offset: number, precision = 5, locale: Locale = 'en'): string {
  const s = t.stats;
  const w = panelText(locale);
  const lines = [w.hoverTensor(markdownText(jsonPath(t.path)), formatShape(t.shape), s.count.toLocaleString('en-US')), ''];
  lines.push(w.hoverStats(formatNumber(s.min, precision), formatNumber(s.max, precision), formatNumber(s.mean, precision), s.nonFinite));
  if (t.ragged) lines.push('', w.hoverRagged(markdownText(renderProblem(t.ragged.problem, locale)), markdownCode(jsonPath(t.ragged.path))));
  const index = indexWithin(text, t, offset);
  const value = numberAt(text, offset);
  if (index.length === t.shape.length && value !== undefined) {
    lines.push('', w.hoverCell(markdownCode(`${String(t.path[t.path.length - 1] ?? '$')}[${index.join(', ')}]`), value));
  }
  const rows = previewRows(text, t);
  if (rows.length) {
    const lead = t.shape.length > 2 ? w.hoverFirstSlice(new Array(t.shape.length - 2).fill(0).join(', ')) : t.shape.length === 2 ? w.hoverFirstRows : w.hoverFirstValues;
    const more = t.shape.length >= 2 && t.shape[t.shape.length - 2] > rows.length ? '\n…' : '';
    lines.push('', lead, '```text', table(rows, precision) + more, '```');
  }
  return lines.join('\n');
}

/** A file a key names, with how it stores the tensor and the tensor's shape (both from the user's files). */
export function npyLine(npy: { file: string; shape: readonly number[]; dtype: string }): string {
  return `**${markdownText(npy.file)}**: ${markdownText(npy.dtype)} \`${formatShape(npy.shape)}\``;
}

/** Bytes as base64 (btoa is there in Node and in the browser). */
function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** A tensor read from a file: what the file stores, its shape, statistics and, for an image, a thumbnail (a data: URI, which hovers show). */
export function sourceHover(r: SourceReading, locale: Locale = 'en', precision = 5): string {
  const data = r.tensor.data;
  const s = tensorStats(data);
  let sum = 0;
  for (let i = 0; i < data.length; i++) if (Number.isFinite(data[i])) sum += data[i];
  const finite = data.length - s.nonFinite;
  const lines = [npyLine({ file: sourceLabel(r), shape: r.tensor.shape, dtype: r.stored }), '',
    panelText(locale).hoverStats(formatNumber(s.min, precision), formatNumber(s.max, precision), formatNumber(finite ? sum / finite : 0, precision), s.nonFinite)];
  const thumbnail = r.format === 'image' ? thumbnailPng(r.tensor) : undefined;
  if (thumbnail) lines.push('', `![thumbnail](data:image/png;base64,${base64(thumbnail)})`);
  return lines.join('\n');
}

/** One problem of the spec, as a list item. */
function problemLine(problem: Problem, locale: Locale): string {
  return `- ${markdownText(renderProblem(problem, locale))}`;
}

/** Why a file's tensors cannot be previewed: its scan went over budget. */
export function skippedScanHover(reason: NonNullable<TensorScan['skipped']>, locale: Locale = 'en'): string {
  const w = panelText(locale);
  return reason === 'too deep' ? w.hoverTooDeep(SCAN_BUDGET.maxDepth) : w.hoverTooLarge;
}

const AXES: Record<TensorKey, string> = { input: '(B, Cin, H, W)', weight: '(Cout, Cin/groups, kh, kw)', bias: '(Cout,)', grad: '(B, Cout, Hout, Wout)' };

/** What a spec key means in this spec: the shapes derived from it, formulas filled in. */
export function specKeyHover(key: string, analysis: SpecAnalysis, source?: SourceReading, locale: Locale = 'en'): string | undefined {
  const i = analysis.info;
  const w = panelText(locale);
  const lines: string[] = [];
  if (source) lines.push(sourceHover(source, locale), '');
  if (!i) {
    const mine = analysis.problems.filter(p => p.path?.[0] === key);
    const all = mine.length ? mine : analysis.problems;
    if (!all.length) return lines.length ? lines.join('\n') : undefined;
    lines.push(w.hoverNeedsValidSpec(markdownText(key)), ...all.slice(0, 5).map(p => problemLine(p.problem, locale)));
    return lines.join('\n');
  }
  const K = i.patchSize;
  switch (key) {
    case 'input':
      lines.push(
        `**input** ${codeShape([i.batch, i.inChannels, i.inHeight, i.inWidth])} = ${AXES.input}`, '',
        w.hoverPadded(codeShape([i.batch, i.inChannels, i.paddedHeight, i.paddedWidth])),
        `- \`a_t\` = im2col(a) ${codeShape([i.batch, i.outPositions, K])} = (B, Hout·Wout, Cin·kh·kw)`,
        `- \`z\` ${codeShape([i.batch, i.outChannels, i.outHeight, i.outWidth])} = (B, Cout, Hout, Wout)`, '',
        ...convGeometryLines(i).map(line => renderText(line, locale)));
      break;
    case 'weight':
      lines.push(
        `**weight** ${codeShape([i.outChannels, i.inChannelsPerGroup, i.kernelHeight, i.kernelWidth])} = ${AXES.weight}`, '',
        `- \`w_t\` = w.reshape(Cout, -1).T ${codeShape([K, i.outChannels])}${i.groups > 1 ? w.hoverBlockDiagonal(i.groups, i.groupPatchSize, i.outChannelsPerGroup) : ''}`,
        `- \`z_t\` = a_t @ w_t ${codeShape([i.batch, i.outPositions, i.outChannels])}`,
        w.hoverSumsProducts(i.groupPatchSize));
      break;
    case 'bias':
      lines.push(w.hoverBias(codeShape([i.outChannels]), AXES.bias));
      break;
    case 'grad':
      lines.push(`${w.hoverGrad(codeShape([i.batch, i.outChannels, i.outHeight, i.outWidth]))} = ${AXES.grad}`, '',
        `- \`δ_t\` ${codeShape([i.batch, i.outPositions, i.outChannels])}, \`∂C/∂a_t\` = δ_t @ w_tᵀ ${codeShape([i.batch, i.outPositions, K])}`,
        w.hoverGradDefault);
      break;
    case 'stride': case 'padding': case 'dilation': case 'groups':
      lines.push(`**${key}**`, '', ...convGeometryLines(i).map(line => renderText(line, locale)));
      break;
    default:
      return lines.length ? lines.join('\n') : undefined;
  }
  return lines.join('\n');
}

/** A layer's input shape, or, when it names inputs other than the layer before, each by name with its shape. */
export function inputsText(index: number, l: LayerShapes, shape: (d: number[]) => string): string {
  return isChained(index, l.inputs.map(x => x.name)) ? shape(l.input) : l.inputs.map(x => `${x.name} ${shape(x.shape)}`).join(', ');
}

/** One layer of a network spec: where it sits in the network, the shapes it makes and what its kind's view says of it. */
function layerLines(index: number, l: LayerShapes, locale: Locale): string[] {
  const head = `**${layerName(index)}** ${l.title} · ${inputsText(index, l, codeShape)} → ${codeShape(l.output)}`;
  const cost = l.cost ? ['', panelText(locale).hoverCost(thousands(l.cost.flops), thousands(l.cost.params))] : [];
  return [head, '', ...hoverLines(l.geometry, l).map(line => renderText(line, locale)), ...cost];
}

/** A network spec's keys: "layers" lists the chain, a layer's keys show that layer, "input" and "loss" the ends. */
export function networkKeyHover(path: JSONPath, analysis: SpecAnalysis, locale: Locale = 'en'): string | undefined {
  const layers = analysis.layers;
  const w = panelText(locale);
  if (!layers) {
    const at = path[0] === 'layers' && typeof path[1] === 'number' ? `layers[${path[1]}]` : String(path[0]);
    const mine = analysis.problems.filter(p => p.path && jsonPath(p.path).startsWith(jsonPath(path.slice(0, path[0] === 'layers' ? 2 : 1))));
    const all = mine.length ? mine : analysis.problems;
    return all.length ? [w.hoverChainNeedsFit(markdownText(at)), ...all.slice(0, 5).map(p => problemLine(p.problem, locale))].join('\n') : undefined;
  }
  if (path[0] === 'layers' && typeof path[1] === 'number') return layers[path[1]] ? layerLines(path[1], layers[path[1]], locale).join('\n') : undefined;
  const last = layers[layers.length - 1];
  switch (path[0]) {
    case 'layers':
      return [w.hoverLayers(layers.length, codeShape(layers[0].input), codeShape(last.output)), '', '```text',
        ...layers.map((l, i) => `${String(i).padStart(2)}  ${l.title.padEnd(20)} ${inputsText(i, l, formatShape)} → ${formatShape(l.output)}`), '```'].join('\n');
    case 'input':
      return w.hoverNetworkInput(codeShape(layers[0].input), networkInputOf(layers[0].op).axes, layers[0].title);
    case 'loss':
      return w.hoverLoss(codeShape(last.output), layers.length - 1, last.title, last.output[0]);
    case 'grad':
      return w.hoverNetworkGrad(codeShape(last.output));
    default:
      return undefined;
  }
}
