/** The argument of an op that an error is about; the spec layer maps it to a JSON path. */
export type ConvArgument = 'input' | 'weight' | 'bias' | 'grad' | 'target' | 'stride' | 'padding' | 'dilation' | 'groups';

/**
 * Thrown once, at an op's boundary, when its arguments cannot work together.
 * The message names the op and the shapes involved, e.g.
 * `conv2d: input has 4 channels but weight expects 3 (input (1, 4, 5, 5), weight (2, 3, 2, 2), groups 1)`.
 */
export class EngineError extends Error {
  constructor(
    readonly op: string,
    readonly detail: string,
    readonly argument?: ConvArgument,
  ) {
    super(`${op}: ${detail}`);
    this.name = 'EngineError';
  }
}
