// Words for the trace: one paragraph per stage with this run's numbers, and what
// a cell of each tensor means. English now; the strings are kept together here
// so a translation (zh-CN) is one more table.

import type { ConvInfo } from '../engine/convInfo';
import type { LayerGeometry } from '../engine/geometry';
import { type PoolInfo, isPoolPadding, poolTap } from '../engine/layers';
import { atColumnTap, isPadding, rowOutput } from '../engine/links';
import type { StageId, TensorName } from '../engine/trace';

const shape = (...d: number[]) => `(${d.join(', ')})`;

/** Where a layer's δ came from, for the words about it. */
export type DeltaSource = 'ones' | 'spec' | 'above';

const DELTA_SOURCE: Record<DeltaSource, string> = {
  ones: 'all ones here, as if the cost were the sum of z',
  spec: 'given in the spec (grad)',
  above: 'handed down by the layer above (or the loss), the derivation\'s δ^{l+1}',
};

export function explainStage(id: StageId, g: LayerGeometry, delta: DeltaSource): string {
  const layer = layerStageText(id, g);
  if (layer !== undefined) return layer;
  return g.kind === 'conv' ? convStageText(id, g.info, delta) : '';
}

function convStageText(id: StageId, i: ConvInfo, delta: DeltaSource): string {
  const K = i.patchSize;
  const groupsNote = i.groups > 1
    ? ` With groups = ${i.groups}, kernel o only sees its group's ${i.inChannelsPerGroup} input channel(s), so w_t is block-diagonal: zeros outside group blocks of ${i.groupPatchSize} rows × ${i.outChannelsPerGroup} columns.`
    : '';
  switch (id) {
    case 'pad':
      return i.padTop + i.padBottom + i.padLeft + i.padRight === 0
        ? `No padding here, so a is the input itself, ${shape(i.batch, i.inChannels, i.paddedHeight, i.paddedWidth)}. With padding, a ring of zeros would surround each channel so that kernels can be centred on edge pixels.`
        : `The input is surrounded by zeros: ${i.padTop} row(s) above, ${i.padBottom} below, ${i.padLeft} column(s) left and ${i.padRight} right, so a is ${shape(i.batch, i.inChannels, i.paddedHeight, i.paddedWidth)}. Padding cells are hatched: kernels read them as 0, and their gradient is thrown away at the end.`;
    case 'im2col':
      return `Output position (i, j) reads a ${i.kernelHeight}×${i.kernelWidth} window${i.dilationHeight > 1 || i.dilationWidth > 1 ? ` (taps ${i.dilationHeight}, ${i.dilationWidth} apart: dilation)` : ''} of every input channel, starting at (i·${i.strideHeight}, j·${i.strideWidth}). im2col copies that window into row i·${i.outWidth} + j of a_t, channel by channel, then kernel row, then kernel column: ${i.outPositions} rows of ${K} columns per batch item. Pixels that lie in several windows are copied several times; that duplication turns the convolution into one matrix product. Hover a row to see its patch.`;
    case 'weight_matrix':
      return `Each kernel w[o] is flattened in the same (channel, kh, kw) order as the columns of a_t and becomes column o of w_t, ${shape(K, i.outChannels)}: w_t = w.reshape(Cout, -1).T.${groupsNote}`;
    case 'matmul':
      return `z_t = a_t @ w_t. Entry (r, o) is the dot product of patch r with kernel o, which is exactly the sum of products a convolution computes at one position: ${i.groupPatchSize} products per output value. Hover a cell of z or z_t to list them.`;
    case 'reshape_bias':
      return `z_t has one row per output position and one column per output channel. Transposing and reshaping turns it back into feature maps ${shape(i.batch, i.outChannels, i.outHeight, i.outWidth)}${i.hasBias ? ', and the bias b[o] is added to every position of channel o' : ''}. The output size comes from Hout = floor((H + pt + pb − d·(k−1) − 1) / s) + 1.`;
    case 'delta_t':
      return `Backward starts from δ = ∂C/∂z, how the cost changes with each output value: ${DELTA_SOURCE[delta]}. It is laid out like z_t: one row per output position, one column per channel.`;
    case 'dA_t':
      return `Since z_t = a_t @ w_t, the gradient with respect to a_t is δ_t @ w_tᵀ: row r says how the cost changes with each entry of patch r. Each entry of ∂C/∂a_t is a sum over the output channels that read it.`;
    case 'col2im':
      return `Every entry of a_t is a copy of one pixel of a, so a pixel's gradient is the sum of the gradients of its copies. col2im adds each row of ∂C/∂a_t back onto the patch it came from; the counts show how many copies each pixel had (overlapping windows add up). Cropping the padding leaves ∂C/∂a. Hover a pixel of ∂C/∂a to see the entries added into it.`;
    case 'dW':
      return `Weight w_t[k, o] multiplied column k of a_t into column o of z_t, so ∂C/∂w_t = a_tᵀ @ δ_t, summed over the batch: each weight's gradient is a sum over every position it was used at. Transposed and reshaped like w, it is ∂C/∂w.${i.groups > 1 ? ' Off the diagonal blocks, w_t holds structural zeros that are not parameters: their gradient is not formed.' : ''}`;
    case 'db':
      return `The bias b[o] was added to every position of channel o, so its gradient is the sum of δ over those positions and the batch: ∂C/∂b = δ_t.sum(axis=(0, 1)).`;
    case 'compare':
      return `Your tensor beside the engine's, computed from the same input and weight: the difference is zero where they agree. The first mismatch, and the pattern of the mismatching cells (a row, a column, a permutation of columns), usually name the bug: hover a cell to see what it should have been made of.`;
    case 'rot180':
      return `The same ∂C/∂a without im2col: ${i.strideHeight > 1 || i.strideWidth > 1 ? `insert stride − 1 = (${i.strideHeight - 1}, ${i.strideWidth - 1}) zeros between the entries of δ, ` : 'take δ as it is (stride 1 inserts no zeros), '}pad it by dilation·(k − 1) = (${i.dilationHeight * (i.kernelHeight - 1)}, ${i.dilationWidth * (i.kernelWidth - 1)}) on every side, and slide the kernels rotated by 180° (input and output channels swapped) over it: δ ⋆full ROT180(w). It must agree with col2im. Hatched cells of the padded δ are the inserted zeros and the padding.`;
    default:
      return '';
  }
}

