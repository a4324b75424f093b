// The Debug Adapter Protocol side of the conv debugger: a thin LoggingDebugSession
// that translates DAP requests to the runtime (vscode-mock-debug's structure).
// No vscode import: it runs inline in the extension host or as its own process.

import {
  Breakpoint, Handles, InitializedEvent, LoggingDebugSession, OutputEvent, Response, Scope, Source, StackFrame, StoppedEvent, TerminatedEvent, Thread, Event,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { DType, Tensor } from '../engine/tensor';
import { formatShape, sizeOf } from '../engine/tensor';
import { type NetworkTrace, isNetworkTrace } from '../engine/network';
import { type ConvTrace, DEFAULT_MAX_ELEMENTS, type TensorName, type TraceOptions } from '../engine/trace';
import { printable } from '../format/safeText';
import { formatNumber } from '../format/text';
import { explainStage, stageTitle } from '../format/explain';
import { type Locale, type PanelText, panelText } from '../l10n/panelText';
import { ProtocolError } from '../protocol/checks';
import { ExprError } from './expr/parse';
import type { Value } from './expr/evaluate';
import { formatValue, summarize } from './expr/format';
import { LoadedSpec } from './loadSpec';
import { canonicalSpec, isUriString, specBaseName } from './specPath';
import { checkArguments } from './requests';
import { ConvRuntime, Position, StopReason } from './runtime';

export interface LaunchArguments extends DebugProtocol.LaunchRequestArguments {
  /** The spec file to debug. */
  spec: string;
  /** Stop before the first stage (default true). */
  stopOnEntry?: boolean;
  /** Refuse specs whose largest intermediate exceeds this many elements. */
  maxElements?: number;
  /** The dtype of specs that do not name one. */
  dtype?: DType;
}

/** What the host gives the session: how to load a spec, and who to tell when it stops (the panel). */
export interface SessionHooks {
  load(specPath: string, options: TraceOptions): Promise<LoadedSpec>;
  /** The spec is loaded and about to run: the host makes room for it (before the first stop, so nothing races the stop). */
  started?(runtime: ConvRuntime): Promise<void>;
  /** VS Code has drawn the first stop (it has the stack, or asked for the scopes): the host shows the run (the panel's trace). */
  shown?(runtime: ConvRuntime): void;
  stopped?(runtime: ConvRuntime, position: Position): void;
  /** Where the first stop's wait went: ms from the launch request to each step (the host logs it). */
  firstStopTimes?(times: FirstStopTimes): void;
  /** The language of frames, stop descriptions and console lines (default English). */
  locale?: Locale;
}

/** Ms from the launch request: VS Code's configuration done, the spec read and traced, the host's room made, the stop sent, VS Code asking for its stack. */
export interface FirstStopTimes {
  configured: number;
  loaded: number;
  placed: number;
  stopped: number;
  stackAsked: number;
}

/** Sent with every stop: where the debugger is, for the panel and for tests. */
export interface ConvStoppedBody {
  spec: string;
  stage: string | undefined;
  /** In a network, the layer of the stage. */
  layer?: number;
  stageIndex: number;
  sub?: number;
  changed?: { tensor?: string; index?: number[] };
}

const THREAD_ID = 1;
/** The host shows the run at the latest this long after the first stop (a client that asks for no scopes). */
const FIRST_STOP_SHOWN_MS = 600;
/** How long VS Code takes to draw the call stack from the first stackTrace answer, at most. */
const STACK_DRAWN_MS = 150;
const delay = (ms: number) => new Promise<void>(r => setTimeout(r, ms));
/** Children listed per page for big axes (VS Code asks for them in chunks). */
const PAGE = 100;
/** At most this many children per variables request, whatever `count` asks: a client pages on with `start`. */
const MAX_PAGE = 10 * PAGE;

/** Error response ids. */
const ERROR = { bad: 1, load: 2, notRunning: 3, expression: 4, internal: 5 } as const;

/** A request handler. Method syntax keeps its parameters bivariant, so each handler keeps its own response and argument types. */
type Handler = { run(response: DebugProtocol.Response, args: unknown): void | Promise<void> }['run'];

type Handle =
  | { kind: 'tensors' }
  /** A network's tensors of every layer, by their qualified names. */
  | { kind: 'all' }
  | { kind: 'geometry' }
  | { kind: 'tensor'; name: string; tensor: Tensor; prefix: number[] };

export class ConvDebugSession extends LoggingDebugSession {
  private runtime: ConvRuntime | undefined;
  private readonly handles = new Handles<Handle>();
  private configured!: Promise<void>;
  private markConfigured!: () => void;
  private pendingBreakpoints: DebugProtocol.SourceBreakpoint[] = [];
  private pendingFunctionBreakpoints: DebugProtocol.FunctionBreakpoint[] = [];
  /** The words of the session's language. */
  private get words(): PanelText {
    return panelText(this.hooks.locale);
  }
  private specPath = '';
  /** Settles once the host showed the session (the panel): its stops follow after. */
  private hostReady: Promise<void> = Promise.resolve();
  /** The session was stopped: the host no longer shows it. */
  private ended = false;
  /** Called once VS Code has drawn the first stop (the host shows the run then). */
  private stopDrawn: (() => void) | undefined;
  /** Responses sent, so a handler that fails after answering reports on stderr instead of answering twice. */
  private readonly answered = new WeakSet<DebugProtocol.Response>();

  /** The requests this session answers itself, through dispatchRequest's one guard; DebugSession answers the rest. */
  private readonly handlers: Record<string, Handler> = {
    configurationDone: this.configurationDoneRequest,
    launch: this.launchRequest,
    setBreakpoints: this.setBreakPointsRequest,
    setFunctionBreakpoints: this.setFunctionBreakPointsRequest,
    threads: this.threadsRequest,
    stackTrace: this.stackTraceRequest,
    scopes: this.scopesRequest,
    variables: this.variablesRequest,
    evaluate: this.evaluateRequest,
    continue: this.continueRequest,
    next: this.nextRequest,
    stepIn: this.stepInRequest,
    stepOut: this.stepOutRequest,
    stepBack: this.stepBackRequest,
    reverseContinue: this.reverseContinueRequest,
    disconnect: this.disconnectRequest,
    terminate: this.terminateRequest,
    convState: this.convStateRequest,
  };

  constructor(private readonly hooks: SessionHooks) {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.configured = new Promise(r => (this.markConfigured = r));
  }

  /**
   * Every request passes here: its arguments are checked (requests.ts), and whatever its handler throws,
   * at once or after an await, becomes an error response: bad input never ends the session or the process.
   */
  protected override dispatchRequest(request: DebugProtocol.Request): void {
    const response = new Response(request);
    try {
      checkArguments(request.command, request.arguments);
      if (!Object.hasOwn(this.handlers, request.command)) {
        super.dispatchRequest(request);
        return;
      }
      const done = this.handlers[request.command].call(this, response, request.arguments);
      if (done) done.catch(e => this.fail(response, e));
    } catch (e) {
      this.fail(response, e);
    }
  }

  /** A request that failed: its error response, or on stderr when it was already answered (a step, then a stop). */
  private fail(response: DebugProtocol.Response, e: unknown): void {
    const message = e instanceof ProtocolError ? e.message : `internal error in the conv debugger: ${e instanceof Error ? e.message : String(e)}`;
    if (this.answered.has(response)) this.sendEvent(new OutputEvent(`${message}\n`, 'stderr'));
    else this.sendErrorResponse(response, { id: e instanceof ProtocolError ? ERROR.bad : ERROR.internal, format: message, showUser: true });
  }

  override sendResponse(response: DebugProtocol.Response): void {
    this.answered.add(response);
    super.sendResponse(response);
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsStepBack: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsFunctionBreakpoints: true,
      supportsEvaluateForHovers: true,
      supportsSingleThreadExecutionRequests: false,
      supportsTerminateRequest: true,
    };
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.markConfigured();
    this.sendResponse(response);
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchArguments): Promise<void> {
    const t0 = Date.now();
    await Promise.race([this.configured, new Promise(r => setTimeout(r, 2000))]);
    const configured = Date.now() - t0;
    this.specPath = canonicalSpec(args.spec);
    const maxElements = args.maxElements ?? DEFAULT_MAX_ELEMENTS;
    let loaded: LoadedSpec;
    try {
      loaded = await this.hooks.load(this.specPath, { maxElements, ...(args.dtype ? { dtype: args.dtype } : {}) });
    } catch (e) {
      // One printable line: the message quotes the spec (keys, strings, file names).
      this.sendErrorResponse(response, { id: ERROR.load, format: printable(`Cannot debug ${args.spec}: ${(e as Error).message}`), showUser: true });
      return;
    }
    const loadedAt = Date.now() - t0;
    this.runtime = new ConvRuntime(loaded.trace, this.specPath, loaded.keyLines, maxElements, loaded.problem);
    this.runtime.modelNames = loaded.modelNames;
    if (this.pendingBreakpoints.length) this.runtime.setBreakpoints(this.pendingBreakpoints);
    if (this.pendingFunctionBreakpoints.length) this.runtime.setFunctionBreakpoints(this.pendingFunctionBreakpoints);
    this.sendResponse(response);
    const runtime = this.runtime;
    // The host's own work must not hold up or break the session: at most a moment, failures ignored.
    await Promise.race([this.hooks.started?.(runtime).catch(() => undefined), delay(2000)]);
    const placed = Date.now() - t0;
    // The first stop first: the host shows the run (the panel's page draws its trace, on the workbench's thread in a
    // browser) once VS Code has drawn the stop, or after a moment; the stops it follows wait for that.
    const stopDrawn = new Promise<void>(r => (this.stopDrawn = r));
    this.hostReady = Promise.race([stopDrawn, delay(FIRST_STOP_SHOWN_MS)]).then(() => {
      try {
        if (!this.ended) this.hooks.shown?.(runtime);
      } catch {
        // As above: the panel failing is no reason to end the session.
      }
    });
    if (args.stopOnEntry ?? true) this.reportStop('entry');
    else this.stopAfter(runtime.continue());
    this.firstStop = { launched: t0, times: { configured, loaded: loadedAt, placed, stopped: Date.now() - t0 } };
  }

  /** The first stop's times so far, reported when VS Code asks for its stack. */
  private firstStop: { launched: number; times: Omit<FirstStopTimes, 'stackAsked'> } | undefined;

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    const requested = args.breakpoints ?? [];
    const sameFile = !this.specPath || !args.source.path || canonicalSpec(args.source.path) === this.specPath;
    if (!sameFile) {
      response.body = { breakpoints: requested.map(b => ({ verified: false, line: b.line, message: 'The conv debugger stops only in the spec it runs.' })) };
      this.sendResponse(response);
      return;
    }
    this.pendingBreakpoints = requested;
    const set = this.runtime?.setBreakpoints(requested);
    response.body = {
      breakpoints: requested.map((b, i) => {
        const bp = new Breakpoint(set ? set[i].verified : true, b.line) as DebugProtocol.Breakpoint;
        if (set && !set[i].verified) {
          bp.message = this.runtime && isNetworkTrace(this.runtime.trace)
            ? 'No layer is on this line: put breakpoints on a layer (it stops as the layer runs forward and again backward), on the loss or on the input.'
            : 'No stage reads this line: put breakpoints on the lines of input, weight, bias, grad, stride, padding, dilation or groups.';
        }
        if (set) bp.id = set[i].id;
        return bp;
      }),
    };
    this.sendResponse(response);
  }

  /** Breakpoints on layers by name: a model's ONNX node or output (`/conv1/Conv`, `/Relu_output_0`), or `layers[2]`. */
  protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    this.pendingFunctionBreakpoints = args.breakpoints;
    const set = this.runtime?.setFunctionBreakpoints(args.breakpoints);
    response.body = {
      breakpoints: args.breakpoints.map((b, i) => {
        const bp = new Breakpoint(set ? set[i].verified : true) as DebugProtocol.Breakpoint;
        if (set && !set[i].verified) {
          bp.message = this.runtime && isNetworkTrace(this.runtime.trace)
            ? `No layer is named "${b.name}": give a layer (layers[2]), or a model's ONNX node or output name (/conv1/Conv, /Relu_output_0).`
            : 'A single conv has no layers to break on: put breakpoints on the spec\'s lines.';
        }
        if (set) bp.id = set[i].id;
        return bp;
      }),
    };
    this.sendResponse(response);
  }

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: [new Thread(THREAD_ID, this.runtime && isNetworkTrace(this.runtime.trace) ? 'network' : 'conv2d')] };
    this.sendResponse(response);
  }

  private source(): Source {
    return new Source(specBaseName(this.specPath), isUriString(this.specPath) ? this.specPath : this.convertDebuggerPathToClient(this.specPath));
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    const r = this.runtime;
    if (!r) { response.body = { stackFrames: [], totalFrames: 0 }; this.sendResponse(response); return; }
    const p = r.position;
    const frames: StackFrame[] = [];
    if (p.stage < 0) {
      frames.push(new StackFrame(0, this.words.debugStart(isNetworkTrace(r.trace) ? 'network' : 'conv2d'), this.source(), 1, 1));
    } else {
      const step = r.steps[p.stage];
      const stage = step.stage;
      const title = stageTitle(stage, step.geometry, this.hooks.locale);
      const line = r.stageLine(p.stage);
      if (p.sub !== undefined) {
        const done = r.rowsDone(p.stage, p.sub);
        frames.push(new StackFrame(1, this.words.debugRowsDone(title, done - 1), this.source(), line, 1));
      }
      frames.push(new StackFrame(0, `${step.where} › ${title}: ${stage.formula}`, this.source(), line, 1));
    }
    if (this.firstStop) this.hooks.firstStopTimes?.({ ...this.firstStop.times, stackAsked: Date.now() - this.firstStop.launched });
    this.firstStop = undefined;
    const first = args.startFrame ?? 0;
    response.body = { stackFrames: frames.slice(first, args.levels ? first + args.levels : undefined), totalFrames: frames.length };
    this.sendResponse(response);
    // The call stack draws from this answer: a moment for that, unless the scopes are asked for first.
    const drawn = this.stopDrawn;
    if (drawn) setTimeout(drawn, STACK_DRAWN_MS);
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse): void {
    const r = this.runtime;
    const network = r && isNetworkTrace(r.trace);
    const w = this.words;
    const scopes = [new Scope(network ? w.debugTensorsOf(r.stepAt().where) : w.debugTensors, this.handles.create({ kind: 'tensors' }), false)];
    if (network) scopes.push(new Scope(w.debugAllLayers, this.handles.create({ kind: 'all' }), true));
    if (r?.geometryOf()) scopes.push(new Scope(w.debugGeometry, this.handles.create({ kind: 'geometry' }), true));
    response.body = { scopes };
    this.sendResponse(response);
    this.stopDrawn?.();
    this.stopDrawn = undefined;
  }

  /** A variable for a tensor (or a slice of one): summary, expandable to rows and cells, paged. */
  private tensorVariable(name: string, t: Tensor, evaluateName: string): DebugProtocol.Variable {
    const v: DebugProtocol.Variable = { name, value: summarize(t), evaluateName, variablesReference: 0, type: t.dtype };
    if (t.shape.length > 0) {
      v.variablesReference = this.handles.create({ kind: 'tensor', name: evaluateName, tensor: t, prefix: [] });
      if (t.shape[0] > PAGE) v.indexedVariables = t.shape[0];
    }
    return v;
  }

  /** Children of a tensor slice: sub-slices along the next axis, or numbers at the last one. */
  private children(h: Extract<Handle, { kind: 'tensor' }>, start: number, count: number): DebugProtocol.Variable[] {
    const t = h.tensor;
    const d = h.prefix.length;
    const n = t.shape[d];
    const rest = t.shape.slice(d + 1);
    const stride = sizeOf(rest);
    const base = h.prefix.reduce((acc, i, k) => acc * t.shape[k] + i, 0) * n * stride;
    const out: DebugProtocol.Variable[] = [];
    for (let i = start; i < Math.min(n, start + count); i++) {
      const index = [...h.prefix, i];
      const evaluateName = `${h.name}[${index.join(', ')}]`;
      if (rest.length === 0) {
        const x = t.data[base + i];
        out.push({ name: `[${i}]`, value: Number.isFinite(x) ? String(x) : formatNumber(x), evaluateName, variablesReference: 0 });
      } else {
        const sub: Tensor = { shape: rest, dtype: t.dtype, data: t.data.subarray(base + i * stride, base + (i + 1) * stride) };
        const v: DebugProtocol.Variable = { name: `[${i}]`, value: rest.length === 1 && rest[0] <= 8 ? formatValue({ ...sub, data: Float64Array.from(sub.data) }) : summarize(sub), evaluateName, variablesReference: 0 };
        v.variablesReference = this.handles.create({ kind: 'tensor', name: h.name, tensor: t, prefix: index });
        if (rest[0] > PAGE) v.indexedVariables = rest[0];
        out.push(v);
      }
    }
    return out;
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    const h = this.handles.get(args.variablesReference);
    const r = this.runtime;
    let variables: DebugProtocol.Variable[] = [];
    if (r && h?.kind === 'tensors') {
      variables = [...r.aliveHere()].map(([short, t]) => this.tensorVariable(short, t.tensor, t.name));
    } else if (r && h?.kind === 'all') {
      variables = [...r.alive()].map(([name, t]) => this.tensorVariable(name, t, name));
    } else if (r && h?.kind === 'geometry') {
      variables = Object.entries(r.geometryOf() ?? {}).map(([k, v]) => ({ name: k, value: String(v), variablesReference: 0, evaluateName: k }));
    } else if (h?.kind === 'tensor') {
      // Within the axis, and at most MAX_PAGE (a count of 0 or none: the first page, as VS Code pages big axes itself).
      const n = h.tensor.shape[h.prefix.length];
      const start = Math.min(args.start ?? 0, n);
      variables = this.children(h, start, Math.min(args.count || PAGE, MAX_PAGE, n - start));
    }
    response.body = { variables };
    this.sendResponse(response);
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    const r = this.runtime;
    if (!r) { this.sendErrorResponse(response, { id: ERROR.notRunning, format: 'not running' }); return; }
    let value: Value;
    try {
      value = r.evaluate(args.expression);
    } catch (e) {
      if (!(e instanceof ExprError)) throw e;
      this.sendErrorResponse(response, { id: ERROR.expression, format: args.context === 'hover' ? '' : e.message, showUser: false });
      return;
    }
    const tensor = typeof value === 'object' && 'data' in value ? value : undefined;
    response.body = {
      result: formatValue(value),
      variablesReference: tensor && tensor.shape.length ? this.handles.create({ kind: 'tensor', name: `(${args.expression})`, tensor, prefix: [] }) : 0,
      indexedVariables: tensor && tensor.shape[0] > PAGE ? tensor.shape[0] : undefined,
    };
    this.sendResponse(response);
  }

  private move(response: DebugProtocol.Response, step: (r: ConvRuntime) => StopReason): void {
    const r = this.runtime;
    this.sendResponse(response);
    if (r) this.stopAfter(step(r));
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void { this.move(response, r => r.continue()); }
  protected override nextRequest(response: DebugProtocol.NextResponse): void { this.move(response, r => r.next()); }
  protected override stepInRequest(response: DebugProtocol.StepInResponse): void { this.move(response, r => r.stepIn()); }
  protected override stepOutRequest(response: DebugProtocol.StepOutResponse): void { this.move(response, r => r.stepOut()); }
  protected override stepBackRequest(response: DebugProtocol.StepBackResponse): void { this.move(response, r => r.stepBack()); }
  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void { this.move(response, r => r.reverseContinue()); }

  private stopAfter(reason: StopReason): void {
    if (this.runtime?.lastConditionError) this.sendEvent(new OutputEvent(this.runtime.lastConditionError + '\n', 'stderr'));
    if (reason === 'end') {
      const trace = this.runtime!.trace;
      this.sendEvent(new OutputEvent(isNetworkTrace(trace) ? `network finished: ${this.networkSummary(trace)}\n` : `conv2d finished: ${this.summary(trace)}\n`, 'console'));
      this.sendEvent(new TerminatedEvent());
      return;
    }
    this.reportStop(reason);
  }

  private summary(trace: ConvTrace): string {
    const t = (n: TensorName) => trace.tensors[n];
    return (['z', 'dA', 'dW', 'db'] as TensorName[]).filter(t).map(n => `${n} ${formatShape(t(n)!.shape)}`).join(', ');
  }

  private networkSummary(trace: NetworkTrace): string {
    const first = trace.layers[0].tensors;
    const grad = first.dA ?? first.dZ;
    return [trace.loss && `loss (${trace.loss.type}) = ${formatNumber(trace.loss.value)}`, grad && `∂C/∂input ${formatShape(grad.shape)}`].filter(Boolean).join(', ');
  }

  private reportStop(reason: Exclude<StopReason, 'end'>): void {
    const r = this.runtime!;
    this.handles.reset();
    const p = r.position;
    const step = p.stage >= 0 ? r.steps[p.stage] : undefined;
    const stage = step?.stage;
    const title = step && stage ? stageTitle(stage, step.geometry, this.hooks.locale) : undefined;
    if (step && stage && p.sub === undefined) {
      const network = isNetworkTrace(r.trace);
      const firstSentence = /^.*?(\.(?=\s|$)|。)/.exec(explainStage({ stage, delta: step.deltaSource, has: n => step.tensors[n] !== undefined }, step.geometry, this.hooks.locale))?.[0] ?? '';
      this.sendEvent(new OutputEvent(`${network ? `${step.where} › ` : ''}${title}: ${stage.formula}\n  ${firstSentence}\n`, 'console'));
    }
    const ev = new StoppedEvent(reason, THREAD_ID) as DebugProtocol.StoppedEvent;
    ev.body.description = title ? this.words.debugAfter(title) : this.words.debugBeforeFirst;
    this.sendEvent(ev);
    const changed = r.changed();
    const body: ConvStoppedBody = { spec: this.specPath, stage: stage?.id, layer: step?.layer, stageIndex: p.stage, sub: p.sub, changed: changed && { tensor: changed.tensor, index: changed.index } };
    this.sendEvent(new Event('convStopped', body));
    const stopped = this.hooks.stopped;
    if (stopped) void this.hostReady.then(() => { if (!this.ended) stopped(r, p); });
  }

  /** Where the debugger is and what is alive (for tests). */
  private convStateRequest(response: DebugProtocol.Response): void {
    const r = this.runtime;
    if (!r) { this.sendErrorResponse(response, { id: ERROR.notRunning, format: 'not running' }); return; }
    const p = r.position;
    response.body = { stage: p.stage >= 0 ? r.steps[p.stage].stage.id : undefined, layer: p.stage >= 0 ? r.steps[p.stage].layer : undefined, stageIndex: p.stage, sub: p.sub, alive: [...r.alive().keys()] };
    this.sendResponse(response);
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.ended = true;
    this.sendResponse(response);
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.ended = true;
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }
}
