// `npm run schema`: writes the layer and loss definitions the registry makes
// (src/specReader/layerSchema.ts) into the spec schema, leaving the rest as is.

import * as fs from 'fs';
import * as path from 'path';
import { layerSchema, lossSchema } from '../../src/specReader/layerSchema';

const file = path.join(__dirname, '../../../media/conv-spec.schema.json');
const schema = JSON.parse(fs.readFileSync(file, 'utf8')) as { definitions: Record<string, unknown> & { network: { properties: Record<string, unknown> } } };
schema.definitions.layer = layerSchema();
schema.definitions.network.properties.loss = lossSchema();
fs.writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
console.log(`wrote definitions.layer and the network's loss of ${path.relative(process.cwd(), file)}`);
