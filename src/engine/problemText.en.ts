// The engine's problems in English, the language they are written in: an
// EngineError's message, which the CLI and the library print.

import { ConvShapes, EngineProblemArgs, LayerAt, ProblemFrame, ProblemTable, thousands } from './problem';
import { formatShape, sizeOf } from './tensor';

const pair = ([a, b]: readonly number[]) => `(${a}, ${b})`;
const convShapes = (a: ConvShapes) => `(input ${formatShape(a.input)}, weight ${formatShape(a.weight)}, groups ${a.groups})`;

export const ENGINE_EN: ProblemTable<EngineProblemArgs> = {
  'conv.notInteger': a => `${a.key} must be an integer, got ${a.value}`,
  'conv.belowOne': a => `${a.key} must be at least 1, got ${a.value}`,
  'conv.notPair': a => `${a.key} must be a number or a pair [h, w]`,
  'conv.paddingForm': () => 'padding must be an integer, [ph, pw], [top, bottom, left, right], "valid" or "same"',
  'conv.paddingNotInteger': a => `padding must be made of integers, got ${a.value}`,
  'conv.paddingNegative': a => `padding must not be negative, got ${a.value}`,
  'conv.rank': a => `${a.key} must be ${a.rank}-D ${a.axes}, got ${a.shape.length}-D ${formatShape(a.shape)}`,
  'conv.emptyDimension': a => `${a.key} ${formatShape(a.shape)} has an empty dimension`,
  'conv.groupsInput': a => `groups ${a.groups} does not divide the input's ${a.channels} channels ${convShapes(a)}`,
  'conv.groupsOutput': a => `groups ${a.groups} does not divide the weight's ${a.channels} output channels ${convShapes(a)}`,
  'conv.channels': a => `input has ${a.has} channels but weight expects ${a.expects} ${convShapes(a)}`,
  'conv.bias': a => `bias must have shape (${a.channels},) to match the weight's ${a.channels} output channels, got ${formatShape(a.shape)}`,
  'conv.sameStride': a => `padding "same" needs stride 1, got stride ${pair(a.stride)}`,
  'conv.kernelTooLarge': a =>
    `${a.dilated ? 'dilated ' : ''}kernel ${a.kernel.join('x')} is larger than the padded input ${a.padded.join('x')} ` +
    `(input ${formatShape(a.input)}, weight ${formatShape(a.weight)}, padding [${a.padding.join(', ')}], dilation ${pair(a.dilation)})`,
  'conv1d.paddingForm': () => 'padding must be an integer of at least 0, "valid", "same" or "causal"',
  'conv1d.sameStride': a => `padding "same" needs stride 1, got stride ${a.stride}`,
  'conv1d.kernelTooLarge': a =>
    `the kernel spans ${a.extent} positions (dilation ${a.dilation}), more than the padded sequence's ${a.padded} ` +
    `(input ${formatShape(a.input)}, weight ${formatShape(a.weight)}, padding [${a.padding.join(', ')}])`,
  'grad.shape': a => `grad must have the output's shape ${formatShape(a.expected)}${a.axes ? ` ${a.axes}` : ''}, got ${formatShape(a.shape)}`,
  'budget.limit': a => `maxElements must be a positive whole number, got ${a.value}`,
  'budget.tensor': a => `${a.name} would hold ${thousands(a.count)} elements ${formatShape(a.shape)}, over the limit of ${thousands(a.limit)}`,
  'budget.total': a => `its ${a.tensors} tensors would hold ${thousands(a.count)} elements in all, over ${a.factor} × the limit of ${thousands(a.limit)}`,
  'layer.inputRank': a => `expects a ${a.rank}-D input ${a.axes}, got ${formatShape(a.shape)}${a.flattenHint ? ': put a flatten before it' : ''}`,
  'pool.notPositive': a => `${a.key} must be an integer of at least 1, got ${a.value}`,
  'pool.avgDilation': () => 'avgpool2d has no dilation (as PyTorch)',
  'pool.paddingForm': () => 'padding must be an integer, [ph, pw] or [top, bottom, left, right]',
  'pool.paddingNegative': a => `padding must be non-negative integers, got (${a.padding.join(', ')})`,
  'pool.paddingHalf': a => `padding ${pair(a.padding)} must be at most half the kernel ${pair(a.kernel)}, as PyTorch requires`,
  'pool.paddingKernel': a => `padding (${a.padding.join(', ')}) (top, bottom, left, right) must be smaller than the kernel ${pair(a.kernel)} on each side, as ONNX requires (an average that counts its padding takes any)`,
  'pool.windowTooLarge': a => `a ${a.kernel.join('x')} window (dilation ${a.dilation.join(', ')}) does not fit the input ${a.input.join('x')} with padding (${a.padding.join(', ')})`,
  'pool.windowOnPadding': a =>
    `the window of output ${a.axis === 'height' ? 'row' : 'column'} ${a.window} lies on padding alone: its taps at ${poolTaps(a, 'and')} miss the input's ` +
    `${a.axis === 'height' ? 'row' : 'column'}${a.input > 1 ? `s 0..${a.input - 1}` : ' 0'} (kernel ${a.kernel}, dilation ${a.dilation}, padding ${a.padding[0]} before and ${a.padding[1]} after), ` +
    'so it has no value (a max of nothing would be −∞, a mean 0 / 0): give less padding or dilation, or a larger input',
  'linear.weightRank': a => `weight must be 2-D (out, in), got ${formatShape(a.shape)}`,
  'linear.features': a => `input has ${a.has} features but weight expects ${a.expects} (input ${formatShape(a.input)}, weight ${formatShape(a.weight)})`,
  'linear.bias': a => `bias must have shape (${a.channels},), got ${formatShape(a.shape)}`,
  'mse.target': a => `target has shape ${formatShape(a.target)} but the output is ${formatShape(a.output)}`,
  'crossEntropy.logits': a => `expects (B, classes) logits, got ${formatShape(a.shape)}: end the network with a linear layer`,
  'crossEntropy.batch': a => `target has ${a.count} class indices for a batch of ${a.batch}`,
  'crossEntropy.class': a => `target[${a.index}] = ${a.value} is not a class index in 0..${a.last}`,
  'upsample.nearestRule': a => `${a.key} ${a.value} is not read here: it takes one of ${a.values.join(', ')}; nearest_mode goes with mode "nearest" and a coordinate_transformation_mode, and bilinear takes a coordinate_transformation_mode or align_corners, not both`,
  'flatten.rank': a => `expects at least a 2-D input, got ${formatShape(a.shape)}`,
  'reshape.size': a => (a.shape.length ? `shape ${formatShape(a.shape)} holds ${sizeOf(a.shape)} values, but each batch item of ${formatShape(a.input)} has ${sizeOf(a.input.slice(1))}` : 'shape must be a list of positive integers'),
  'batchnorm.channels': a => `${a.key} must have shape (${a.channels},), one value per input channel, got ${formatShape(a.shape)}`,
  'batchnorm.oneValue': a => `train mode needs more than one value per channel (B·H·W ≥ 2), got input ${formatShape(a.shape)}`,
  'convT.negative': a => `${a.key} must not be negative, got ${a.value}`,
  'convT.outputPadding': a => `output_padding ${pair(a.outputPadding)} must be smaller than the stride ${pair(a.stride)} or the dilation ${pair(a.dilation)} on each axis, as PyTorch requires`,
  'convT.paddingForm': () => 'padding must be an integer, [ph, pw] or [top, bottom, left, right]',
  'convT.outputEmpty': a =>
    `the output would be ${a.output.join('x')}: the ${a.full.join('x')} map the windows cover, less padding [${a.padding.join(', ')}] (top, bottom, left, right), plus output_padding ${pair(a.outputPadding)}, `
    + `must be at least 1x1 (input ${formatShape(a.input)}, weight ${formatShape(a.weight)})`,
  'clip.range': a => `min ${a.min} is greater than max ${a.max}: the range is empty`,
  'dropout.p': a => `p must be in [0, 1), a probability of dropping a value, got ${a.p}`,
  'adaptivePool.size': a => `output_size ${a.size.length === 1 ? a.size[0] : `[${a.size.join(', ')}]`} is not supported: only 1 (or [1, 1]), global average pooling, the size the imported models use`,
  'upsample.which': () => 'give exactly one of scale_factor and size',
  'upsample.scale': a => `scale_factor [${a.scale.join(', ')}] must be positive and finite on each axis`,
  'resample.output': a => `the output would be ${formatShape(a.output)}: every axis must be at least 1 and a whole number`,
  'pad2d.padding': a => `padding must be a whole number or [left, right, top, bottom] of whole numbers, got ${a.padding}`,
  'pad2d.reflect': a => `reflect padding [${a.padding.join(', ')}] must be smaller than the input's height and width on each side, as F.pad requires (input ${formatShape(a.input)})`,
  'network.empty': () => 'a network needs at least one layer',
  'graph.inputSelf': a => `${a.name} is this layer itself: a layer takes the input or the outputs of earlier layers (the layers run in the order of the spec)`,
  'graph.inputLater': a => `${a.name} comes after this layer (${a.layer}), which would make a cycle: a layer takes the input or the outputs of earlier layers (the layers run in the order of the spec)`,
  'graph.inputMissing': a => `there is no ${a.name}: the network has ${a.count} layers, layers[0] to layers[${a.count - 1}]`,
  'graph.oneInput': a => `a ${a.type} layer takes one input, got ${a.count}`,
  'graph.fewInputs': a => `a ${a.type} layer takes at least ${a.min} inputs, got ${a.count}`,
  'graph.unused': a => `the output of ${a.name} is not used: no later layer takes it, and only the last layer is the network's output`,
  'add.shapes': a => `inputs to add must have the same shape: ${namedShapes(a)}`,
  'concat.shapes': a => `inputs to concatenate along channels (axis 1) must have the same rank (at least 2) and match on every other axis: ${namedShapes(a)}`,
  'mul.inputs': a => (a.by ? `a mul with "by" multiplies one input by it, got ${a.count} inputs` : `a mul without "by" multiplies two inputs, got ${a.count}`),
  'mul.shapes': a => `the factors of mul must broadcast (aligned at the last axis, each axis the same size or 1 in one of them${a.names.includes('by') ? ', and "by" to the input\'s shape' : ''}): ${namedShapes(a)}`,
  'layerSpec.inputs': a => `takes ${a.count} inputs and a spec has one: it cannot be saved as a spec of its own`,
  'layerSpec.inputRank': a => `its input is ${formatShape(a.shape)}, but a spec that starts with this layer reads a ${a.rank}-D input ${a.axes}: it cannot be saved as a spec of its own`,
  'gradcheck.noTensor': a => `there is no tensor ${a.name} to check`,
  'gradcheck.notGradient': a => `${a.name} is not the gradient of a weight, a bias, an input or an output: its layer declares no value to perturb for it`,
  'gradcheck.index': a => `cell [${a.index.join(', ')}] is not in ${a.name} ${formatShape(a.shape)}`,
  'gradcheck.shape': a => `${a.name} has shape ${formatShape(a.shape)}, but the value it is the gradient of has shape ${formatShape(a.expected)}`,
  'gradcheck.tooBig': a => `checking ${a.name} runs the forward pass twice a cell, ${thousands(a.work)} operations, over the limit of ${thousands(a.limit)}`,
  'compare.shape': a => `yours has shape ${formatShape(a.yours)} (${a.yoursCount} values) but the engine's ${a.name} is ${formatShape(a.engine)} (${a.engineCount} values)`,
  'compare.missing': a => `the engine's trace has no ${a.name}`,
  'tensor.shape': a => `${a.key} has no valid shape (a list of whole numbers), got ${a.shape}`,
  'tensor.dtype': a => `${a.key} has dtype ${a.dtype}; the engine computes in float32 or float64`,
  'tensor.data': a => `${a.key} is ${a.dtype} but its data is not a ${a.array}`,
  'tensor.size': a => `${a.key} has shape ${formatShape(a.shape)}, which needs ${a.needs} values, but holds ${a.holds}`,
};

