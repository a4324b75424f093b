// The stages the panel shows (convVisualDebugger.panel.stages): hiding one is a
// matter of display, so a change applies at once, without tracing again.

import { type LayerGeometry, stageViewOf } from '../src/engine/layerKinds/views';
import type { TraceStage } from '../src/engine/trace';
import type { StageSet, WireLayer, WireNetwork, WireTrace } from '../src/protocol/messages';

/** Whether a set shows a stage, as its kind's view declares it: "withoutRot180" hides the cross-checks. */
function isShown(stage: TraceStage, geometry: LayerGeometry, set: StageSet): boolean {
  const view = stageViewOf(geometry, stage.id);
  if (view?.alwaysShown) return true;
  if (set === 'forward') return stage.pass === 'forward';
  if (set === 'withoutRot180') return !view?.crossCheck;
  return true;
}

/** The trace with only the stages shown (a comparison is always shown: it is what was asked for). */
export function traceWithStages(trace: WireTrace, set: StageSet): WireTrace {
  const stages = trace.stages.filter(s => isShown(s, trace.geometry, set));
  return stages.length === trace.stages.length ? trace : { ...trace, stages };
}

export function networkWithStages(network: WireNetwork, set: StageSet): WireNetwork {
  const withStages = (l: WireLayer): WireLayer => ({ ...l, trace: traceWithStages(l.trace, set) });
  return { ...network, layers: network.layers.map(withStages), ...(network.opened ? { opened: { ...network.opened, layer: withStages(network.opened.layer) } } : {}) };
}
