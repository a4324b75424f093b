import { EngineProblem, LayerAt, renderWith } from './problem';
import { ENGINE_EN, FRAME_EN } from './problemText.en';

/**
 * The argument of an op that an error is about: `input`, `grad`, `target`, or a spec key of the op's kind (the keys
 * its module declares, kind.ts `params`, so a new kind adds none here). The spec reader maps it to a JSON path.
 */
export type ConvArgument = string;

/**
 * Thrown once, at an op's boundary, when its arguments cannot work together. It
 * carries the problem as data (a code and its arguments, the op, the layer); its
 * message is the English rendering, e.g.
 * `conv2d: input has 4 channels but weight expects 3 (input (1, 4, 5, 5), weight (2, 3, 2, 2), groups 1)`.
 */
export class EngineError extends Error {
  readonly problem: EngineProblem & { op: string; layer?: LayerAt };

  constructor(
    readonly op: string,
    problem: EngineProblem,
    readonly argument?: ConvArgument,
    /** The network layer the op ran as, when it ran in a network. */
    readonly layer?: LayerAt,
  ) {
    const located = { ...problem, op, ...(layer ? { layer } : {}) };
    super(renderWith(ENGINE_EN, FRAME_EN, located));
    this.problem = located;
    this.name = 'EngineError';
  }

  /** The problem in English, without the op or the layer. */
  get detail(): string {
    return renderWith(ENGINE_EN, FRAME_EN, this.bare);
  }

  /** The code and arguments alone. */
  get bare(): EngineProblem {
    return { code: this.problem.code, args: this.problem.args } as EngineProblem;
  }

  /** The same problem, raised by a layer of a network. */
  inLayer(layer: LayerAt): EngineError {
    return new EngineError(this.op, this.bare, this.argument, layer);
  }
}
