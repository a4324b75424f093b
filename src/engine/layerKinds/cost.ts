// What a layer costs to run forward and what it learns, from its shapes alone:
// every kind's plan states it, with the rule it counted by. Products (conv,
// linear) count as torch.utils.flop_counter does: 2 per multiply-add, the bias
// not counted. The counter counts nothing else, so each other kind has a
// simple rule of its own, written in its module, its `rule` words and README.

import { type Words, words } from './view';

/** A count of FLOPs and of learned values (a network's total has no rule). */
export interface CostCount {
  /** Floating-point operations of the forward pass. */
  flops: number;
  /** Learned values: weights, biases, batchnorm's γ and β; running statistics are buffers, not parameters, as `module.parameters()`. */
  params: number;
}

/** A layer's forward cost and learned values, and how its FLOPs were counted (a key of the language tables). */
export interface LayerCost extends CostCount {
  rule: Words;
}

/** A product's cost (conv, linear): 2 FLOPs per multiply-add, the bias not counted, as torch.utils.flop_counter counts. */
export function productCost(multiplyAdds: number, params: number): LayerCost {
  return { flops: 2 * multiplyAdds, params, rule: words('costProducts') };
}

/** `perElement` FLOPs for each of `elements` values, nothing learned, by the rule `rule`. */
export function elementCost(elements: number, perElement: number, rule: Words): LayerCost {
  return { flops: elements * perElement, params: 0, rule };
}

/** A layer that computes nothing: values passed on or copied. */
export const NO_COST: LayerCost = { flops: 0, params: 0, rule: words('costNone') };

/** The layers' FLOPs and parameters together. */
export function totalCost(costs: readonly CostCount[]): CostCount {
  return costs.reduce((t, c) => ({ flops: t.flops + c.flops, params: t.params + c.params }), { flops: 0, params: 0 });
}
