// conv2d as a layer of a network: its record is the single conv's whole trace
// (trace.ts), with δ from the layer above.

import { ConvInfo, ConvOptions, convInfo, outputShape } from '../convInfo';
import { convGradients, convTraceTensors, convolve } from '../conv2d';
import { Tensor, checkTensor } from '../tensor';
import { ConvForwardMade, convTraceForward, traceConv } from '../trace';
import { conv2dWinograd, inputGradWinograd, turnedInfo, weightGradWinograd } from '../wasm/winogradWasm';
import { LayerCost, productCost } from './cost';
import type { GradientMethods, LayerKind } from './kind';
import { fieldsAsKeys } from './kind';

export interface Conv2dLayer { type: 'conv2d'; weight: Tensor; bias?: Tensor; options: ConvOptions }

/**
 * Each output value is (Cin/groups)·kh·kw multiply-adds: 2·B·Cout·Hout·Wout·(Cin/groups)·kh·kw FLOPs, the bias
 * not counted, as torch.utils.flop_counter counts a convolution; its weights and bias are learned.
 */
export function conv2dCost(i: ConvInfo): LayerCost {
  return productCost(i.batch * i.outChannels * i.outPositions * i.groupPatchSize, i.outChannels * i.groupPatchSize + (i.hasBias ? i.outChannels : 0));
}

export const conv2dKind: LayerKind<Conv2dLayer> = {
  summary: () => 'a convolution, run the im2col way',
  params: () => ({
    weight: { read: 'tensor', rank: 4, axes: '(Cout, Cin/groups, kh, kw)', required: true, doc: 'The kernels w, shape (Cout, Cin/groups, kh, kw), Cin being the channels of the layer below.' },
    bias: { read: 'tensor', rank: 1, axes: '(Cout,)', doc: 'The bias b, shape (Cout,). Optional.' },
    stride: { read: 'intOrPair', doc: 'Step of the window: an integer, or [sh, sw]. Default 1.' },
    dilation: { read: 'intOrPair', doc: 'Spacing of the kernel taps: an integer, or [dh, dw]. Default 1. The dilated kernel spans d·(k-1)+1 pixels.' },
    padding: { read: 'asWritten', schema: { $ref: '#/definitions/padding' } },
    groups: {
      read: 'asWritten', schema: { type: 'integer', minimum: 1 },
      doc: 'Split channels into groups that convolve separately (groups = Cin is depthwise). Must divide Cin and Cout. Default 1.',
    },
  }),
  build: (_type, { weight, bias, stride, padding, dilation, groups }) => ({
    type: 'conv2d', weight: weight as Tensor, bias: bias as Tensor | undefined,
    options: { stride, dilation, ...(padding !== undefined ? { padding } : {}), ...(groups !== undefined ? { groups } : {}) } as ConvOptions,
  }),
  specKeys: l => fieldsAsKeys({ weight: l.weight, bias: l.bias, ...l.options }, Object.keys(conv2dKind.params(l.type))),
  title: l => `conv2d ${l.weight.shape[0]}@${l.weight.shape[2]}×${l.weight.shape[3]}`,
  plan(l, x, backward) {
    checkTensor(l.weight, 'weight');
    if (l.bias) checkTensor(l.bias, 'bias');
    const info = convInfo(x, l.weight.shape, l.options, l.bias?.shape);
    return { output: outputShape(info), tensors: convTraceTensors(info, backward), geometry: { kind: 'conv2d', info }, cost: conv2dCost(info) };
  },
  // The lean run's z: by Winograd's F(4×4, 3×3) where it applies and gains (its last bits differ from z_t's), else im2col.
  forward(l, x, plan) {
    const info = plan.geometry.info as ConvInfo;
    const winograd = conv2dWinograd(x, l.weight, l.bias, info);
    return winograd ? { output: winograd, cache: { info }, method: 'winograd' } : { output: convolve(x, l.weight, l.bias, info), cache: { info } };
  },
  // The trace's forward tensors, made once: its z is the output when it has convolve's bits, else convolve runs too.
  traceForward(l, x, plan) {
    const info = plan.geometry.info as ConvInfo;
    const made = convTraceForward(x, l.weight, l.bias, info);
    return { output: made.sameAsConvolve ? made.z : convolve(x, l.weight, l.bias, info), cache: { info, made } };
  },
  // The lean run's ∂C/∂input: by F(4×4, 3×3) where it applies and gains (δ's convolution with the turned kernels;
  // its last bits differ from col2im's), else with ∂C/∂w in one pass. ∂C/∂w by F(4×4, 3×3) too where δ's tiles are
  // many enough, unless col2im makes ∂C/∂input in its pass. ∂C/∂w first: δ may be written over.
  backward({ spec: l, input, cache }, delta, needsDeltaIn = true, overwrite = false) {
    const info = cache.info as ConvInfo;
    const turned = needsDeltaIn ? turnedInfo(info, delta.dtype) : undefined;
    const fused = needsDeltaIn && !turned;
    const winograd = fused ? undefined : weightGradWinograd(input, delta, info);
    const g: { dWeight: Tensor; dBias: Tensor; dInput?: Tensor } = winograd ?? convGradients(input, l.weight, delta, info, { input: fused, overwrite });
    // A value Winograd cannot take (NaN, huge) leaves ∂C/∂input to col2im.
    const turnedGrad = turned && inputGradWinograd(l.weight, delta, turned, overwrite ? delta.data : undefined);
    const dInput = turnedGrad || (turned ? convGradients(input, l.weight, delta, info).dInput : g.dInput);
    const methods: GradientMethods = {
      ...(turnedGrad ? { deltaIn: 'winograd' } : {}),
      ...(winograd ? { params: 'winograd' } : {}),
    };
    return { ...(dInput ? { deltaIn: dInput } : {}), params: { weight: g.dWeight, ...(l.bias ? { bias: g.dBias } : {}) }, ...(Object.keys(methods).length ? { methods } : {}) };
  },
  record({ spec: l, input, cache }, delta, deltaSource, options) {
    const problem = { input, weight: l.weight, bias: l.bias, grad: delta, deltaSource, options: l.options, dtype: input.dtype };
    // The geometry its plan checked, the trace's tensors sized against the limit with the network's.
    const conv = traceConv(problem, { ...options, backward: delta !== undefined }, cache.made as ConvForwardMade | undefined, cache.info as ConvInfo);
    return { tensors: conv.tensors, stages: conv.stages, geometry: conv.geometry, conv, deltaIn: conv.tensors.dA };
  },
};
