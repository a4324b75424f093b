// A worker of ConvPool: runs one convolution pass on its slice of shared tensors
// with the engine (and its WebAssembly kernels) and writes the result in place.

import { parentPort } from 'worker_threads';
import { conv2d, conv2dInputGrad, conv2dWeightGrad } from '../../src/engine/conv2d';
import type { ConvOptions } from '../../src/engine/convInfo';
import type { DType, Tensor } from '../../src/engine/tensor';

/** A tensor as a view into a SharedArrayBuffer (offset and length in elements). */
export interface PoolTensor {
  shape: number[];
  dtype: DType;
  buffer: SharedArrayBuffer;
  offset: number;
  length: number;
}

export type PoolPart =
  | { op: 'forward'; options: ConvOptions; input: PoolTensor; weight: PoolTensor; bias?: PoolTensor; out: PoolTensor }
  | { op: 'inputGrad'; options: ConvOptions; inputShape: number[]; weight: PoolTensor; grad: PoolTensor; out: PoolTensor }
  | { op: 'weightGrad'; options: ConvOptions; input: PoolTensor; weightShape: number[]; grad: PoolTensor; out: PoolTensor; outBias: PoolTensor };

export interface PoolRequest {
  id: number;
  part: PoolPart;
}

function tensor(t: PoolTensor): Tensor {
  const data = t.dtype === 'float32' ? new Float32Array(t.buffer, t.offset * 4, t.length) : new Float64Array(t.buffer, t.offset * 8, t.length);
  return { shape: t.shape, dtype: t.dtype, data };
}

function run(part: PoolPart): void {
  switch (part.op) {
    case 'forward':
      tensor(part.out).data.set(conv2d(tensor(part.input), tensor(part.weight), part.bias && tensor(part.bias), part.options).data);
      break;
    case 'inputGrad':
      tensor(part.out).data.set(conv2dInputGrad(part.inputShape, tensor(part.weight), tensor(part.grad), part.options).data);
      break;
    case 'weightGrad': {
      const { dWeight, dBias } = conv2dWeightGrad(tensor(part.input), part.weightShape, tensor(part.grad), part.options);
      tensor(part.out).data.set(dWeight.data);
      tensor(part.outBias).data.set(dBias.data);
      break;
    }
  }
}

parentPort?.on('message', ({ id, part }: PoolRequest) => {
  try {
    run(part);
    parentPort!.postMessage({ id });
  } catch (e) {
    parentPort!.postMessage({ id, error: (e as Error).message });
  }
});
