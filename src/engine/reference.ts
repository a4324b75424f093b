// The test oracle: conv2d and its gradients as the textbook's direct loops, with no
// im2col, no padding copy and no matrix product. Never used by the UI; only tests
// compare the im2col path against it.

import { ConvInfo, outputShape } from './convInfo';
import { Tensor, zeros } from './tensor';

type Visit = (b: number, o: number, i: number, j: number, wIndex: number, xIndex: number) => void;

/** Calls visit for every (output cell, kernel tap) whose input pixel lies inside the unpadded input. */
function eachTap(info: ConvInfo, visit: Visit): void {
  const { batch, outChannels, outHeight, outWidth, kernelHeight: kh, kernelWidth: kw, inHeight: H, inWidth: W,
    inChannelsPerGroup: Cig, outChannelsPerGroup: Cog, inChannels } = info;
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outChannels; o++) {
      const g = Math.floor(o / Cog);
      for (let i = 0; i < outHeight; i++) {
        for (let j = 0; j < outWidth; j++) {
          for (let cl = 0; cl < Cig; cl++) {
            const c = g * Cig + cl;
            for (let ki = 0; ki < kh; ki++) {
              const y = i * info.strideHeight + ki * info.dilationHeight - info.padTop;
              if (y < 0 || y >= H) continue;
              for (let kj = 0; kj < kw; kj++) {
                const x = j * info.strideWidth + kj * info.dilationWidth - info.padLeft;
                if (x < 0 || x >= W) continue;
                visit(b, o, i, j, ((o * Cig + cl) * kh + ki) * kw + kj, ((b * inChannels + c) * H + y) * W + x);
              }
            }
          }
        }
      }
    }
  }
}

export function conv2dNaive(input: Tensor, weight: Tensor, bias: Tensor | undefined, info: ConvInfo): Tensor {
  const z = zeros(outputShape(info), input.dtype);
  const { outChannels, outHeight, outWidth } = info;
  eachTap(info, (b, o, i, j, wIndex, xIndex) => {
    z.data[((b * outChannels + o) * outHeight + i) * outWidth + j] += input.data[xIndex] * weight.data[wIndex];
  });
  if (bias) {
    for (let n = 0; n < z.data.length; n++) z.data[n] += bias.data[Math.floor(n / (outHeight * outWidth)) % outChannels];
  }
  return z;
}

export interface NaiveGradients {
  dInput: Tensor;
  dWeight: Tensor;
  dBias: Tensor;
}

/** ∂C/∂input, ∂C/∂weight, ∂C/∂bias for C with ∂C/∂z = delta, by scattering each tap. */
export function conv2dGradNaive(input: Tensor, weight: Tensor, delta: Tensor, info: ConvInfo): NaiveGradients {
  const dInput = zeros(input.shape, input.dtype);
  const dWeight = zeros(weight.shape, weight.dtype);
  const dBias = zeros([info.outChannels], weight.dtype);
  const { outChannels, outHeight, outWidth } = info;
  eachTap(info, (b, o, i, j, wIndex, xIndex) => {
    const d = delta.data[((b * outChannels + o) * outHeight + i) * outWidth + j];
    dInput.data[xIndex] += d * weight.data[wIndex];
    dWeight.data[wIndex] += d * input.data[xIndex];
  });
  for (let n = 0; n < delta.data.length; n++) dBias.data[Math.floor(n / (outHeight * outWidth)) % outChannels] += delta.data[n];
  return { dInput, dWeight, dBias };
}
