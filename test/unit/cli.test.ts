// conv-trace as a user runs it: the built dist/cli.js in a child process.

import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const SEED = path.join(ROOT, 'examples/seed.conv.json');

function cli(args: string[], input?: string) {
  // A hang fails the test (status null) instead of holding up the run.
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input, cwd: ROOT, timeout: 15_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'conv-trace-test-'));
}

function writeSpec(dir: string, name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

describe('conv-trace CLI', () => {
  it('prints every intermediate of the seed under the documented names', () => {
    const r = cli([SEED]);
    assert.strictEqual(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    for (const name of ['a', 'a_t', 'w_t', 'z_t', 'z', 'delta', 'delta_t', 'dA_t', 'dA', 'dW_t', 'dW', 'db']) {
      assert.ok(out[name], `missing ${name}`);
      assert.strictEqual(out[name].data.length, out[name].shape.reduce((a: number, b: number) => a * b, 1), name);
    }
    assert.deepStrictEqual(out.z.shape, [1, 2, 3, 3]);
    assert.deepStrictEqual(out.z.data.slice(0, 3), [296, 250, 288]);
    assert.deepStrictEqual(out.a_t.shape, [1, 9, 12]);
    assert.deepStrictEqual(out.db.data, [9, 9]);
  });

  it('--only keeps just the named tensors', () => {
    const r = cli([SEED, '--only', 'z,dW']);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.deepStrictEqual(Object.keys(JSON.parse(r.stdout)), ['z', 'dW']);
  });

  it('--only with an unknown name exits 2 and lists the names', () => {
    const r = cli([SEED, '--only', 'z,zz']);
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /unknown tensor 'zz' in --only; names: input, weight/);
  });

  it('--format npy --out DIR writes one .npy per tensor', () => {
    const dir = tmp();
    const r = cli([SEED, '--only', 'z,db', '--format', 'npy', '--out', dir]);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['db.npy', 'z.npy']);
    const z = fs.readFileSync(path.join(dir, 'z.npy'));
    assert.strictEqual(z.subarray(0, 6).toString('latin1'), '\x93NUMPY');
    const headerLength = z.readUInt16LE(8);
    assert.match(z.subarray(10, 10 + headerLength).toString('latin1'), /'descr': '<f8', 'fortran_order': False, 'shape': \(1, 2, 3, 3\)/);
    assert.strictEqual(z.readDoubleLE(10 + headerLength), 296);
  });

  it('--format npy without --out is a usage error', () => {
    const r = cli([SEED, '--format', 'npy']);
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /--format npy writes files: give a directory with --out DIR/);
  });

  it('--format text prints the matrices and the stages', () => {
    const r = cli([SEED, '--format', 'text', '--only', 'z']);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /z\[0, 0\] =\n\s+296 250 288\n\s+277 280 294/);
    assert.match(r.stdout, /Hout = floor\(\(4 \+ 0 \+ 0 - 1·\(2-1\) - 1\) \/ 1\) \+ 1 = 3/);
    assert.match(r.stdout, /col2im and rot180 agree/);
  });

  it('reads the spec from standard input with -', () => {
    const r = cli(['-', '--only', 'z'], fs.readFileSync(SEED, 'utf8'));
    assert.strictEqual(r.status, 0, r.stderr);
    assert.deepStrictEqual(JSON.parse(r.stdout).z.data.slice(0, 2), [296, 250]);
  });

  it('--forward-only skips the backward pass', () => {
    const r = cli([SEED, '--forward-only']);
    assert.strictEqual(r.status, 0, r.stderr);
    const names = Object.keys(JSON.parse(r.stdout));
    assert.ok(names.includes('z') && !names.includes('dA'));
  });

  const bad: [string, string, RegExp][] = [
    ['malformed JSON', '{"input": [1, 2}', /^bad\.json:1:16: malformed JSON: expected a comma or a closing bracket \] at '}'$/],
    ['an empty file', '', /^bad\.json: the file is empty$/],
    ['a ragged array', JSON.stringify({ input: [[[[1, 2], [3]]]], weight: [[[[1]]]] }), /^bad\.json:1:\d+: \$\.input\[0\]\[0\]\[1\]: ragged array: 1 elements where \$\.input\[0\]\[0\]\[0\] has 2$/],
    ['a non-number', JSON.stringify({ input: [[[[1, true]]]], weight: [[[[1]]]] }), /\$\.input\[0\]\[0\]\[0\]\[1\]: expected a number, found the boolean true/],
    ['a wrong rank', JSON.stringify({ input: [[1, 2]], weight: [[[[1]]]] }), /\$\.input: expected a 4-D array \(B, Cin, H, W\), found a 2-D array of shape \(1, 2\)/],
    ['a channel mismatch', JSON.stringify({ input: [[[[1]], [[1]]]], weight: [[[[1]]]] }), /\$\.weight: conv2d: input has 2 channels but weight expects 1/],
    ['a missing key', JSON.stringify({ weight: [[[[1]]]] }), /\$: missing key "input"/],
  ];
  for (const [what, text, pattern] of bad) {
    it(`exits 2 with the file, JSON path and problem for ${what}`, () => {
      const r = cli([writeSpec(tmp(), 'bad.json', text)]);
      assert.strictEqual(r.status, 2);
      const line = r.stderr.trim().split('\n');
      assert.strictEqual(line.length, 1, `one line, no stack trace: ${r.stderr}`);
      assert.match(path.basename(line[0]), pattern);
      assert.strictEqual(r.stdout, '');
    });
  }

  it('exits 2 for a missing file', () => {
    const r = cli(['no/such/spec.json']);
    assert.strictEqual(r.status, 2);
    assert.strictEqual(r.stderr.trim(), 'no/such/spec.json: cannot read the spec: no such file');
  });

  it('warns about non-finite values and still prints the trace', () => {
    const p = writeSpec(tmp(), 'nan.json', JSON.stringify({ input: [[[['NaN', 1], [1, 1]]]], weight: [[[[1]]]] }));
    const r = cli([p, '--only', 'z']);
    assert.strictEqual(r.status, 0);
    assert.match(r.stderr, /warning: input has 1 non-finite value \(first: \$\.input\[0\]\[0\]\[0\]\[0\] = NaN\)/);
    assert.deepStrictEqual(JSON.parse(r.stdout).z.data, ['NaN', 1, 1, 1]);
  });

  it('--help and --version exit 0', () => {
    assert.match(cli(['--help']).stdout, /usage: conv-trace SPEC\.json/);
    assert.match(cli(['--version']).stdout.trim(), /^\d+\.\d+\.\d+$/);
  });

  it('an unknown option is a usage error', () => {
    const r = cli([SEED, '--frobnicate']);
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /unknown option '--frobnicate'/);
  });

  describe('hostile input: the .npy files a spec names', () => {
    const WEIGHT = [[[[1]], [[1]], [[1]]]];
    const npyHeader = (dict: string, data: Uint8Array) => {
      const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
      const header = dict.padEnd(total - 11, ' ') + '\n';
      return Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]), Buffer.from(header, 'latin1'), data]);
    };
    /** Runs a spec whose input is {"npy": npy} in a fresh folder that `setUp` fills; expects exit 2 and one line at $.input.npy. */
    function refused(npy: string, setUp: (dir: string) => void, problem: RegExp, extra: string[] = []) {
      const dir = tmp();
      setUp(dir);
      const spec = writeSpec(dir, 'spec.json', `{\n  "input": {"npy": ${JSON.stringify(npy)}},\n  "weight": ${JSON.stringify(WEIGHT)}\n}`);
      const started = Date.now();
      const r = cli([spec, ...extra]);
      assert.strictEqual(r.status, 2, `status ${r.status} after ${Date.now() - started} ms: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.strictEqual(lines.length, 1, r.stderr);
      assert.strictEqual(lines[0].slice(0, spec.length), spec);
      assert.match(lines[0].slice(spec.length), /^:2:20: \$\.input\.npy: /);
      assert.match(lines[0].slice(lines[0].indexOf('$.input.npy: ') + 13), problem);
    }
    const posix = process.platform === 'win32' ? it.skip : it;

    posix('/dev/zero is refused, not read until memory runs out', () => {
      refused('/dev/zero', () => undefined, /^\/dev\/zero: not a regular file \(a device\)$/);
    });
    posix('a link to /dev/urandom is refused', () => {
      refused('x.npy', dir => fs.symlinkSync('/dev/urandom', path.join(dir, 'x.npy')), /^x\.npy: not a regular file \(a device\)$/);
    });
    posix('a FIFO is refused at once, not waited on', () => {
      refused('x.npy', dir => { assert.strictEqual(spawnSync('mkfifo', [path.join(dir, 'x.npy')]).status, 0); }, /^x\.npy: not a regular file \(a FIFO\)$/);
    });
    it('a directory is refused', () => {
      refused('x.npy', dir => fs.mkdirSync(path.join(dir, 'x.npy')), /^x\.npy: not a regular file \(a directory\)$/);
    });
    it('a header declaring (100000, 100000) over 10 floats is refused as cut short', () => {
      const file = npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }", Buffer.alloc(80));
      refused('x.npy', dir => fs.writeFileSync(path.join(dir, 'x.npy'), file), /^x\.npy: the \.npy data is cut short: shape \(100000, 100000\) needs 80000000000 bytes, the file has 80$/);
    });
    it('a header within the file but over --max-elements is refused', () => {
      const file = npyHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 3, 40, 40), }", Buffer.alloc(4800));
      refused('x.npy', dir => fs.writeFileSync(path.join(dir, 'x.npy'), file), /^x\.npy: the array has 4800 elements, more than the element limit of 1000$/, ['--max-elements', '1000']);
    });
    it('a file larger than --max-elements allows is refused, not called missing', () => {
      refused('x.npy', dir => fs.writeFileSync(path.join(dir, 'x.npy'), Buffer.alloc(200_000)), /^x\.npy: the file is 200000 bytes, more than the element limit of 1000 allows$/, ['--max-elements', '1000']);
    });
  });

  describe('hostile input: the JSON text', () => {
    for (const closed of [true, false]) {
      it(`JSON nested 10,000 deep (${closed ? 'valid' : 'unclosed'}) exits 2 with one line at the bracket`, () => {
        const text = '{"input": ' + '['.repeat(10_000) + (closed ? ']'.repeat(10_000) + '}' : '');
        const r = cli([writeSpec(tmp(), 'deep.json', text)]);
        assert.strictEqual(r.status, 2, r.stderr);
        assert.match(r.stderr, /^\S*deep\.json:1:74: nested more than 64 levels deep, too deep for a spec\n$/);
      });
    }

    it('a UTF-8 byte order mark is accepted, as the debugger and the editor accept it', () => {
      const r = cli([writeSpec(tmp(), 'bom.json', '\ufeff' + fs.readFileSync(SEED, 'utf8')), '--only', 'z']);
      assert.strictEqual(r.status, 0, r.stderr);
      assert.deepStrictEqual(JSON.parse(r.stdout).z.data.slice(0, 3), JSON.parse(cli([SEED, '--only', 'z']).stdout).z.data.slice(0, 3));
    });
  });
});

describe('conv-trace CLI: output to terminals (hostile input)', () => {
  const ESC = '\u001b';
  const TITLE = `${ESC}]0;pwned\u0007`;
  const FAKE_LINE = 'x\nconv-trace: ok';

  /** One line per message, ending in the only newline, with no control character (no ESC), no bidi override. */
  function assertSafeLines(stderr: string, lines: number): string[] {
    assert.ok(stderr.endsWith('\n'), JSON.stringify(stderr));
    const body = stderr.slice(0, -1).split('\n');
    assert.strictEqual(body.length, lines, `one line per message: ${JSON.stringify(stderr)}`);
    for (const line of body) {
      assert.ok(!/[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u.test(line), `unescaped control or bidi character: ${JSON.stringify(line)}`);
      assert.ok(!Buffer.from(line, 'utf8').some(b => b < 0x20 || b === 0x7f), JSON.stringify(line));
    }
    return body;
  }

  const specWith = (extra: Record<string, unknown>) => JSON.stringify({ input: [[[[1, 2], [3, 4]]]], weight: [[[[1]]]], ...extra });

  it(`a key named ${JSON.stringify(TITLE)} (an OSC title sequence) is one escaped line`, () => {
    const r = cli([writeSpec(tmp(), 'k.json', specWith({ [TITLE]: 1 }))]);
    assert.strictEqual(r.status, 2);
    const [line] = assertSafeLines(r.stderr, 1);
    assert.match(line, /unknown key "\\x1b\]0;pwned\\x07"/);
  });

  it(`a key named ${JSON.stringify(FAKE_LINE)} cannot print a fake line`, () => {
    const r = cli([writeSpec(tmp(), 'k.json', specWith({ [FAKE_LINE]: 1 }))]);
    assert.strictEqual(r.status, 2);
    const [line] = assertSafeLines(r.stderr, 1);
    assert.match(line, /unknown key "x\\nconv-trace: ok"/);
  });

  it('a .npy file name with control characters, missing or unreadable, is one escaped line', () => {
    const dir = tmp();
    const name = `a${ESC}[2J\nconv-trace: ok\u202e.npy`;
    const missing = cli([writeSpec(dir, 'n.json', JSON.stringify({ input: { npy: name }, weight: [[[[1]]]] }))]);
    assert.strictEqual(missing.status, 2);
    assert.match(assertSafeLines(missing.stderr, 1)[0], /missing file "a\\x1b\[2J\\nconv-trace: ok\\u202e\.npy"/);
    fs.writeFileSync(path.join(dir, name), 'not a numpy file');
    const unreadable = cli([path.join(dir, 'n.json')]);
    assert.strictEqual(unreadable.status, 2);
    assert.match(assertSafeLines(unreadable.stderr, 1)[0], /a\\x1b\[2J\\nconv-trace: ok\\u202e\.npy/);
  });

  it('a spec file name with control characters is one escaped line', () => {
    const r = cli([path.join(tmp(), `s${ESC}[2J\n.json`)]);
    assert.strictEqual(r.status, 2);
    assert.match(assertSafeLines(r.stderr, 1)[0], /s\\x1b\[2J\\n\.json: cannot read the spec: no such file$/);
  });

  it('a usage error quoting an argument is one escaped line', () => {
    const r = cli([SEED, `--only=z${ESC}[2J\u009b31m`]);
    assert.strictEqual(r.status, 2);
    assert.match(assertSafeLines(r.stderr, 1)[0], /^conv-trace: unknown tensor 'z\\x1b\[2J\\x9b31m' in --only; .*; usage: conv-trace SPEC\.json/);
  });
});
