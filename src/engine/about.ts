// What a recorded tensor is, as data: a key and typed arguments, rendered by a
// table per language (src/engine/aboutText.en.ts, src/l10n/aboutText.zh-cn.ts),
// the way problems are. The English table is the list of keys and declares
// their arguments; the compiler holds the other tables to it. Every face
// renders it in its own language.

import type { ABOUT_EN } from './aboutText.en';

/** Nothing to fill in. */
type NoArgs = Record<string, never>;

type English = typeof ABOUT_EN;

/** Every description a trace records: the English table's keys (a kind adds its own there and in the Chinese table). */
export type AboutKey = Extract<keyof English, string>;

/** Each description's arguments, as the English table declares them. */
export type AboutArgs = { [K in AboutKey]: Parameters<English[K]> extends [infer A] ? A : NoArgs };

/** Keys whose text needs no arguments. */
type PlainKey = { [K in AboutKey]: AboutArgs[K] extends NoArgs ? K : never }[AboutKey];
/** Keys whose text has arguments to fill in. */
export type ArgsKey = Exclude<AboutKey, PlainKey>;

/** One tensor's description: a key, and that key's arguments when its text has any. */
export type About = { [K in AboutKey]: K extends PlainKey ? { key: K } : { key: K; args: AboutArgs[K] } }[AboutKey];

/** A text per key, for one language: the compiler checks that every key has one. */
export type AboutTable = { [K in AboutKey]: (args: AboutArgs[K]) => string };

/** Renders a description with one language's table. */
export function renderAbout(table: AboutTable, about: About): string {
  // The one place a key meets its arguments' type: About pairs them, TypeScript cannot follow the pair through an index.
  return (table[about.key] as (args: unknown) => string)('args' in about ? about.args : {});
}
