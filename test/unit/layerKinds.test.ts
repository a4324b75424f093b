// The registry of layer kinds is what the spec reader and the schema agree on:
// the types a spec may name and the keys each takes.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { LAYER_TYPES, layerKeys } from '../../src/engine/layerKinds';

const SCHEMA = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../media/conv-spec.schema.json'), 'utf8'));
const LAYER = SCHEMA.definitions.layer as {
  properties: { type: { enum: string[] } };
  allOf: { if: { properties: { type: { const: string } } }; then: { properties: Record<string, unknown> } }[];
};
const DOC_KEYS = ['type', 'name', 'description', 'comment'];

describe('layer kinds: the registry, the spec reader and the schema agree', () => {
  it('the schema lists exactly the registry\'s layer types', () => {
    assert.deepStrictEqual([...LAYER.properties.type.enum].sort(), [...LAYER_TYPES].sort());
  });

  for (const type of LAYER_TYPES) {
    it(`${type}: the schema's keys are the kind's (${layerKeys(type).join(', ') || 'none'})`, () => {
      const branch = LAYER.allOf.find(b => b.if.properties.type.const === type);
      assert.ok(branch, `the schema has a branch for ${type}`);
      assert.deepStrictEqual(Object.keys(branch.then.properties).filter(k => !DOC_KEYS.includes(k)).sort(), [...layerKeys(type)].sort());
    });
  }
});