/** The stages of the other layers (undefined for the conv's). */
function layerStageText(id: StageId, g: LayerGeometry): string | undefined {
  const p = g.kind === 'pool' ? g.info : undefined;
  switch (id) {
    case 'activate':
      return 'The activation is applied to every value on its own. Its derivative h\'(z) is kept for the backward pass: it is all the backward pass needs from this layer.';
    case 'activation_grad':
      return 'Backward through an elementwise function is an elementwise product: each δ is scaled by the slope h\'(z) at its own z. Where ReLU cut a value to 0, the gradient stops: δ^l = (δ from above) ⊙ h\'(z^l).';
    case 'pool_pad':
      return p && p.padHeight + p.padWidth === 0 && p.paddedHeight === p.inHeight && p.paddedWidth === p.inWidth
        ? 'No padding here, so a is the input itself. With padding, max pooling pads with −∞ (padding never wins) and average pooling with 0 (counted in the mean, as PyTorch does).'
        : `The input is padded by (${p?.padHeight}, ${p?.padWidth})${p && (p.paddedHeight > p.inHeight + 2 * p.padHeight || p.paddedWidth > p.inWidth + 2 * p.padWidth) ? ', and further on the bottom/right so ceil_mode\'s last window fits' : ''}: with −∞ for max pooling, so padding never wins, or with 0 for average pooling (counted in the mean, as PyTorch does). Padding cells are hatched.`;
    case 'pool_unfold':
      return `The same idea as im2col, one channel at a time: row i·${p?.outWidth ?? 'Wout'} + j of pool_t holds the ${p?.kernelHeight}×${p?.kernelWidth} window under output (i, j), starting at (i·${p?.strideHeight}, j·${p?.strideWidth})${p && (p.dilationHeight > 1 || p.dilationWidth > 1) ? ` with taps ${p.dilationHeight}, ${p.dilationWidth} apart` : ''}, one column per tap. ${p && (p.strideHeight < p.kernelHeight || p.strideWidth < p.kernelWidth) ? 'Windows overlap, so some pixels are copied more than once.' : 'Windows do not overlap: every pixel is read once at most.'}`;
    case 'pool_reduce':
      return 'Each row of pool_t becomes one output: its maximum (and which tap it came from, the argmax; on ties the first), or its mean.';
    case 'pool_route':
      return 'Max pooling passes each δ back to the one input that won its window (the argmax); the others get 0. Average pooling shares δ equally among the window\'s taps.';
    case 'pool_col2im':
      return 'As col2im for the conv: every window\'s gradients are added back onto the pixels they came from; overlapping windows add up; the padding is cropped.';
    case 'flatten':
      return 'Flatten keeps every value and only reshapes: each batch item becomes one row of features, channel by channel, then row, then column.';
    case 'unflatten':
      return 'The gradient of a reshape is the reverse reshape.';
    case 'linear':
      return 'A linear layer is the conv\'s matrix product without im2col: every output is a dot product of the whole input row with one row of W.';
    case 'linear_dx':
      return 'As for z_t = a_t @ w_t: the gradient of the input is δ @ w_tᵀ, passed down to the layer below.';
    case 'linear_dw':
      return 'Each weight W[o, i] multiplied input[:, i] into z[:, o], so its gradient is the sum over the batch of δ[b, o]·input[b, i]: δᵀ @ input.';
    case 'loss':
      return 'The loss turns the network\'s output into one number C. Cross-entropy first makes probabilities with softmax and charges −log of the probability given to the right class.';
    case 'loss_grad':
      return 'The first δ: how C changes with each output. For softmax with cross-entropy it is simply the probabilities minus the one-hot target (divided by the batch size); for mean squared error, 2·(z − target)/N.';
    default:
      return undefined;
  }
}

