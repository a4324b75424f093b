// How a problem names a value that came from outside (a spec's JSON, a webview
// message, a DAP request): its kind, and a short value where it has one. The
// description is data, so each language's problem table words it.
// Dependency-free, so every bundle (the webview too) can use it.

export interface ValueDescription {
  kind: 'null' | 'array' | 'empty array' | 'object' | 'string' | 'number' | 'boolean' | 'bigint' | 'symbol' | 'function' | 'undefined';
  /** The value itself, short: a string JSON-quoted (cut at 24 characters), a number as written. */
  value?: string;
}

export function describeValue(value: unknown): ValueDescription {
  if (value === null) return { kind: 'null' };
  if (Array.isArray(value)) return { kind: value.length === 0 ? 'empty array' : 'array' };
  if (typeof value === 'string') return { kind: 'string', value: JSON.stringify(value.length > 24 ? value.slice(0, 24) + '…' : value) };
  if (typeof value === 'object') return { kind: 'object' };
  return { kind: typeof value, value: String(value) };
}

/** A description in English: `the number -1`, `the string "abc"`, `an array`, `null`. */
export function describedInEnglish(d: ValueDescription): string {
  switch (d.kind) {
    case 'null': return 'null';
    case 'array': return 'an array';
    case 'empty array': return 'an empty array';
    case 'object': return 'an object';
    case 'undefined': return 'nothing';
    default: return `the ${d.kind} ${d.value}`;
  }
}

export function describeJson(value: unknown): string {
  return describedInEnglish(describeValue(value));
}
