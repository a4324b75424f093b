// conv2d as a layer of a network: its record is the single conv's whole trace
// (trace.ts), with δ from the layer above.

import { ConvInfo, ConvOptions, convInfo, outputShape } from '../convInfo';
import { convTraceTensors, convolve } from '../conv2d';
import { Tensor, checkTensor } from '../tensor';
import { traceConv } from '../trace';
import type { LayerKind } from './kind';

export interface Conv2dLayer { type: 'conv2d'; weight: Tensor; bias?: Tensor; options: ConvOptions }

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
  title: l => `conv2d ${l.weight.shape[0]}@${l.weight.shape[2]}×${l.weight.shape[3]}`,
  plan(l, x, backward) {
    checkTensor(l.weight, 'weight');
    if (l.bias) checkTensor(l.bias, 'bias');
    const info = convInfo(x, l.weight.shape, l.options, l.bias?.shape);
    return { output: outputShape(info), tensors: convTraceTensors(info, backward), geometry: { kind: 'conv2d', info } };
  },
  forward(l, x, plan) {
    const info = plan.geometry.info as ConvInfo;
    return { output: convolve(x, l.weight, l.bias, info), cache: { info } };
  },
  record({ spec: l, input }, delta, deltaSource, options) {
    const conv = traceConv({ input, weight: l.weight, bias: l.bias, grad: delta, deltaSource, options: l.options, dtype: input.dtype }, { ...options, backward: delta !== undefined });
    return { tensors: conv.tensors, stages: conv.stages, geometry: conv.geometry, conv, deltaIn: conv.tensors.dA };
  },
};
