// Hostile and unusual ONNX models, small enough to write by hand (tensorFiles.ts's onnxGraphModel): each
// breaks one rule of src/specReader/onnx/. The input they take is (1, 1, 4, 4).

import { OnnxInitializer, OnnxNodeSpec, f32Bytes, onnxGraphModel, pbVarint } from './tensorFiles';

export const INPUT_SHAPE = [1, 1, 4, 4];
const w = (name = 'w', inChannels = 1, external = false): OnnxInitializer => ({ name, dims: [2, inChannels, 3, 3], dataType: 1, raw: f32Bytes(new Array(18 * inChannels).fill(0.5)), external });
const int64 = (name: string, values: number[]): OnnxInitializer => ({ name, dims: [values.length], dataType: 7, int64Data: values.map(BigInt) });
const f32 = (name: string, values: number[]): OnnxInitializer => ({ name, dims: [values.length], dataType: 1, raw: f32Bytes(values) });
const conv = (inputs = ['x', 'w'], outputs = ['c'], name = 'conv'): OnnxNodeSpec => ({ op: 'Conv', inputs, outputs, name, ints: { pads: [1, 1, 1, 1] } });
const relu = (input: string, output: string, name = `relu_${output}`): OnnxNodeSpec => ({ op: 'Relu', inputs: [input], outputs: [output], name });
const model = (nodes: OnnxNodeSpec[], initializers: OnnxInitializer[] = [w()], extra: { inputs?: [string, number[]?][]; outputs?: string[] } = {}) =>
  onnxGraphModel({ nodes, initializers, inputs: extra.inputs ?? [['x', INPUT_SHAPE]], outputs: extra.outputs ?? ['y'] });

/** A good model: conv → relu. */
export const GOOD = model([conv(), relu('c', 'y')]);

