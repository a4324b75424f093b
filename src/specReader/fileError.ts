// The error a reader of tensor files (.npy, images, .npz, .safetensors, .pt, .onnx) throws: a
// problem as data, and which key of the spec's source object it is about.

import type { SpecProblem } from './problemCodes';
import { english } from './problemText.en';

export class TensorFileError extends Error {
  /** `at`: the source object's key the problem is about ("size", "key"); absent: the file's own key. */
  constructor(readonly problem: SpecProblem, readonly at?: string) {
    super(english(problem));
  }
}
