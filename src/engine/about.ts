// What a recorded tensor is, as data: a key and typed arguments, rendered by a
// table per language (src/engine/aboutText.en.ts, src/l10n/aboutText.zh-cn.ts),
// the way problems are. Every face renders it in its own language.

import type { ActivationKind } from './layers';
import type { TensorName } from './trace';

/** Nothing to fill in. */
type NoArgs = Record<string, never>;

/** Every description a trace records, by key, with the arguments its text needs. */
export interface AboutArgs {
  // The conv's tensors (trace.ts).
  'conv.input': NoArgs;
  'conv.weight': NoArgs;
  'conv.bias': NoArgs;
  'conv.a': NoArgs;
  'conv.a_t': NoArgs;
  'conv.w_t': NoArgs;
  'conv.z_t': NoArgs;
  'conv.z': NoArgs;
  'conv.delta': NoArgs;
  'conv.delta_t': NoArgs;
  'conv.dA_t': NoArgs;
  'conv.dA_padded': NoArgs;
  'conv.col2im_counts': NoArgs;
  'conv.dA': NoArgs;
  'conv.dW_t': NoArgs;
  'conv.dW': NoArgs;
  'conv.db': NoArgs;
  'conv.delta_full': NoArgs;
  'conv.w_rot180': NoArgs;
  'conv.dA_rot180': NoArgs;
  // Someone's own tensor against the engine's (compare.ts): `name` is the engine's tensor.
  'compare.yours': { name: TensorName; reshapedFrom?: number[] };
  'compare.difference': { name: TensorName };
  // The other layers of a network (network.ts).
  'layer.input': NoArgs;
  'activation.z': NoArgs;
  'activation.h': { activation: ActivationKind };
  'activation.h_prime.relu': NoArgs;
  'activation.h_prime.leaky_relu': { slope: number };
  'activation.h_prime.sigmoid': NoArgs;
  'activation.h_prime.tanh': NoArgs;
  'activation.delta': NoArgs;
  'activation.dZ': NoArgs;
  'pool.a.max': NoArgs;
  'pool.a.avg': NoArgs;
  'pool.pool_t': NoArgs;
  'pool.z.max': NoArgs;
  'pool.z.avg': NoArgs;
  'pool.argmax': NoArgs;
  'pool.delta': NoArgs;
  'pool.dpool_t.max': NoArgs;
  'pool.dpool_t.avg': NoArgs;
  'pool.dA': NoArgs;
  'flatten.z': NoArgs;
  'flatten.delta': NoArgs;
  'flatten.dA': NoArgs;
  'linear.weight': NoArgs;
  'linear.bias': NoArgs;
  'linear.w_t': NoArgs;
  'linear.z': { bias: boolean };
  'linear.delta': NoArgs;
  'linear.dA': NoArgs;
  'linear.dW': NoArgs;
  'linear.db': NoArgs;
  'loss.z.mse': NoArgs;
  'loss.z.cross_entropy': NoArgs;
  'loss.target.mse': NoArgs;
  'loss.target.cross_entropy': NoArgs;
  'loss.value.mse': NoArgs;
  'loss.value.cross_entropy': NoArgs;
  'loss.probs': NoArgs;
  'loss.delta': NoArgs;
}

export type AboutKey = Extract<keyof AboutArgs, string>;

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