/** A pooling window's taps along its axis: all of them up to three, else the first two and the last. */
export function poolTaps(a: { start: number; kernel: number; dilation: number }, and: string): string {
  const tap = (j: number) => a.start + j * a.dilation;
  if (a.kernel === 1) return `${a.start}`;
  if (a.kernel === 2) return `${a.start} ${and} ${tap(1)}`;
  return a.kernel === 3 ? `${a.start}, ${tap(1)} ${and} ${tap(2)}` : `${a.start}, ${tap(1)}, …, ${tap(a.kernel - 1)}`;
}

/** A merge layer's inputs with their shapes: `input (1, 2, 6, 6), layers[4] (1, 3, 6, 6)`. */
export function namedShapes(a: { names: readonly string[]; shapes: readonly (readonly number[])[] }): string {
  return a.names.map((n, i) => `${n} ${formatShape(a.shapes[i])}`).join(', ');
}

/** The layer a problem arose in, and where its input came from. */
function layerText(layer: LayerAt, text: string): string {
  const source = layer.from ?? (layer.index === 0 ? 'input' : `layers[${layer.index - 1}]`);
  const from = layer.input && ` — its input ${formatShape(layer.input)} comes from ${source === 'input' ? 'the input' : source}`;
  return `layers[${layer.index}] (${layer.type}${layer.name ? ` "${layer.name}"` : ''}): ${text}${from ?? ''}`;
}

export const FRAME_EN: ProblemFrame = {
  file: (file, text) => `${file}: ${text}`,
  op: (op, text) => `${op}: ${text}`,
  layer: layerText,
};
