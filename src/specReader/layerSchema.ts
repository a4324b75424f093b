// The JSON schema of a network's layer, made from the registry of layer kinds:
// each type, what it does, and its keys as the kind declares them. The schema
// in media/ holds this made definition (test/unit/layerKinds.test.ts checks it
// is current; `npm run schema` writes it).

import { LAYER_TYPES, LayerParam, layerParams, layerSummary, minInputs } from '../engine/layerKinds';

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
      const forms: Schema[] = [{ $ref: `#/definitions/tensor${p.rank}` }, { $ref: '#/definitions/file' }];
      return { ...doc, anyOf: p.required ? forms : [...forms, { type: 'null' }] };
    }
    case 'intOrPair': return { ...doc, $ref: p.zero ? '#/definitions/pair0' : '#/definitions/pair' };
    case 'boolean': return { ...doc, type: 'boolean' };
    case 'number': return { ...doc, type: 'number' };
    case 'asWritten': return { ...doc, ...p.schema };
  }
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
    allOf: LAYER_TYPES.map(type => {
      const params = layerParams(type);
      const min = minInputs(type);
      return {
        if: { properties: { type: { const: type } } },
        then: {
          // A merge names what it joins; another layer may name its one input.
          required: [...(min !== undefined ? ['inputs'] : []), ...Object.keys(params).filter(k => 'required' in params[k] && params[k].required)],
          additionalProperties: false,
          properties: { ...DOC_KEYS, inputs: inputsSchema(min), ...Object.fromEntries(Object.entries(params).map(([k, p]) => [k, paramSchema(p)])) },
        },
      };
    }),
  };
}
