// The JSON schema of a network's layer and of its loss, made from the registry
// of layer kinds and the loss's module: each type, what it does, and its keys as
// the kind declares them. The schema in media/ holds these made definitions
// (test/unit/layerKinds.test.ts checks they are current; `npm run schema`
// writes them).

import { LAYER_TYPES, LayerParam, layerParams, layerSummary, minInputs } from '../engine/layerKinds';
import { LOSS_TYPES, lossKind } from '../engine/layerKinds/loss';

type Schema = Record<string, unknown>;

/** Keys any layer may carry for people; the engine ignores them. */
const DOC_KEYS: Schema = {
  type: {},
  name: { type: 'string', description: 'A name for people; the engine ignores it.' },
  description: { type: 'string', description: 'What this spec shows; the engine ignores it.' },
  comment: { type: 'string' },
};

const INPUTS_DOC = 'What this layer takes, by name: "input" (the network\'s input) or an earlier layer, "layers[2]". Without it, the output of the layer before.';

/** A layer's "inputs": names of the input or of layers (the spec reader checks they come earlier); a merge's at least its minimum. */
function inputsSchema(min: number | undefined): Schema {
  const names = { type: 'array', items: { type: 'string', pattern: '^(input|layers\\[\\d+\\])$' } };
  return { description: INPUTS_DOC, ...names, ...(min !== undefined ? { minItems: min } : { minItems: 1, maxItems: 1 }) };
}

function paramSchema(p: LayerParam): Schema {
  const doc = p.doc !== undefined ? { description: p.doc } : {};
  switch (p.read) {
    case 'tensor': {
      const ranks = 'anyRank' in p ? [1, 2, 3, 4] : [p.rank];
      const forms: Schema[] = [...ranks.map(r => ({ $ref: `#/definitions/tensor${r}` })), { $ref: '#/definitions/file' }];
      return { ...doc, anyOf: p.required ? forms : [...forms, { type: 'null' }] };
    }
    case 'intOrPair': return { ...doc, $ref: p.zero ? '#/definitions/pair0' : '#/definitions/pair' };
    case 'boolean': return { ...doc, type: 'boolean' };
    case 'number': return { ...doc, type: 'number' };
    case 'classes': return { ...doc, type: 'array', items: { type: 'integer', minimum: 0 } };
    case 'asWritten': return { ...doc, ...p.schema };
  }
}

/** What a branch has besides its kind's keys: the keys a layer of the network may name its inputs with. */
interface Extra { required: string[]; properties: Schema }

/** A layer's "inputs": a merge names what it joins; another layer may name its one input. */
function layerInputs(type: (typeof LAYER_TYPES)[number]): Extra {
  const min = minInputs(type);
  return { required: min !== undefined ? ['inputs'] : [], properties: { inputs: inputsSchema(min) } };
}

/** One branch per type: its keys, each as its kind reads it, and no others. */
function typeBranches<T extends string>(types: readonly T[], paramsOf: (type: T) => Readonly<Record<string, LayerParam>>, extra: (type: T) => Extra = () => ({ required: [], properties: {} })): Schema[] {
  return types.map(type => {
    const params = paramsOf(type);
    const more = extra(type);
    return {
      if: { properties: { type: { const: type } } },
      then: {
        required: [...more.required, ...Object.keys(params).filter(k => 'required' in params[k] && params[k].required)],
        additionalProperties: false,
        properties: { ...DOC_KEYS, ...more.properties, ...Object.fromEntries(Object.entries(params).map(([k, p]) => [k, paramSchema(p)])) },
      },
    };
  });
}

/** `definitions.layer` of the spec schema. */
export function layerSchema(): Schema {
  return {
    type: 'object',
    required: ['type'],
    properties: {
      type: {
        enum: [...LAYER_TYPES],
        markdownEnumDescriptions: LAYER_TYPES.map(t => `${t}: ${layerSummary(t)}`),
        description: 'The kind of layer.',
      },
    },
    allOf: typeBranches(LAYER_TYPES, layerParams, layerInputs),
  };
}

/** `definitions.network.properties.loss` of the spec schema. */
export function lossSchema(): Schema {
  return {
    description: 'Makes the first δ from the output: {"type": "mse", "target": [... the output\'s shape]} or {"type": "cross_entropy", "target": [class index per batch item]} (softmax, then −log p). Without a loss (and without grad), δ is all ones.',
    type: 'object',
    required: ['type'],
    properties: { type: { enum: [...LOSS_TYPES] } },
    allOf: typeBranches(LOSS_TYPES, type => lossKind.params(type)),
  };
}
