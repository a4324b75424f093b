// F5's load begun early: the launch that asks for the same spec and options takes it, once; any other launch, one
// after a save, or one after it expired loads again; a failure reaches the launch that takes it and nothing else.

import * as assert from 'assert';
import { EarlyLoad } from '../../src/extension/debug/earlyLoad';

const unhandled: unknown[] = [];
const listen = (e: unknown) => unhandled.push(e);

describe('EarlyLoad (F5 loads before the launch asks)', () => {
  before(() => process.on('unhandledRejection', listen));
  after(() => process.off('unhandledRejection', listen));

  it('hands the load begun to the launch with its key, once', async () => {
    const early = new EarlyLoad<string>();
    let loads = 0;
    early.begin('a', async () => `trace ${++loads}`);
    assert.strictEqual(early.take('b'), undefined, 'another spec or options');
    const taken = early.take('a');
    assert.ok(taken && taken.begun <= Date.now());
    assert.strictEqual(await taken.load, 'trace 1');
    assert.strictEqual(early.take('a'), undefined, 'taken once: a second launch loads its own');
    assert.strictEqual(loads, 1);
  });

  it('lets the load go when told (a file saved), when another begins, and when no launch comes in time', async () => {
    const early = new EarlyLoad<number>(30);
    early.begin('a', async () => 1);
    early.forget();
    assert.strictEqual(early.take('a'), undefined);
    early.begin('a', async () => 1);
    early.begin('b', async () => 2);
    assert.strictEqual(early.take('a'), undefined, 'the newer configuration replaced it');
    assert.strictEqual(await early.take('b')?.load, 2);
    early.begin('c', async () => 3);
    await new Promise(r => setTimeout(r, 60));
    assert.strictEqual(early.take('c'), undefined, 'expired');
  });

  it('passes a failure to the launch that takes it; one nobody takes is not an unhandled rejection', async () => {
    const early = new EarlyLoad<number>();
    early.begin('bad', () => Promise.reject(new Error('spec.json: $.stride: must be a positive integer')));
    await assert.rejects(early.take('bad')!.load, /\$\.stride/);
    early.begin('bad', () => Promise.reject(new Error('never taken')));
    early.forget();
    await new Promise(r => setTimeout(r, 20));
    assert.deepStrictEqual(unhandled, []);
  });
});
