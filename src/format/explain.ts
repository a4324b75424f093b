// Words for the trace: one paragraph per stage with this run's numbers, what a
// cell of each tensor means, and the stage titles the panel shows. The words
// come from the panel's catalog (src/l10n), English unless a locale is given
// (the CLI passes none).

import type { ConvInfo } from '../engine/convInfo';
import type { LayerGeometry } from '../engine/geometry';
import { type PoolInfo, isPoolPadding, poolTap } from '../engine/layers';
import { atColumnTap, isPadding, rowOutput } from '../engine/links';
import type { DeltaSource, StageId, TensorName, TraceStage } from '../engine/trace';
import { type Locale, type PanelText, panelText } from '../l10n/panelText';

const shape = (...d: number[]) => `(${d.join(', ')})`;

/** The words about where δ came from (the trace records it). */
const DELTA_SOURCE: Record<DeltaSource, 'deltaOnes' | 'deltaSpec' | 'deltaLoss' | 'deltaAbove'> = { ones: 'deltaOnes', spec: 'deltaSpec', loss: 'deltaLoss', above: 'deltaAbove' };

export function explainStage(id: StageId, g: LayerGeometry, delta: DeltaSource, locale: Locale = 'en'): string {
  const t = panelText(locale);
  const layer = layerStageText(t, id, g);
  if (layer !== undefined) return layer;
  return g.kind === 'conv' ? convStageText(t, id, g.info, delta) : '';
}

function convStageText(t: PanelText, id: StageId, i: ConvInfo, delta: DeltaSource): string {
  const K = i.patchSize;
  const groupsNote = i.groups > 1 ? t.groupsNote(i.groups, i.inChannelsPerGroup, i.groupPatchSize, i.outChannelsPerGroup) : '';
  switch (id) {
    case 'pad':
      return i.padTop + i.padBottom + i.padLeft + i.padRight === 0
        ? t.padNone(shape(i.batch, i.inChannels, i.paddedHeight, i.paddedWidth))
        : t.padSome(i.padTop, i.padBottom, i.padLeft, i.padRight, shape(i.batch, i.inChannels, i.paddedHeight, i.paddedWidth));
    case 'im2col':
      return t.im2col(i.kernelHeight, i.kernelWidth, i.dilationHeight > 1 || i.dilationWidth > 1 ? t.im2colDilation(i.dilationHeight, i.dilationWidth) : '',
        i.strideHeight, i.strideWidth, i.outWidth, i.outPositions, K);
    case 'weight_matrix':
      return t.weightMatrix(shape(K, i.outChannels), groupsNote);
    case 'matmul':
      return t.matmul(i.groupPatchSize);
    case 'reshape_bias':
      return t.reshapeBias(shape(i.batch, i.outChannels, i.outHeight, i.outWidth), i.hasBias ? t.reshapeBiasAdded : '');
    case 'delta_t':
      return t.deltaT(t[DELTA_SOURCE[delta]]);
    case 'dA_t':
      return t.dAt;
    case 'col2im':
      return t.col2im;
    case 'dW':
      return t.dW(i.groups > 1 ? t.dWGroups : '');
    case 'db':
      return t.db;
    case 'compare':
      return t.compare;
    case 'rot180':
      return t.rot180(i.strideHeight > 1 || i.strideWidth > 1 ? t.rot180Stride(i.strideHeight - 1, i.strideWidth - 1) : t.rot180NoStride,
        i.dilationHeight * (i.kernelHeight - 1), i.dilationWidth * (i.kernelWidth - 1));
    default:
      return '';
  }
}

