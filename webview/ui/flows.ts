// How each stage is laid out: its tensors in reading order with the operation
// between them, so a stage reads like its formula. The kind's view declares the
// flow (src/engine/layerKinds); this puts its captions in the panel's language.

import { type LayerGeometry, stageFlow } from '../../src/engine/layerKinds/views';
import type { TensorName, TraceStage } from '../../src/engine/trace';
import { renderText } from '../../src/format/explain';
import { locale } from '../l10n';

export type FlowItem = { tensor: TensorName; caption?: string } | { op: string };

export function flowOf(stage: TraceStage, g: LayerGeometry, has: (name: TensorName) => boolean): FlowItem[] {
  return stageFlow(g, { stage, has }).map(item => ('op' in item
    ? { op: renderText(item.op, locale()) }
    : { tensor: item.tensor, ...(item.caption !== undefined ? { caption: renderText(item.caption, locale()) } : {}) }));
}
