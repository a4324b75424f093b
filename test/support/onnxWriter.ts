// A test-only ONNX writer: the protobuf wire format (varint and length-delimited fields) and the few fields of
// ModelProto (ir_version 1, producer 2–3, graph 7, opset_import 8), GraphProto (node 1, name 2, initializer 5,
// input 11, output 12), NodeProto (input 1, output 2, name 3, op_type 4, attribute 5), AttributeProto (name 1,
// f 2, i 3, ints 8, type 20), TensorProto (dims 1, data_type 2, typed data 4/5/7/10, name 8, raw_data 9,
// external data 13–14) and ValueInfoProto (name 1, type 2: a FLOAT tensor and its dims) that the tests write,
// hostile models included (tensorFiles.ts, onnxHostile.ts) and a ResNet-18-shaped one (resnet18.ts).

export const latin1 = (s: string) => Uint8Array.from(s, c => c.charCodeAt(0));

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => { out.set(p, at); return at + p.length; }, 0);
  return out;
}

function varint(n: number | bigint): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do { out.push(Number(v & 0x7fn) | (v > 0x7fn ? 0x80 : 0)); v >>= 7n; } while (v > 0n);
  return Uint8Array.from(out);
}
/** A protobuf varint field. */
export const pbVarint = (field: number, n: number | bigint) => concat([varint(field << 3), varint(n)]);
/** A protobuf length-delimited field. */
export const pbBytes = (field: number, b: Uint8Array) => concat([varint((field << 3) | 2), varint(b.length), b]);

/** Float32 little-endian bytes. */
export function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** An ONNX TensorProto's fields (dims unpacked, as onnx writes them; the typed data fields packed). */
export interface OnnxInitializer {
  name: string; dims: number[]; dataType: number; raw?: Uint8Array;
  floatData?: number[]; doubleData?: number[]; int32Data?: number[]; int64Data?: bigint[]; external?: boolean;
}

export function tensorProto(t: OnnxInitializer): Uint8Array {
  const parts = [...t.dims.map(d => pbVarint(1, d)), pbVarint(2, t.dataType), pbBytes(8, latin1(t.name))];
  if (t.raw) parts.push(pbBytes(9, t.raw));
  if (t.floatData) parts.push(pbBytes(4, f32Bytes(t.floatData)));
  if (t.doubleData) parts.push(pbBytes(10, new Uint8Array(Float64Array.from(t.doubleData).buffer)));
  if (t.int32Data) parts.push(pbBytes(5, concat(t.int32Data.map(varint))));
  if (t.int64Data) parts.push(pbBytes(7, concat(t.int64Data.map(varint))));
  if (t.external) parts.push(pbBytes(13, concat([pbBytes(1, latin1('location')), pbBytes(2, latin1('w.bin'))])), pbVarint(14, 1));
  return concat(parts);
}

/** An ONNX node: its op, inputs and outputs, name, and integer (list) or float attributes. */
export interface OnnxNodeSpec { op: string; inputs: string[]; outputs: string[]; name?: string; ints?: Record<string, number[]>; int?: Record<string, number>; float?: Record<string, number>; strings?: Record<string, string> }

/** AttributeProto.AttributeType: FLOAT 1, INT 2, INTS 7. */
function onnxAttribute(name: string, type: number, value: Uint8Array): Uint8Array {
  return pbBytes(5, concat([pbBytes(1, latin1(name)), value, pbVarint(20, type)]));
}

function onnxNode(n: OnnxNodeSpec): Uint8Array {
  return concat([
    ...n.inputs.map(x => pbBytes(1, latin1(x))), ...n.outputs.map(y => pbBytes(2, latin1(y))),
    ...(n.name ? [pbBytes(3, latin1(n.name))] : []), pbBytes(4, latin1(n.op)),
    ...Object.entries(n.float ?? {}).map(([k, v]) => onnxAttribute(k, 1, concat([varint((2 << 3) | 5), f32Bytes([v])]))),
    ...Object.entries(n.int ?? {}).map(([k, v]) => onnxAttribute(k, 2, pbVarint(3, v))),
    ...Object.entries(n.ints ?? {}).map(([k, v]) => onnxAttribute(k, 7, concat(v.map(d => pbVarint(8, d))))),
    // STRING 3: AttributeProto.s (4).
    ...Object.entries(n.strings ?? {}).map(([k, v]) => onnxAttribute(k, 3, pbBytes(4, latin1(v)))),
  ]);
}

/** A graph input or output (ValueInfoProto), FLOAT, with its shape when given. */
function onnxValue(name: string, shape?: number[]): Uint8Array {
  const dims = (shape ?? []).map(d => pbBytes(1, pbVarint(1, d)));
  const type = shape ? [pbBytes(2, pbBytes(1, concat([pbVarint(1, 1), pbBytes(2, concat(dims))])))] : [];
  return concat([pbBytes(1, latin1(name)), ...type]);
}

/** A graph's parts: nodes, inputs and outputs (with their shapes when given), initializers; and the model's opset and producer. */
export interface OnnxGraphSpec {
  nodes: OnnxNodeSpec[];
  inputs: [string, number[]?][];
  outputs: (string | [string, number[]])[];
  initializers?: OnnxInitializer[];
  /** The default domain's opset (none written when left out). */
  opset?: number;
  producer?: [name: string, version: string];
}

/** An ONNX ModelProto (ir_version 8) with a graph of these nodes, inputs, outputs and initializers. */
export function onnxGraphModel(g: OnnxGraphSpec): Uint8Array {
  const graph = concat([
    ...g.nodes.map(n => pbBytes(1, onnxNode(n))), pbBytes(2, latin1('g')), ...(g.initializers ?? []).map(t => pbBytes(5, tensorProto(t))),
    ...g.inputs.map(([name, shape]) => pbBytes(11, onnxValue(name, shape))),
    ...g.outputs.map(o => pbBytes(12, typeof o === 'string' ? onnxValue(o) : onnxValue(...o))),
  ]);
  const producer = g.producer ? [pbBytes(2, latin1(g.producer[0])), pbBytes(3, latin1(g.producer[1]))] : [];
  const opset = g.opset ? [pbBytes(8, concat([pbBytes(1, new Uint8Array(0)), pbVarint(2, g.opset)]))] : [];
  return concat([pbVarint(1, 8), ...producer, pbBytes(7, graph), ...opset]);
}

/** An ONNX ModelProto whose graph holds only these initializers. */
export function onnxModel(initializers: OnnxInitializer[]): Uint8Array {
  return concat([pbVarint(1, 8), pbBytes(7, concat([pbBytes(2, latin1('g')), ...initializers.map(t => pbBytes(5, tensorProto(t)))]))]);
}