/** What one cell means, for the tooltip: `row 5 = output (1, 2) · column 7 = (c 1, kh 1, kw 1)`. */
export function cellMeaning(g: LayerGeometry, name: TensorName, index: readonly number[]): string {
  switch (g.kind) {
    case 'conv': return convCellMeaning(g.info, name, index);
    case 'pool': return poolCellMeaning(g.info, name, index);
    case 'linear':
      if (name === 'w_t') return `row ${index[0]} = input feature ${index[0]} · column ${index[1]} = output ${index[1]}`;
      if (name === 'weight' || name === 'dW') return `output ${index[0]} · input feature ${index[1]}`;
      return '';
    default:
      return '';
  }
}

function poolCellMeaning(p: PoolInfo, name: TensorName, index: readonly number[]): string {
  const [b, c, s, t] = index;
  const pixel = (y: number, x: number) => (isPoolPadding(p, y, x) ? 'padding' : `input pixel (${y - p.padHeight}, ${x - p.padWidth})`);
  switch (name) {
    case 'pool_t': case 'dpool_t': {
      const i = Math.floor(s / p.outWidth);
      const j = s % p.outWidth;
      const ki = Math.floor(t / p.kernelWidth);
      const kj = t % p.kernelWidth;
      const { y, x } = poolTap(p, i, j, ki, kj);
      return `row ${s} = output (${i}, ${j}) · column ${t} = tap (${ki}, ${kj}) · copies a[${b}, ${c}, ${y}, ${x}] (${pixel(y, x)})`;
    }
    case 'a':
      return pixel(s, t);
    default:
      return '';
  }
}

function convCellMeaning(info: ConvInfo, name: TensorName, index: readonly number[]): string {
  const tap = (k: number) => { const t = atColumnTap(info, k); return `(c ${t.c}, kh ${t.ki}, kw ${t.kj})`; };
  const out = (r: number) => { const o = rowOutput(info, r); return `output (${o.i}, ${o.j})`; };
  switch (name) {
    case 'a_t': case 'dA_t': {
      const [b, r, k] = index;
      const t = atColumnTap(info, k);
      const { i, j } = rowOutput(info, r);
      const y = i * info.strideHeight + t.ki * info.dilationHeight;
      const x = j * info.strideWidth + t.kj * info.dilationWidth;
      return `row ${r} = ${out(r)} · column ${k} = ${tap(k)} · copies a[${b}, ${t.c}, ${y}, ${x}]${isPadding(info, y, x) ? ' (padding)' : ''}`;
    }
    case 'z_t': case 'delta_t':
      return `row ${index[1]} = ${out(index[1])} · column ${index[2]} = channel ${index[2]}`;
    case 'w_t': case 'dW_t':
      return `row ${index[0]} = ${tap(index[0])} · column ${index[1]} = kernel ${index[1]}`;
    case 'a': case 'dA_padded':
      return isPadding(info, index[2], index[3]) ? 'padding' : `input pixel (${index[2] - info.padTop}, ${index[3] - info.padLeft})`;
    case 'col2im_counts':
      return `${info.inChannels > 1 ? 'per channel: ' : ''}how many entries of ∂C/∂a_t col2im adds into padded pixel (${index[0]}, ${index[1]})`;
    case 'delta_full': {
      const dy = index[2] - info.dilationHeight * (info.kernelHeight - 1);
      const dx = index[3] - info.dilationWidth * (info.kernelWidth - 1);
      const real = dy >= 0 && dx >= 0 && dy % info.strideHeight === 0 && dx % info.strideWidth === 0
        && dy / info.strideHeight < info.outHeight && dx / info.strideWidth < info.outWidth;
      return real ? `= δ[${index[0]}, ${index[1]}, ${dy / info.strideHeight}, ${dx / info.strideWidth}]` : 'an inserted zero or padding';
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
