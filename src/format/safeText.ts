// Text taken from the user's files (key names, file names, strings) on its way to
// a face: a terminal, the Problems panel, a notification, a hover. Control
// characters there can rewrite a terminal (ESC sequences set its title or clear
// it), split one message into a fake second one (CR, LF), or reorder what is read
// (bidi overrides); Markdown in a hover can turn a key name into a link.

/**
 * C0 and C1 controls with DEL (\p{Cc}), line and paragraph separators, and the
 * bidi controls: the embeddings and overrides, the isolates and the marks.
 */
const UNSAFE = /[\p{Cc}\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/**
 * `s` with every control, separator and bidi character written as a visible
 * escape (\x1b, \n, \u202e): one line that shows what the file holds. Plain
 * printable text, backslashes included, passes through unchanged, so it is safe
 * to apply twice.
 */
export function printable(s: string): string {
  return s.replace(UNSAFE, escapeChar);
}

/** Every ASCII punctuation character: CommonMark lets each be backslash-escaped and shows it as itself. */
const MARKDOWN_PUNCTUATION = /[!-/:-@[-`{-~]/g;

/** `s` as literal text inside Markdown: printable, with every character Markdown could act on escaped. */
export function markdownText(s: string): string {
  return printable(s).replace(MARKDOWN_PUNCTUATION, '\\$&');
}

/** `s` as a Markdown code span: fenced by more backticks than any run inside it (escapes do not work in code spans). */
export function markdownCode(s: string): string {
  const text = printable(s);
  const longestRun = (text.match(/`+/g) ?? []).reduce((n, run) => Math.max(n, run.length), 0);
  const fence = '`'.repeat(longestRun + 1);
  // A code span drops one space at each end when both are there: pad so a backtick or space at an end stays.
  const pad = /^[` ]|[` ]$/.test(text) ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}
