// The network run a trace worker keeps while the panel shows it: the panel's first screen is the run, lean
// (leanTrace.ts); a layer the user opens is traced alone from it (traceRunLayer), and the gallery's
// attributions read it (no second run per click). The worker holding it is terminated when the panel
// closes or a new run replaces it, which lets the whole run go at once. No vscode import.

import { type AttributionKind, attributionOf } from '../../engine/featureMaps';
import { leanTrace } from '../../engine/leanTrace';
import { layerAsSpec } from '../../engine/layerSpec';
import type { LayerTrace, NetworkTrace } from '../../engine/network';
import { NetworkRun, problemArrays, releasedRun, runArrays, traceRunLayer } from '../../engine/networkRun';
import { type RecycledBuffers, recycling, reusing, takenBytes } from '../../engine/recycledBuffers';
import type { TensorData } from '../../engine/tensor';
import type { TraceOptions } from '../../engine/trace';
import { isNetworkSpec, runLeanNetworkSource } from '../../specReader/networkSpec';
import { JsonSource } from '../../specReader/source';
import type { NpyFiles } from '../../specReader/specFiles';
import { LayerSpecFiles, layerSpecFiles } from '../../specReader/layerSpecFile';

/** A trace job whose network, if it is one, is run lean and kept (a single conv is traced whole, as before). */
export interface KeepJob {
  file: string;
  text: string;
  options: TraceOptions;
  keep: true;
  /** The layer the panel will open first: traced with the run, so its stages need no second request. */
  openLayer?: number;
}

/**
 * The largest layer (forward FLOPs) traced with the run for the panel to open: its trace takes ~40 ms at most here,
 * less than the request it saves (~100 ms in code-server); a bigger one (a ResNet's stem at 224²) would hold back
 * the chain, which shows first, by more than it saves.
 */
export const OPENED_WITH_RUN_FLOPS = 2e7;

/** A layer of the kept run traced with it (KeepJob.openLayer). */
export interface OpenedLayer {
  index: number;
  layer: LayerTrace;
}

/** Layer `traceLayer` of the kept run, traced. */
export interface LayerJob { traceLayer: number }

/** Saliency, or Grad-CAM at a layer, of the kept run. */
export interface KeptAttributionJob { keptAttribution: { kind: AttributionKind; layer: number; item: number } }

/**
 * Layer `layer` of the kept run as a spec of its own (*Save Layer as Spec…*): its files for a spec named `specName`,
 * or, without a name, only whether it can be one (an EngineError says why not).
 */
export interface LayerSpecJob { layerSpec: { layer: number; specName?: string; about: string } }

/**
 * A dropped run's arrays an idle worker keeps for the next run, up to this many bytes: the run it kept while the panel
 * showed it, no more. A re-run of the ResNet-18-shaped model keeps 268 MB (its outputs, δs and gradients, and its
 * weights, decoded into them again): in new memory it took ~880 ms in the worker, page faults most of it.
 */
const KEEP_RELEASED_BYTES = 512 << 20;

/** How long an idle worker keeps a dropped run's arrays for the next run (as the host keeps a trace's: SPARE_MS). */
const KEEP_RELEASED_MS = 30_000;

/** What a worker keeps between messages: one run at most. */
export class RunKeeper {
  private run: NetworkRun | undefined;
  private options: TraceOptions = {};
  private released: RecycledBuffers | undefined;
  private forget: ReturnType<typeof setTimeout> | undefined;

  /** `keepReleasedMs`: how long a dropped run's arrays wait for the next run (tests shorten it). */
  constructor(private readonly keepReleasedMs = KEEP_RELEASED_MS) {}

  /**
   * Runs a network spec lean and keeps it; undefined when the spec is not a network's (it is traced whole). The run's
   * passes make their tensors in the arrays of the run dropped before, and the lean trace its copies in `reuse` (the
   * arrays of the lean trace the panel let go, TraceJob.reuse): a re-run's new memory is the changes only.
   * `reusedBytes`: how much of both it took.
   */
  keep(file: string, text: string, options: TraceOptions, npy: NpyFiles, reuse?: readonly TensorData[]): { trace: NetworkTrace; reusedBytes: number } | undefined {
    this.run = undefined;
    // The run dropped before's arrays, taken by this one's passes (once: what it leaves goes with it).
    const buffers = this.released;
    this.letGoReleased();
    const source = JsonSource.parse(file, text);
    if (!isNetworkSpec(source.value)) return undefined;
    const released = buffers?.arrays() ?? [];
    // Its spec's tensors too (decoded from .npy files, read from the JSON), in the dropped run's.
    const runIt = () => runLeanNetworkSource(source, { ...options, ...(buffers ? { buffers } : {}) }, npy);
    const run = buffers ? recycling(buffers, runIt) : runIt();
    this.run = run;
    this.options = options;
    const { value: trace, reusedBytes } = reusing(reuse, () => leanTrace(run));
    return { trace, reusedBytes: reusedBytes + (buffers ? takenBytes(released, buffers) : 0) };
  }

  /**
   * Lets the run go (the worker waits for another run's jobs); its arrays, its spec's tensors too, wait for the next
   * run (keepReleasedMs at most). Nothing of it is the host's: what the worker answers with is copied or made for the
   * answer (resultBuffers).
   */
  drop(): void {
    this.letGoReleased();
    this.released = this.run && releasedRun(this.run, KEEP_RELEASED_BYTES, true);
    this.run = undefined;
    this.options = {};
    if (!this.released) return;
    // No run came for them: the worker's memory goes back (Node's timer must not hold a process open for it).
    this.forget = setTimeout(() => this.letGoReleased(), this.keepReleasedMs);
    (this.forget as { unref?: () => void }).unref?.();
  }

  private letGoReleased(): void {
    clearTimeout(this.forget);
    this.forget = undefined;
    this.released = undefined;
  }

  /** Layer `index` as traceNetwork records it. */
  layer(index: number): LayerTrace {
    return traceRunLayer(this.kept(), index, this.options);
  }

  /**
   * Layer `index` traced, when it is one of the run's layers (not the loss), small enough, and traces: a layer that
   * cannot is left to the panel's request, which shows why in the layer's place rather than failing the whole run.
   */
  opened(index: number): OpenedLayer | undefined {
    const plan = this.kept().plan.layers;
    if (!Number.isInteger(index) || index < 0 || index >= plan.length || plan[index].cost.flops > OPENED_WITH_RUN_FLOPS) return undefined;
    try {
      return { index, layer: this.layer(index) };
    } catch {
      return undefined;
    }
  }

  /** The layer's spec files; undefined when only asked whether it can be one. */
  layerSpec({ layer, specName, about }: LayerSpecJob['layerSpec']): LayerSpecFiles | undefined {
    const spec = layerAsSpec(this.kept(), layer);
    return specName === undefined ? undefined : layerSpecFiles(spec, specName, about);
  }

  attribution({ kind, layer, item }: KeptAttributionJob['keptAttribution']) {
    return attributionOf(this.kept(), kind, layer, item);
  }

  /**
   * The buffers of the run's own tensors (its input, weights, outputs, δs, gradients): a traced layer records some
   * of them, and they must be copied to the host, not handed over (that would empty the run's).
   */
  buffers(): Set<ArrayBufferLike> {
    const run = this.run;
    return new Set(run ? [...problemArrays(run.problem), ...runArrays(run)].map(d => d.buffer) : []);
  }

  private kept(): NetworkRun {
    if (!this.run) throw new RangeError('this worker keeps no network run (the panel shows another one)');
    return this.run;
  }
}
