// Text from the user's files on its way to a terminal, the Problems panel or a hover.

import * as assert from 'assert';
import * as fc from 'fast-check';
import { markdownCode, markdownText, printable } from '../../src/format/safeText';

/** What must never reach a face raw: controls (C0, DEL, C1), line/paragraph separators, bidi controls. */
const UNSAFE = /[\p{Cc}\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const PUNCTUATION = '!-/:-@[-`{-~';
/** Markdown that CommonMark reads as literal text: no punctuation except backslash-escaped. */
const LITERAL_MARKDOWN = new RegExp(`^(?:\\\\[${PUNCTUATION}]|[^${PUNCTUATION}])*$`, 'u');
const unescapeMarkdown = (s: string) => s.replace(new RegExp(`\\\\([${PUNCTUATION}])`, 'g'), '$1');

/** Any text, with the dangerous characters drawn often. */
const hostile = fc.array(fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.constantFrom('\u001b', '\u001b]0;pwned\u0007', '\r', '\n', '\t', '\u007f', '\u0085', '\u009b', '\u202e', '\u2066', '\u2028', '\u200f', '\\', '`', '*', '_', '[', '<', '&'),
  fc.integer({ min: 0, max: 0x10ffff }).map(c => String.fromCodePoint(c)),
)).map(parts => parts.join(''));

const FUZZ = { numRuns: 300, interruptAfterTimeLimit: 2000 };

describe('printable text for terminals and hovers', () => {
  it('printable(): no control, separator or bidi character survives, the result is one line, and printing twice changes nothing', () => {
    fc.assert(fc.property(hostile, s => {
      const out = printable(s);
      assert.ok(!UNSAFE.test(out), JSON.stringify(out));
      assert.strictEqual(printable(out), out);
    }), FUZZ);
  });

  it('printable() is the identity on plain printable text, backslashes and non-ASCII included', () => {
    fc.assert(fc.property(hostile.filter(s => !UNSAFE.test(s)), s => assert.strictEqual(printable(s), s)), FUZZ);
    assert.strictEqual(printable('C:\\specs\\日本 ✓.conv.json'), 'C:\\specs\\日本 ✓.conv.json');
  });

  it('printable() writes ESC, CR, LF, TAB, DEL, C1 and bidi controls as visible escapes', () => {
    assert.strictEqual(printable('\u001b]0;pwned\u0007'), '\\x1b]0;pwned\\x07');
    assert.strictEqual(printable('x\nconv-trace: ok\r\t'), 'x\\nconv-trace: ok\\r\\t');
    assert.strictEqual(printable('\u007f\u0085\u009b\u202eabc\u2069\u2028'), '\\x7f\\x85\\x9b\\u202eabc\\u2069\\u2028');
  });

  it('markdownText(): Markdown reads it as literal text, and unescaped it is the printable text', () => {
    fc.assert(fc.property(hostile, s => {
      const md = markdownText(s);
      assert.match(md, LITERAL_MARKDOWN);
      assert.strictEqual(unescapeMarkdown(md), printable(s));
    }), FUZZ);
    assert.strictEqual(markdownText('*a* _b_ [c](d) `e` <f>'), '\\*a\\* \\_b\\_ \\[c\\]\\(d\\) \\`e\\` \\<f\\>');
  });

  it('markdownCode(): a code span no backtick inside can close, holding the printable text', () => {
    fc.assert(fc.property(hostile, s => {
      const md = markdownCode(s);
      const fence = /^`+/.exec(md)![0];
      const inner = md.slice(fence.length, md.length - fence.length);
      assert.ok(md.endsWith(fence));
      assert.ok(!(inner.match(/`+/g) ?? []).some(run => run.length >= fence.length), md);
      const padded = inner.startsWith(' ') && inner.endsWith(' ') && /^[` ]|[` ]$/.test(printable(s));
      assert.strictEqual(padded ? inner.slice(1, -1) : inner, printable(s));
    }), FUZZ);
    assert.strictEqual(markdownCode('a`b'), '``a`b``');
    assert.strictEqual(markdownCode('`x'), '`` `x ``');
  });
});
