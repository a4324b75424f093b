// torchvision's resnet18 as torch.onnx.export writes it at opset 17 in eval mode (checked once against a real
// export of the same architecture: node names, ops, attributes, input order, initializer names and shapes):
// every BatchNorm folded into the Conv before it (a Conv with a bias), Relu, MaxPool 3×3 s2 p1, the basic
// blocks' Add (the block's second conv first, then the identity or the 1×1 downsample conv), GlobalAveragePool,
// Flatten and Gemm (transB = 1). Random weights (seeded, He-uniform so activations stay of order 1), written by
// the tests themselves: the real one (224×224, widths 64–512, 1000 classes) is 45 MB. Smaller inputs and widths
// make the same graph small enough for unit tests.

import { OnnxInitializer, OnnxNodeSpec, onnxGraphModel } from './onnxWriter';
import { Tensor, sizeOf } from '../../src/engine/tensor';

export interface ResNetShape {
  /** The input's height and width (224 for ImageNet). */
  size: number;
  /** The four stages' channels (torchvision: 64, 128, 256, 512). */
  widths?: readonly [number, number, number, number];
  classes?: number;
  seed?: number;
}

export const RESNET18_WIDTHS = [64, 128, 256, 512] as const;

/** A seeded uniform generator in [-1, 1) (a Park–Miller LCG: deterministic, and fast enough for 11.7M weights). */
function uniform(seed: number): () => number {
  let s = seed % 2147483647 || 1;
  return () => { s = (s * 16807) % 2147483647; return (s / 2147483647) * 2 - 1; };
}

/** The graph: nodes and initializers in the exporter's order, and the input's shape. */
export function resnet18Graph(shape: ResNetShape): { nodes: OnnxNodeSpec[]; initializers: OnnxInitializer[]; input: number[]; output: number[] } {
  const widths = shape.widths ?? RESNET18_WIDTHS;
  const classes = shape.classes ?? 1000;
  const random = uniform(shape.seed ?? 1);
  const nodes: OnnxNodeSpec[] = [];
  const convWeights: OnnxInitializer[] = [];
  const weights = (name: string, dims: number[], bound: number): OnnxInitializer => {
    const data = new Float32Array(dims.reduce((n, d) => n * d, 1));
    for (let i = 0; i < data.length; i++) data[i] = random() * bound;
    return { name, dims, dataType: 1, raw: new Uint8Array(data.buffer) };
  };
  // The exporter names a folded conv's weight and bias onnx::Conv_N and onnx::Conv_N+1, N counting up by 3 from 193.
  let next = 193;
  const conv = (scope: string, x: string, cin: number, cout: number, k: number, stride: number): string => {
    const [w, b] = [`onnx::Conv_${next}`, `onnx::Conv_${next + 1}`];
    next += 3;
    convWeights.push(weights(w, [cout, cin, k, k], Math.sqrt(6 / (cin * k * k))), weights(b, [cout], 0.1));
    const pad = (k - 1) / 2;
    const name = `${scope}/Conv`;
    nodes.push({ op: 'Conv', name, inputs: [x, w, b], outputs: [`${name}_output_0`], ints: { dilations: [1, 1], kernel_shape: [k, k], pads: [pad, pad, pad, pad], strides: [stride, stride] }, int: { group: 1 } });
    return `${name}_output_0`;
  };
  const op = (name: string, type: string, inputs: string[]): string => {
    nodes.push({ op: type, name, inputs, outputs: [`${name}_output_0`] });
    return `${name}_output_0`;
  };
  let x = conv('/conv1', 'input', 3, widths[0], 7, 2);
  x = op('/relu/Relu', 'Relu', [x]);
  nodes.push({ op: 'MaxPool', name: '/maxpool/MaxPool', inputs: [x], outputs: ['/maxpool/MaxPool_output_0'], int: { ceil_mode: 0 }, ints: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] } });
  x = '/maxpool/MaxPool_output_0';
  let cin = widths[0];
  widths.forEach((width, stage) => {
    for (let block = 0; block < 2; block++) {
      const scope = `/layer${stage + 1}/layer${stage + 1}.${block}`;
      const stride = stage > 0 && block === 0 ? 2 : 1;
      let y = conv(`${scope}/conv1`, x, cin, width, 3, stride);
      y = op(`${scope}/relu/Relu`, 'Relu', [y]);
      y = conv(`${scope}/conv2`, y, width, width, 3, 1);
      const identity = stride !== 1 || cin !== width ? conv(`${scope}/downsample/downsample.0`, x, cin, width, 1, stride) : x;
      y = op(`${scope}/Add`, 'Add', [y, identity]);
      x = op(`${scope}/relu_1/Relu`, 'Relu', [y]);
      cin = width;
    }
  });
  x = op('/avgpool/GlobalAveragePool', 'GlobalAveragePool', [x]);
  nodes.push({ op: 'Flatten', name: '/Flatten', inputs: [x], outputs: ['/Flatten_output_0'], int: { axis: 1 } });
  nodes.push({ op: 'Gemm', name: '/fc/Gemm', inputs: ['/Flatten_output_0', 'fc.weight', 'fc.bias'], outputs: ['output'], float: { alpha: 1, beta: 1 }, int: { transB: 1 } });
  const fc = [weights('fc.weight', [classes, cin], Math.sqrt(3 / cin)), weights('fc.bias', [classes], 0.1)];
  return { nodes, initializers: [...fc, ...convWeights], input: [1, 3, shape.size, shape.size], output: [1, classes] };
}

/** The model's .onnx bytes. */
export function resnet18Onnx(shape: ResNetShape): Uint8Array {
  const g = resnet18Graph(shape);
  return onnxGraphModel({ nodes: g.nodes, initializers: g.initializers, inputs: [['input', g.input]], outputs: [['output', g.output]], opset: 17, producer: ['pytorch', '1.13.0'] });
}

/** The benches' input to such a model: one (1, 3, size, size) float32 image of sin(i), the same in every process. */
export function sinImage(size: number): Tensor {
  const shape = [1, 3, size, size];
  return { shape, dtype: 'float32', data: new Float32Array(sizeOf(shape)).map((_, i) => Math.sin(i)) };
}
