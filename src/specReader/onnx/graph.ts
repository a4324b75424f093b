// An ONNX model's graph (ModelProto.graph = 7): its nodes (NodeProto: inputs 1, outputs 2,
// name 3, op_type 4, attributes 5, domain 7), its inputs and outputs (ValueInfoProto:
// name 1, and the tensor type's shape, TypeProto.tensor_type 1 → shape 2 → dim 1:
// dim_value 1 or dim_param 2) and its initializers (5), each still its TensorProto's
// bytes. Attributes (AttributeProto: name 1, f 2, i 3, s 4, t 5, floats 7, ints 8) are
// read as written; what an op makes of them is ops.ts's.

import { tensorName } from './tensor';
import { Field, broken, fail, fields, int64, int64s, utf8 } from './wire';

export interface OnnxAttribute {
  f?: number;
  i?: number;
  s?: string;
  /** A TensorProto's bytes (a Constant's value). */
  t?: Uint8Array;
  floats: number[];
  ints: number[];
}

export interface OnnxNode {
  /** Its name, or (a name being optional) its first output's: what problems call it. */
  name: string;
  op: string;
  domain: string;
  /** Tensor names; '' for an optional input left out. */
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
}

/** A graph input or output: its name and declared shape (a number, or a symbolic dimension's name; none when not declared). */
export interface OnnxValue {
  name: string;
  shape?: (number | string)[];
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  /** TensorProto bytes by name. */
  initializers: Map<string, Uint8Array>;
}

const strings = (f: Field) => (f.wire === 2 ? utf8(f.bytes) : broken(`field ${f.number} of another wire type`));

function float32(f: Field): number {
  if (f.wire !== 5) broken('a float of another wire type');
  return new DataView(f.bytes.buffer, f.bytes.byteOffset, 4).getFloat32(0, true);
}

/** floats: repeated float, packed (wire 2) or one per field (wire 5). */
function floats(f: Field): number[] {
  if (f.wire === 5) return [float32(f)];
  if (f.wire !== 2 || f.bytes.length % 4) broken('floats of another wire type or length');
  const dv = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.length);
  return Array.from({ length: f.bytes.length / 4 }, (_, k) => dv.getFloat32(k * 4, true));
}

function attribute(b: Uint8Array): [string, OnnxAttribute] {
  let name = '';
  const a: OnnxAttribute = { floats: [], ints: [] };
  for (const f of fields(b)) {
    if (f.number === 1) name = strings(f);
    else if (f.number === 2) a.f = float32(f);
    else if (f.number === 3) a.i = int64(f.varint, `attribute "${name}"`);
    else if (f.number === 4) a.s = strings(f);
    else if (f.number === 5 && f.wire === 2) a.t = f.bytes;
    else if (f.number === 7) a.floats.push(...floats(f));
    else if (f.number === 8) a.ints.push(...int64s(f, `attribute "${name}"`));
  }
  return [name, a];
}

function node(b: Uint8Array): OnnxNode {
  const n: OnnxNode = { name: '', op: '', domain: '', inputs: [], outputs: [], attributes: new Map() };
  for (const f of fields(b)) {
    if (f.number === 1) n.inputs.push(strings(f));
    else if (f.number === 2) n.outputs.push(strings(f));
    else if (f.number === 3) n.name = strings(f);
    else if (f.number === 4) n.op = strings(f);
    else if (f.number === 7) n.domain = strings(f);
    else if (f.number === 5 && f.wire === 2) n.attributes.set(...attribute(f.bytes));
  }
  n.name ||= n.outputs[0] ?? n.op;
  return n;
}

/** The message at field `number` of `b` (the last one, as protobuf merges), if any. */
function message(b: Uint8Array, number: number): Uint8Array | undefined {
  let found: Uint8Array | undefined;
  for (const f of fields(b)) if (f.number === number && f.wire === 2) found = f.bytes;
  return found;
}

function value(b: Uint8Array): OnnxValue {
  let name = '';
  for (const f of fields(b)) if (f.number === 1) name = strings(f);
  const type = message(b, 2);
  const tensor = type && message(type, 1);
  const shape = tensor && message(tensor, 2);
  if (!shape) return { name };
  const dims: (number | string)[] = [];
  for (const d of fields(shape)) {
    if (d.number !== 1 || d.wire !== 2) continue;
    let dim: number | string = '?';
    for (const f of fields(d.bytes)) {
      if (f.number === 1 && f.wire === 0) dim = int64(f.varint, 'a dimension');
      else if (f.number === 2) dim = strings(f);
    }
    dims.push(dim);
  }
  return { name, shape: dims };
}

/** The graph of an ONNX model; a file without one is refused. */
export function readGraph(bytes: Uint8Array): OnnxGraph {
  const graph = message(bytes, 7);
  if (!graph) return fail({ code: 'onnx.noGraph', args: {} });
  const g: OnnxGraph = { nodes: [], inputs: [], outputs: [], initializers: new Map() };
  for (const f of fields(graph)) {
    if (f.wire !== 2) continue;
    if (f.number === 1) g.nodes.push(node(f.bytes));
    else if (f.number === 5) g.initializers.set(tensorName(f.bytes), f.bytes);
    else if (f.number === 11) g.inputs.push(value(f.bytes));
    else if (f.number === 12) g.outputs.push(value(f.bytes));
  }
  return g;
}

/** What a model says of itself (ModelProto: ir_version 1, producer_name 2, producer_version 3, opset_import 8). */
export interface OnnxModelInfo {
  irVersion?: number;
  producer: string;
  producerVersion: string;
  /** The opset of each domain it imports ('' is the default, ai.onnx). */
  opsets: { domain: string; version: number }[];
}

export function readModelInfo(bytes: Uint8Array): OnnxModelInfo {
  const info: OnnxModelInfo = { producer: '', producerVersion: '', opsets: [] };
  for (const f of fields(bytes)) {
    if (f.number === 1 && f.wire === 0) info.irVersion = int64(f.varint, 'ir_version');
    else if (f.number === 2) info.producer = strings(f);
    else if (f.number === 3) info.producerVersion = strings(f);
    else if (f.number === 8 && f.wire === 2) {
      const opset = { domain: '', version: 0 };
      for (const o of fields(f.bytes)) {
        if (o.number === 1) opset.domain = strings(o);
        else if (o.number === 2 && o.wire === 0) opset.version = int64(o.varint, 'an opset version');
      }
      info.opsets.push(opset);
    }
  }
  return info;
}
