// The registry of layer kinds: a network's layers are handled by their kind's
// module, looked up here by the spec's type. A new kind is a new module listed here.

import { ActivationLayer, activationKind } from './activation';
import { BatchNormLayer, batchnorm2dKind } from './batchnorm2d';
import { Conv1dLayer, conv1dKind } from './conv1d';
import { Conv2dLayer, conv2dKind } from './conv2d';
import { ConvTransposeLayer, convTranspose2dKind } from './convTranspose2d';
import { FlattenLayer, flattenKind } from './flatten';
import { GlobalPoolLayer, globalPoolKind } from './globalPool';
import { IdentityLayer, identityKind } from './identity';
import type { LayerKind, LayerParam, MergeKind, ParamValues } from './kind';
import { isMergeKind } from './kind';
import { LinearLayer, linearKind } from './linear';
import { MergeLayer, mergeKind } from './merge';
import { MulLayer, mulKind } from './mul';
import { Pad2dLayer, pad2dKind } from './pad2d';
import { PoolLayer, poolKind } from './pool';
import { SoftmaxLayer, softmaxKind } from './softmax';
import { Upsample2dLayer, upsample2dKind } from './upsample2d';

/** A layer of a network as the engine takes it (the spec reader builds these from JSON). */
export type LayerSpec = Conv2dLayer | ConvTransposeLayer | ActivationLayer | PoolLayer | FlattenLayer | LinearLayer | BatchNormLayer | MergeLayer
  | SoftmaxLayer | IdentityLayer | GlobalPoolLayer | Conv1dLayer | MulLayer
  | Upsample2dLayer | Pad2dLayer;

/** A kind of one input, or one that takes several (add, concat). */
export type AnyKind<S extends { type: string }> = LayerKind<S> | MergeKind<S>;

/** Each spec type's kind (the activations share one module, as the two poolings, identity and dropout, and the global poolings do). */
const KINDS: Record<LayerSpec['type'], AnyKind<LayerSpec>> = {
  conv2d: conv2dKind,
  relu: activationKind, leaky_relu: activationKind, sigmoid: activationKind, tanh: activationKind,
  maxpool2d: poolKind, avgpool2d: poolKind,
  flatten: flattenKind, reshape: flattenKind,
  linear: linearKind,
  batchnorm2d: batchnorm2dKind,
  conv_transpose2d: convTranspose2dKind,
  add: mergeKind, concat: mergeKind,
  relu6: activationKind, clip: activationKind, hardswish: activationKind, hardsigmoid: activationKind,
  softmax: softmaxKind,
  dropout: identityKind, identity: identityKind,
  global_avg_pool2d: globalPoolKind, adaptive_avg_pool2d: globalPoolKind,
  conv1d: conv1dKind,
  mul: mulKind,
  upsample2d: upsample2dKind, pad2d: pad2dKind,
};

export function kindOf<S extends LayerSpec>(spec: S): AnyKind<S> {
  return KINDS[spec.type] as AnyKind<S>;
}

/** The fewest inputs a layer of `type` takes: undefined for a kind of one input. */
export function minInputs(type: string): number | undefined {
  const kind = isLayerType(type) ? KINDS[type] : undefined;
  return kind && isMergeKind(kind) ? kind.minInputs : undefined;
}

/** Every layer type a spec may name, in the registry's order. */
export const LAYER_TYPES = Object.keys(KINDS) as LayerSpec['type'][];

export function isLayerType(type: unknown): type is LayerSpec['type'] {
  return typeof type === 'string' && Object.hasOwn(KINDS, type);
}

const kindOfType = (type: LayerSpec['type']) => KINDS[type];

/** The keys a layer of `type` takes besides "type", and how the spec reader reads each. */
export function layerParams(type: LayerSpec['type']): Readonly<Record<string, LayerParam>> {
  return kindOfType(type).params(type);
}

export function layerKeys(type: LayerSpec['type']): string[] {
  return Object.keys(layerParams(type));
}

/** What a layer of `type` does, in a line. */
export function layerSummary(type: LayerSpec['type']): string {
  return kindOfType(type).summary(type);
}

/** The input a network whose first layer is of `type` reads: its rank and axes. */
export function networkInputOf(type: LayerSpec['type'] | undefined): { rank: number; axes: string } {
  return (type && kindOfType(type).networkInput) || { rank: 4, axes: '(B, C, H, W)' };
}

/** A layer of `type` from the values read for its keys. */
export function buildLayer(type: LayerSpec['type'], values: ParamValues): LayerSpec {
  return kindOfType(type).build(type, values);
}

export type {
  ActivationLayer, BatchNormLayer, Conv1dLayer, Conv2dLayer, ConvTransposeLayer, FlattenLayer, GlobalPoolLayer, IdentityLayer, LayerParam, LinearLayer, MergeLayer, MulLayer, ParamValues, PoolLayer,
  SoftmaxLayer,
  Pad2dLayer, Upsample2dLayer,
};