/** The stages of the other layers (undefined for the conv's). */
function layerStageText(t: PanelText, id: StageId, g: LayerGeometry): string | undefined {
  const p = g.kind === 'pool' ? g.info : undefined;
  switch (id) {
    case 'activate': return t.activate;
    case 'activation_grad': return t.activationGrad;
    case 'pool_pad':
      return p && p.padHeight + p.padWidth === 0 && p.paddedHeight === p.inHeight && p.paddedWidth === p.inWidth
        ? t.poolPadNone
        : t.poolPad(`${p?.padHeight}`, `${p?.padWidth}`, p && (p.paddedHeight > p.inHeight + 2 * p.padHeight || p.paddedWidth > p.inWidth + 2 * p.padWidth) ? t.poolPadCeil : '');
    case 'pool_unfold':
      return t.poolUnfold(p?.outWidth ?? 'Wout', `${p?.kernelHeight}`, `${p?.kernelWidth}`, `${p?.strideHeight}`, `${p?.strideWidth}`,
        p && (p.dilationHeight > 1 || p.dilationWidth > 1) ? t.poolUnfoldDilation(p.dilationHeight, p.dilationWidth) : '',
        p && (p.strideHeight < p.kernelHeight || p.strideWidth < p.kernelWidth) ? t.poolOverlap : t.poolNoOverlap);
    case 'pool_reduce': return t.poolReduce;
    case 'pool_route': return t.poolRoute;
    case 'pool_col2im': return t.poolCol2im;
    case 'flatten': return t.flatten;
    case 'unflatten': return t.unflatten;
    case 'linear': return t.linear;
    case 'linear_dx': return t.linearDx;
    case 'linear_dw': return t.linearDw;
    case 'loss': return t.loss;
    case 'loss_grad': return t.lossGrad;
    default: return undefined;
  }
}

/**
 * A stage's title in the panel's language. The engine's titles are English;
 * this names the same stages from the catalog, by id and what the stage holds.
 */
export function stageTitle(stage: TraceStage, g: LayerGeometry, locale: Locale = 'en'): string {
  const t = panelText(locale);
  const isMax = g.kind === 'pool' && g.info.kind === 'max';
  switch (stage.id) {
    case 'pad': case 'pool_pad': return t.titlePad;
    case 'weight_matrix': return t.titleWeightMatrix;
    case 'matmul': case 'linear': return t.titleMatmul;
    case 'reshape_bias': return t.titleReshapeBias;
    case 'delta_t': return t.titleDeltaT;
    case 'dA_t': return t.titleDAt;
    case 'dW': return t.titleDW;
    case 'db': return t.titleDb;
    case 'rot180': return t.titleRot180;
    case 'compare': return t.titleCompare(stage.inputs[1] ?? '');
    // `Activation: relu`: the activation's name is the one word of the engine's title the catalog does not have.
    case 'activate': return t.titleActivate(stage.title.slice(stage.title.indexOf(':') + 1).trim());
    case 'activation_grad': return t.titleActivationGrad;
    case 'pool_unfold': return t.titlePoolUnfold;
    case 'pool_reduce': return isMax ? t.titleMaxOfWindow : t.titleMeanOfWindow;
    case 'pool_route': return isMax ? t.titleRouteToArgmax : t.titleSpreadOverWindow;
    case 'flatten': return t.titleFlatten;
    case 'unflatten': return t.titleUnflatten;
    case 'linear_dx': return t.titleLinearDx;
    case 'linear_dw': return t.titleLinearDw;
    case 'loss': return stage.outputs.includes('probs') ? t.titleSoftmaxCrossEntropy : t.titleMse;
    case 'loss_grad': return t.titleFirstDelta;
    // im2col and col2im are names, in every language.
    default: return stage.title;
  }
}

/** What one cell means, for the tooltip: `row 5 = output (1, 2) · column 7 = (c 1, kh 1, kw 1)`. */
export function cellMeaning(g: LayerGeometry, name: TensorName, index: readonly number[], locale: Locale = 'en'): string {
  const t = panelText(locale);
  switch (g.kind) {
    case 'conv': return convCellMeaning(t, g.info, name, index);
    case 'pool': return poolCellMeaning(t, g.info, name, index);
    case 'linear':
      if (name === 'w_t') return `${t.cellRow(index[0], t.cellInputFeature(index[0]))} · ${t.cellColumn(index[1], t.cellOutputFeature(index[1]))}`;
      if (name === 'weight' || name === 'dW') return `${t.cellOutputFeature(index[0])} · ${t.cellInputFeature(index[1])}`;
      return '';
    default:
      return '';
  }
}

function poolCellMeaning(t: PanelText, p: PoolInfo, name: TensorName, index: readonly number[]): string {
  const [b, c, s, k] = index;
  const pixel = (y: number, x: number) => (isPoolPadding(p, y, x) ? t.cellPadding : t.cellInputPixel(y - p.padHeight, x - p.padWidth));
  switch (name) {
    case 'pool_t': case 'dpool_t': {
      const i = Math.floor(s / p.outWidth);
      const j = s % p.outWidth;
      const ki = Math.floor(k / p.kernelWidth);
      const kj = k % p.kernelWidth;
      const { y, x } = poolTap(p, i, j, ki, kj);
      return `${t.cellRow(s, t.cellOutput(i, j))} · ${t.cellColumn(k, t.cellTap(ki, kj))} · ${t.cellCopies(`a[${b}, ${c}, ${y}, ${x}]`)} (${pixel(y, x)})`;
    }
    case 'a':
      return pixel(s, k);
    default:
      return '';
  }
}