/** Each hostile model, by what is wrong with it, and the problem code it is refused with. */
export const HOSTILE: Record<string, { bytes: Uint8Array; code: string; names?: string[] }> = {
  'a truncated file': { bytes: GOOD.subarray(0, GOOD.length - 20), code: 'onnx.proto' },
  'no graph': { bytes: pbVarint(1, 8), code: 'onnx.noGraph' },
  'a node whose op is not read': { bytes: model([conv(), { op: 'Erf', inputs: ['c'], outputs: ['y'], name: 'erf' }]), code: 'onnx.op', names: ['erf', 'Erf'] },
  'a cycle': { bytes: model([conv(['x', 'w'], ['c']), { op: 'Add', inputs: ['c', 'b'], outputs: ['a'], name: 'loop_a' }, relu('a', 'b', 'loop_b'), relu('b', 'y')]), code: 'onnx.cycle', names: ['loop_a'] },
  'a missing initializer': { bytes: model([conv(), relu('c', 'y')], []), code: 'onnx.missing', names: ['conv', 'w'] },
  'external data': { bytes: model([conv(), relu('c', 'y')], [w('w', 1, true)]), code: 'onnx.external', names: ['w'] },
  'a declared 2 GB tensor': { bytes: model([conv(), relu('c', 'y')], [{ name: 'w', dims: [2, 1, 16384, 16384], dataType: 1, raw: f32Bytes([1]) }]), code: 'file.tooMany' },
  'two graph inputs': { bytes: model([conv(), relu('c', 'y')], [w()], { inputs: [['x', INPUT_SHAPE], ['z', INPUT_SHAPE]] }), code: 'onnx.graphInputs', names: ['x', 'z'] },
  'no graph output': { bytes: model([conv(), relu('c', 'y')], [w()], { outputs: [] }), code: 'onnx.graphOutputs' },
  'a second output computed from the first': { bytes: model([conv(), relu('c', 'y'), relu('y', 'p')], [w()], { outputs: ['y', 'p'] }), code: 'onnx.outputFirst', names: ['y', 'p'] },
  'an input of another shape': { bytes: model([conv(), relu('c', 'y')], [w()], { inputs: [['x', [1, 1, 5, 5]]] }), code: 'onnx.inputShape', names: ['x'] },
  'a tensor two nodes make': { bytes: model([conv(), relu('c', 'y'), relu('c', 'y', 'again')]), code: 'onnx.twice', names: ['y'] },
  'an attribute not read': { bytes: model([conv(), { op: 'Concat', inputs: ['c', 'c'], outputs: ['y'], name: 'cat', int: { axis: 2 } }]), code: 'onnx.attribute', names: ['cat', 'axis'] },
  'a second output used': { bytes: model([{ op: 'MaxPool', inputs: ['x'], outputs: ['m', 'idx'], name: 'pool', ints: { kernel_shape: [2, 2], strides: [2, 2] } }, { op: 'Add', inputs: ['m', 'idx'], outputs: ['y'], name: 'sum' }], []), code: 'onnx.output', names: ['pool', 'idx'] },
  'a constant where the network\'s tensor goes': { bytes: model([relu('w', 'y')]), code: 'onnx.tensor', names: ['relu_y', 'w'] },
  'a computed weight': { bytes: model([relu('x', 'r'), conv(['x', 'r'], ['y'])]), code: 'onnx.weight', names: ['conv', 'r'] },
  'a constant added to no MatMul': { bytes: model([relu('x', 'r'), { op: 'Add', inputs: ['r', 'b'], outputs: ['y'], name: 'plus' }], [{ name: 'b', dims: [1], dataType: 1, raw: f32Bytes([1]) }]), code: 'onnx.bias', names: ['plus'] },
  'a reshape that is no flatten': { bytes: model([{ op: 'Reshape', inputs: ['x', 's'], outputs: ['r'], name: 'reshape' }, relu('r', 'y')], [int64('s', [2, -1])]), code: 'onnx.reshape', names: ['reshape'] },
  'an Unsqueeze of the network\'s tensor on the batch axis': { bytes: model([{ op: 'Unsqueeze', inputs: ['x', 'a'], outputs: ['u'], name: 'unsqueeze' }, relu('u', 'y')], [int64('a', [0])]), code: 'onnx.attribute', names: ['unsqueeze', 'axes'] },
  'a Pad on the channels': { bytes: model([{ op: 'Pad', inputs: ['x', 'p'], outputs: ['p1'], name: 'pad' }, relu('p1', 'y')], [int64('p', [0, 1, 1, 1, 0, 0, 1, 1])]), code: 'onnx.attribute', names: ['pad', 'pads'] },
  'a Resize by a computed scale': { bytes: model([relu('x', 'r'), { op: 'Resize', inputs: ['x', '', 'r'], outputs: ['y'], name: 'resize', strings: { mode: 'linear' } }], []), code: 'onnx.weight', names: ['resize', 'r'] },
  // onnxruntime crops, then reflects or repeats what is left; torch's F.pad reads past the crop: refused, as onnxruntime does.
  'an edge Pad of an axis cropped to nothing': { bytes: model([{ op: 'Pad', inputs: ['x', 'p'], outputs: ['y'], name: 'pad', strings: { mode: 'edge' } }], [int64('p', [0, 0, 1, 0, 0, 0, -4, 0])]), code: 'onnx.attribute', names: ['pad', 'pads'] },
  'a reflect Pad as long as what the crop leaves': { bytes: model([{ op: 'Pad', inputs: ['x', 'p'], outputs: ['y'], name: 'pad', strings: { mode: 'reflect' } }], [int64('p', [0, 0, 0, 3, 0, 0, 0, -1])]), code: 'onnx.attribute', names: ['pad', 'pads'] },
  // tf_half_pixel_for_nn is nearest's transform.
  'a linear Resize by tf_half_pixel_for_nn': {
    bytes: model([{ op: 'Resize', inputs: ['x', '', 's'], outputs: ['y'], name: 'resize', strings: { mode: 'linear', coordinate_transformation_mode: 'tf_half_pixel_for_nn' } }], [f32('s', [1, 1, 0.25, 2])]),
    code: 'onnx.attribute', names: ['resize', 'coordinate_transformation_mode'],
  },
  // ONNX's shape inference refuses pads beside an auto_pad; onnxruntime does not load the model.
  'a Conv with pads beside auto_pad VALID': { bytes: model([{ ...conv(['x', 'w'], ['y']), strings: { auto_pad: 'VALID' } }]), code: 'onnx.attribute', names: ['conv', 'pads'] },
  'a ConvTranspose whose output_shape passes the windows\' reach': {
    bytes: model([{ op: 'ConvTranspose', inputs: ['x', 'w'], outputs: ['y'], name: 'convt', ints: { output_shape: [40, 40] } }]),
    code: 'onnx.attribute', names: ['convt', 'output_shape'],
  },
  'a cubic Resize': { bytes: model([{ op: 'Resize', inputs: ['x', '', 's'], outputs: ['y'], name: 'cubic', strings: { mode: 'cubic' } }], [f32('s', [1, 1, 2, 2])]), code: 'onnx.attribute', names: ['cubic', 'mode'] },
  'a nearest Resize by tf_crop_and_resize': { bytes: model([{ op: 'Resize', inputs: ['x', '', 's'], outputs: ['y'], name: 'crop', strings: { mode: 'nearest', coordinate_transformation_mode: 'tf_crop_and_resize' } }], [f32('s', [1, 1, 2, 2])]), code: 'onnx.attribute', names: ['crop', 'coordinate_transformation_mode'] },
  'a nearest Resize of an unknown rounding': { bytes: model([{ op: 'Resize', inputs: ['x', '', 's'], outputs: ['y'], name: 'odd', strings: { mode: 'nearest', nearest_mode: 'stochastic' } }], [f32('s', [1, 1, 2, 2])]), code: 'onnx.attribute', names: ['odd', 'nearest_mode'] },
  'a Resize by a huge scale': { bytes: model([{ op: 'Resize', inputs: ['x', '', 's'], outputs: ['y'], name: 'huge', strings: { mode: 'linear' } }], [f32('s', [1, 1, 30000, 30000])]), code: 'budget.tensor', names: ['huge'] },
  'no layer': { bytes: model([{ op: 'Identity', inputs: ['x'], outputs: ['y'], name: 'same' }], []), code: 'onnx.empty' },
  'a Mul of shapes that do not broadcast': {
    bytes: model([conv(), { op: 'MaxPool', inputs: ['x'], outputs: ['m'], name: 'pool', ints: { kernel_shape: [2, 2], strides: [2, 2] } }, { op: 'Mul', inputs: ['c', 'm'], outputs: ['y'], name: 'gate' }]),
    code: 'mul.shapes', names: ['gate'],
  },
  'a Mul by a constant that does not broadcast to the input': { bytes: model([conv(), { op: 'Mul', inputs: ['c', 'k'], outputs: ['y'], name: 'scale' }], [w(), { name: 'k', dims: [3, 1, 1], dataType: 1, raw: f32Bytes([1, 2, 3]) }]), code: 'mul.shapes', names: ['scale'] },
  'a Div by a constant holding 0': { bytes: model([conv(), { op: 'Div', inputs: ['c', 'k'], outputs: ['y'], name: 'div' }], [w(), { name: 'k', dims: [2, 1, 1], dataType: 1, raw: f32Bytes([2, 0]) }]), code: 'onnx.divideByZero', names: ['div', 'k'] },
  'a Div by a computed tensor': { bytes: model([conv(), relu('c', 'r'), { op: 'Div', inputs: ['c', 'r'], outputs: ['y'], name: 'div' }]), code: 'onnx.weight', names: ['div', 'r'] },
  'a ReduceMean over the channels': { bytes: model([conv(), { op: 'ReduceMean', inputs: ['c'], outputs: ['y'], name: 'mean', ints: { axes: [1] } }]), code: 'onnx.attribute', names: ['mean', 'axes'] },
  // Constant folding (ops.ts's FOLDS, foldBroadcast): (4) + (2) was once read past the end of (2), a NaN run on.
  'constants added that do not broadcast': {
    bytes: model([conv(), { op: 'Add', inputs: ['k4', 'k2'], outputs: ['k'], name: 'sum' }, { op: 'Mul', inputs: ['c', 'k'], outputs: ['y'], name: 'scale' }], [w(), f32('k4', [1, 2, 3, 4]), f32('k2', [1, 2])]),
    code: 'onnx.attribute', names: ['sum', 'k2'],
  },
  // Integer folding (FOLDS's Div and Mod of int64 constants): 0 as a divisor has no value in onnxruntime either.
  'an int64 Div by 0 in a shape chain': {
    bytes: model([conv(), { op: 'Div', inputs: ['n', 'z'], outputs: ['q'], name: 'half' }, { op: 'Mul', inputs: ['c', 'q'], outputs: ['y'], name: 'scale' }], [w(), int64('n', [4]), int64('z', [0])]),
    code: 'onnx.divideByZero', names: ['half', 'z'],
  },
  'an int64 Mod by 0 in a shape chain': {
    bytes: model([conv(), { op: 'Mod', inputs: ['n', 'z'], outputs: ['q'], name: 'rest' }, { op: 'Mul', inputs: ['c', 'q'], outputs: ['y'], name: 'scale' }], [w(), int64('n', [4]), int64('z', [0])]),
    code: 'onnx.divideByZero', names: ['rest', 'z'],
  },
  'a float Mod without fmod': {
    bytes: model([conv(), { op: 'Mod', inputs: ['n', 'z'], outputs: ['q'], name: 'rest' }, { op: 'Mul', inputs: ['c', 'q'], outputs: ['y'], name: 'scale' }], [w(), f32('n', [4]), f32('z', [3])]),
    code: 'onnx.attribute', names: ['rest', 'fmod'],
  },
  'constants whose broadcast is over the element limit': {
    bytes: model([conv(), { op: 'Add', inputs: ['col', 'row'], outputs: ['k'], name: 'sum' }, { op: 'Mul', inputs: ['c', 'k'], outputs: ['y'], name: 'scale' }],
      [w(), { name: 'col', dims: [16384, 1], dataType: 1, raw: f32Bytes(new Array(16384).fill(1)) }, { name: 'row', dims: [1, 16384], dataType: 1, raw: f32Bytes(new Array(16384).fill(1)) }]),
    code: 'budget.tensor', names: ['sum'],
  },
  'a conv whose weight does not fit': { bytes: model([conv(['x', 'w'], ['y'])], [w('w', 3)]), code: 'conv.channels', names: ['conv'] },
};
