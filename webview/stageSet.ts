// The stages the panel shows (convVisualDebugger.panel.stages): hiding one is a
// matter of display, so a change applies at once, without tracing again.

import type { TraceStage } from '../src/engine/trace';
import type { StageSet, WireNetwork, WireTrace } from '../src/protocol/messages';

export function isShown(stage: TraceStage, set: StageSet): boolean {
  if (set === 'forward') return stage.pass === 'forward';
  if (set === 'withoutRot180') return stage.id !== 'rot180';
  return true;
}

/** The trace with only the stages shown (a comparison is always shown: it is what was asked for). */
export function traceWithStages(trace: WireTrace, set: StageSet): WireTrace {
  const stages = trace.stages.filter(s => s.id === 'compare' || isShown(s, set));
  return stages.length === trace.stages.length ? trace : { ...trace, stages };
}

export function networkWithStages(network: WireNetwork, set: StageSet): WireNetwork {
  return { ...network, layers: network.layers.map(l => ({ ...l, trace: traceWithStages(l.trace, set) })) };
}
