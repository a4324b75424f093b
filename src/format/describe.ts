// How a problem message names a value that came from outside (a spec's JSON, a
// webview message, a DAP request): its kind, and a short value where it has one.
// Dependency-free, so every bundle (the webview too) can use it.

/** `the number -1`, `the string "abc"`, `an array`, `null`; src/l10n/problems.ts translates these. */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 24 ? value.slice(0, 24) + '…' : value)}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'boolean') return `the boolean ${value}`;
  return `the ${typeof value} ${String(value)}`;
}
