// Cases computed by PyTorch autograd (test/fixtures/torch/torch_conv.py), an
// implementation that shares no code with this one.

import * as fs from 'fs';
import * as path from 'path';
import { tensor } from '../../src/engine/tensor';
import { traceSpecText } from '../../src/specReader/convSpec';
import { assertClose } from './helpers';

interface TorchCase {
  name: string;
  spec: Record<string, unknown>;
  expected: Record<'z' | 'dA' | 'dW' | 'db', { shape: number[]; data: number[] }>;
}

const FIXTURES = path.join(__dirname, '../../../test/fixtures/torch/cases.json');
const { generator, cases } = JSON.parse(fs.readFileSync(FIXTURES, 'utf8')) as { generator: string; cases: TorchCase[] };

describe(`agrees with PyTorch (${generator})`, () => {
  for (const c of cases) {
    it(`conv2d ${c.name}`, () => {
      const trace = traceSpecText(c.name, JSON.stringify(c.spec));
      for (const [name, exp] of Object.entries(c.expected)) {
        const got = trace.tensors[name as keyof typeof trace.tensors]!;
        assertClose(got, tensor(exp.shape, exp.data), 1e-9, name);
      }
    });
  }
});
