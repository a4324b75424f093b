// The engine as a library (dist/engine.js): `trace` runs a spec the way the CLI
// and the panel do; the individual ops work on plain tensors.

import { DEFAULT_MAX_ELEMENTS, TraceOptions } from './engine/trace';
import { AnyTrace, traceAnySpecText, traceSpecSource } from './specReader/convSpec';
import { nodeSpecFiles } from './specReader/nodeSpecFiles';
import { JsonSource } from './specReader/source';
import { readRegularFile, readSpecFiles } from './specReader/specFiles';
import { specFileReferences } from './specReader/tensorSource';

export * from './engine/tensor';
export * from './engine/errors';
export { convInfo, checkGradShape, outputShape, paddedShape, outputSizeFormula } from './engine/convInfo';
export type { ConvInfo, ConvOptions, PaddingOption, Pair } from './engine/convInfo';
export { pad2d, crop2d, im2col, col2im } from './engine/im2col';
export { conv2d, conv2dGradients, conv2dInputGrad, conv2dWeightGrad, conv2dForward, conv2dBackward, inputGradRot180, weightMatrix } from './engine/conv2d';
export type { ConvForward, ConvBackward, Rot180View, ConvGradients } from './engine/conv2d';
export { conv2dNaive, conv2dGradNaive } from './engine/reference';
export { traceConv, CONV_TENSOR_NAMES, DEFAULT_MAX_ELEMENTS, tensorNames } from './engine/trace';
export type { ConvTrace, ConvProblem, TraceOptions, TraceTensor, TraceStage, TensorName, NonFiniteReport } from './engine/trace';
export { SpecError } from './specReader/source';
export { traceNetwork, networkTensor, networkTensorNames } from './engine/network';
export type { NetworkTrace, NetworkProblem, LayerSpec, LossSpec, LayerTrace } from './engine/network';
/**
 * A network (or an ONNX model read as one) run lean: `runNetwork(problem)` computes every layer's output and, unless
 * `{ backward: false }`, every layer's δ, ∂C/∂input and the parameters' gradients, without the trace's stage
 * tensors (for models too big to trace whole); `traceRunLayer(run, i)` then records layer i alone, every stage,
 * exactly as `traceNetwork` would. Running again, `runNetwork(problem, { buffers: releasedRun(lastRun) })` writes
 * into the last run's arrays instead of new ones (the last run is not to be read after).
 */
export { releasedRun, runNetwork, traceRunLayer } from './engine/networkRun';
export type { NetworkRun, RunGradients, RunOptions } from './engine/networkRun';
export { activationForward, poolForward, poolBackward, poolInfo, linearForward, linearBackward } from './engine/layers';
export { mseLoss, crossEntropyLoss } from './engine/layerKinds/loss';
export { compareTensors, withComparison } from './engine/compare';
export { encodeNpy } from './specReader/npy';

/**
 * Runs a conv spec, given as JSON text or as an already-parsed object, forward and
 * backward. Throws SpecError naming the JSON path of any problem.
 */
export function trace(spec: string | object, options: TraceOptions = {}, file = '<spec>'): AnyTrace {
  if (typeof spec === 'string') return traceAnySpecText(file, spec, options);
  return traceSpecSource(JsonSource.fromValue(file, spec), options);
}

/**
 * Runs a spec file, reading the files it names beside it (.npy, PNG/JPEG images, .npz,
 * .safetensors) as the CLI does. Throws SpecError naming the JSON path of any problem.
 */
export async function traceFile(specPath: string, options: TraceOptions = {}): Promise<AnyTrace> {
  const source = JsonSource.parse(specPath, new TextDecoder().decode(await readRegularFile(nodeSpecFiles, specPath)));
  const files = await readSpecFiles(specPath, specFileReferences(source.value), nodeSpecFiles, { maxElements: options.maxElements ?? DEFAULT_MAX_ELEMENTS });
  return traceSpecSource(source, options, files);
}

/**
 * Every value of an ONNX model under its ONNX name (graph input, node outputs, initializers), from one lean run on
 * `input`; with `{ target }` also each one's gradient of a cross-entropy against that class, as `grad:NAME`.
 */
export { traceOnnxModel } from './specReader/onnx/modelTrace';
export type { ModelTrace, ModelTraceOptions, ModelValue, ModelValueRole } from './specReader/onnx/modelTrace';