function convCellMeaning(t: PanelText, info: ConvInfo, name: TensorName, index: readonly number[]): string {
  const tap = (k: number) => { const a = atColumnTap(info, k); return `(c ${a.c}, kh ${a.ki}, kw ${a.kj})`; };
  const out = (r: number) => { const o = rowOutput(info, r); return t.cellOutput(o.i, o.j); };
  switch (name) {
    case 'a_t': case 'dA_t': {
      const [b, r, k] = index;
      const a = atColumnTap(info, k);
      const { i, j } = rowOutput(info, r);
      const y = i * info.strideHeight + a.ki * info.dilationHeight;
      const x = j * info.strideWidth + a.kj * info.dilationWidth;
      return `${t.cellRow(r, out(r))} · ${t.cellColumn(k, tap(k))} · ${t.cellCopies(`a[${b}, ${a.c}, ${y}, ${x}]`)}${isPadding(info, y, x) ? ` (${t.cellPadding})` : ''}`;
    }
    case 'z_t': case 'delta_t':
      return `${t.cellRow(index[1], out(index[1]))} · ${t.cellColumn(index[2], t.cellChannel(index[2]))}`;
    case 'w_t': case 'dW_t':
      return `${t.cellRow(index[0], tap(index[0]))} · ${t.cellColumn(index[1], t.cellKernel(index[1]))}`;
    case 'a': case 'dA_padded':
      return isPadding(info, index[2], index[3]) ? t.cellPadding : t.cellInputPixel(index[2] - info.padTop, index[3] - info.padLeft);
    case 'col2im_counts': {
      const count = t.cellCol2imCount(index[0], index[1]);
      return info.inChannels > 1 ? t.cellPerChannel(count) : count;
    }
    case 'delta_full': {
      const dy = index[2] - info.dilationHeight * (info.kernelHeight - 1);
      const dx = index[3] - info.dilationWidth * (info.kernelWidth - 1);
      const real = dy >= 0 && dx >= 0 && dy % info.strideHeight === 0 && dx % info.strideWidth === 0
        && dy / info.strideHeight < info.outHeight && dx / info.strideWidth < info.outWidth;
      return real ? `= δ[${index[0]}, ${index[1]}, ${dy / info.strideHeight}, ${dx / info.strideWidth}]` : t.cellInsertedZero;
    }
    case 'w_rot180':
      return `= w[${Math.floor(index[0] / info.inChannelsPerGroup) * info.outChannelsPerGroup + index[1]}, ${index[0] % info.inChannelsPerGroup}, ${info.kernelHeight - 1 - index[2]}, ${info.kernelWidth - 1 - index[3]}]`;
    default:
      return '';
  }
}

type AxisLabels = { row?: (row: number) => string; col?: (col: number) => string };

/** Short labels for a matrix's rows and columns, drawn in the gutters. */
export function axisLabels(g: LayerGeometry, name: TensorName): AxisLabels {
  if (g.kind === 'pool' && (name === 'pool_t' || name === 'dpool_t')) {
    const p = g.info;
    return { row: r => `${Math.floor(r / p.outWidth)},${r % p.outWidth}`, col: k => `${Math.floor(k / p.kernelWidth)},${k % p.kernelWidth}` };
  }
  return g.kind === 'conv' ? convAxisLabels(g.info, name) : {};
}

function convAxisLabels(info: ConvInfo, name: TensorName): AxisLabels {
  const R = info.outPositions;
  const pos = (row: number) => { const { i, j } = rowOutput(info, row % R); return `${i},${j}`; };
  const tap = (k: number) => { const t = atColumnTap(info, k); return `${t.c},${t.ki},${t.kj}`; };
  switch (name) {
    case 'a_t': case 'dA_t': return { row: pos, col: tap };
    case 'z_t': case 'delta_t': return { row: pos, col: c => String(c) };
    case 'w_t': case 'dW_t': return { row: tap, col: c => String(c) };
    default: return {};
  }
}
