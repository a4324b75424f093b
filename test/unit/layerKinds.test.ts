// The registry of layer kinds makes the schema's layer definition: the types a
// spec may name, what each does, and the keys each takes as the spec reader reads them.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { LAYER_TYPES, layerKeys } from '../../src/engine/layerKinds';
import { LOSS_TYPES, lossKind } from '../../src/engine/layerKinds/loss';
import { layerSchema, lossSchema } from '../../src/specReader/layerSchema';

const SCHEMA = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../media/conv-spec.schema.json'), 'utf8'));

describe('layer kinds: the registry makes the schema\'s layers', () => {
  it('media/conv-spec.schema.json holds the layer definition the registry makes (`npm run schema` writes it)', () => {
    assert.deepStrictEqual(SCHEMA.definitions.layer, layerSchema());
  });

  it('media/conv-spec.schema.json holds the loss definition the loss\'s module makes, a branch per loss with its keys', () => {
    assert.deepStrictEqual(SCHEMA.definitions.network.properties.loss, lossSchema());
    const branches = lossSchema().allOf as { if: { properties: { type: { const: string } } }; then: { properties: Record<string, unknown> } }[];
    assert.deepStrictEqual(branches.map(b => b.if.properties.type.const), [...LOSS_TYPES]);
    for (const b of branches) assert.ok(Object.keys(lossKind.params(b.if.properties.type.const as never)).every(k => k in b.then.properties));
  });

  for (const type of LAYER_TYPES) {
    it(`${type}: its schema branch lists the kind's keys (${layerKeys(type).join(', ') || 'none'}) and no others`, () => {
      const branch = (layerSchema().allOf as { if: { properties: { type: { const: string } } }; then: { properties: Record<string, unknown> } }[])
        .find(b => b.if.properties.type.const === type)!;
      // Besides the keys for people, any layer may name its inputs (a merge must).
      const people = ['type', 'name', 'description', 'comment', 'inputs'];
      assert.deepStrictEqual(Object.keys(branch.then.properties).filter(k => !people.includes(k)).sort(), [...layerKeys(type)].sort());
    });
  }
});
