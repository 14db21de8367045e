/**
 * Tracing never fails a request or stops the server. Each traced request's trace is handed to the frontends
 * and the data plane behind a {@link GuardedTrace}: an error thrown anywhere behind it (the request trace, the
 * span processor, the encoder writing the spans as they end) is caught at that one boundary, counted and
 * logged by the server's {@link TraceErrors}, and the request's trace does nothing from then on. The export
 * pipeline reports errors of the encoder and the transport at export time to the same counter.
 *
 * @module
 */

import type { NDArray } from '../tensor/ndarray.ts';
import {
  type BatchFacts,
  type BatchTrace,
  type CoreActivity,
  NOOP_REQUEST_TRACER,
  recordingContextOf,
  type RequestTrace,
  type RequestTracer,
  type TracedSpan,
} from '../core/trace-hooks.ts';
import type { Span, SpanContext } from '@opentelemetry/api';
import { log } from '../logger.ts';
import type { FrontendTrace, RequestEndpoint } from './frontend-trace.ts';

const REPORT_INTERVAL_MS = 10_000;

/** Errors of the server's tracing: counted (`ts_triton_trace_errors_total`) and logged. */
export class TraceErrors {
  /** Errors so far. */
  count = 0;
  #reported = 0;
  #lastReport = -Infinity;

  /**
   * Counts an error of `where` (what was tracing when it failed). The first is logged with its stack; later
   * ones at most once per 10 s, as a count since the last line.
   */
  report(where: string, error: unknown): void {
    this.count++;
    const now = performance.now();
    if (this.#reported > 0 && now - this.#lastReport < REPORT_INTERVAL_MS) return;
    const since = this.count - this.#reported;
    this.#reported = this.count;
    this.#lastReport = now;
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    log.error(
      since === 1
        ? `Tracing failed (${where}); the request is served, its trace is dropped: ${detail}`
        : `Tracing failed ${since} times since the last report (last: ${where}); the requests are served, their traces dropped: ${detail}`,
    );
  }
}

/** A request's trace behind the guard (see the module comment). */
export class GuardedTrace implements FrontendTrace {
  #trace: FrontendTrace | undefined;
  readonly #errors: TraceErrors;
  readonly tensors: RequestTrace['tensors'];
  readonly rootSpanContext: FrontendTrace['rootSpanContext'];

  constructor(trace: FrontendTrace, errors: TraceErrors) {
    this.#trace = trace;
    this.#errors = errors;
    this.tensors = trace.tensors && ((activity, tensors) => this.#tensors(activity, tensors));
    this.rootSpanContext = trace.rootSpanContext && (() => this.#rootSpanContext());
  }

  #rootSpanContext(): { readonly traceId: string; readonly spanId: string } | undefined {
    try {
      return this.#trace?.rootSpanContext?.();
    } catch (error) {
      this.#fail(error);
      return undefined;
    }
  }

  received(ns: bigint): void {
    try {
      this.#trace?.received(ns);
    } catch (error) {
      this.#fail(error);
    }
  }

  requestStart(model: { readonly name: string; readonly version: number }, requestId: string, ns: bigint): void {
    try {
      this.#trace?.requestStart(model, requestId, ns);
    } catch (error) {
      this.#fail(error);
    }
  }

  activity(name: CoreActivity, ns: bigint): void {
    try {
      this.#trace?.activity(name, ns);
    } catch (error) {
      this.#fail(error);
    }
  }

  callableStart(ns: bigint): RequestTracer {
    try {
      const tracer = this.#trace?.callableStart(ns);
      return tracer === undefined ? NOOP_REQUEST_TRACER : new GuardedTracer(tracer, this);
    } catch (error) {
      this.#fail(error);
      return NOOP_REQUEST_TRACER;
    }
  }

  callableEnd(ns: bigint, error?: unknown): void {
    try {
      this.#trace?.callableEnd(ns, error);
    } catch (failure) {
      this.#fail(failure);
    }
  }

  responseComplete(ns: bigint): void {
    try {
      this.#trace?.responseComplete(ns);
    } catch (error) {
      this.#fail(error);
    }
  }

  sendStart(ns: bigint): void {
    try {
      this.#trace?.sendStart(ns);
    } catch (error) {
      this.#fail(error);
    }
  }

  sendEnd(ns: bigint): void {
    try {
      this.#trace?.sendEnd(ns);
    } catch (error) {
      this.#fail(error);
    }
  }

  describe(endpoint: RequestEndpoint): void {
    try {
      this.#trace?.describe?.(endpoint);
    } catch (error) {
      this.#fail(error);
    }
  }

  answered(status: number): void {
    try {
      this.#trace?.answered?.(status);
    } catch (error) {
      this.#fail(error);
    }
  }

  failed(error: unknown, ns: bigint): void {
    try {
      this.#trace?.failed?.(error, ns);
    } catch (failure) {
      this.#fail(failure);
    }
  }

  startBatch(members: readonly RequestTrace[], facts: BatchFacts, ns: bigint): BatchTrace | undefined {
    try {
      const batch = this.#trace?.startBatch?.(members, facts, ns);
      if (batch === undefined) return undefined;
      return {
        end: (endNs, error) => {
          try {
            batch.end(endNs, error);
          } catch (failure) {
            this.#fail(failure);
          }
        },
      };
    } catch (error) {
      this.#fail(error);
      return undefined;
    }
  }

  streaming(): void {
    try {
      this.#trace?.streaming?.();
    } catch (error) {
      this.#fail(error);
    }
  }

  response(ns: bigint): void {
    try {
      this.#trace?.response?.(ns);
    } catch (error) {
      this.#fail(error);
    }
  }

  cancelled(reason: unknown, ns: bigint): void {
    try {
      this.#trace?.cancelled?.(reason, ns);
    } catch (error) {
      this.#fail(error);
    }
  }

  joinBatch(batch: SpanContext): SpanContext | undefined {
    try {
      return this.#trace?.joinBatch?.(batch);
    } catch (error) {
      this.#fail(error);
      return undefined;
    }
  }

  #tensors(activity: 'TENSOR_QUEUE_INPUT' | 'TENSOR_BACKEND_OUTPUT', tensors: Readonly<Record<string, NDArray>>): void {
    try {
      this.#trace?.tensors?.(activity, tensors);
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Whether the trace still records. */
  get live(): boolean {
    return this.#trace !== undefined;
  }

  /** Counts and logs `error`; the trace does nothing from now on. */
  #fail(error: unknown): void {
    if (this.#trace === undefined) return;
    this.#trace = undefined;
    this.#errors.report('request trace', error);
  }

  /** Called by the request's tracer when tracing failed behind it. */
  tracingFailed(error: unknown): void {
    this.#fail(error);
  }
}

/**
 * `request.span` and `request.tracedSpan` behind the guard: a failure of tracing there gives model code a
 * span that records nothing, never an error (errors of the model code's own functions still propagate).
 */
class GuardedTracer implements RequestTracer {
  readonly #tracer: RequestTracer;
  readonly #trace: GuardedTrace;

  constructor(tracer: RequestTracer, trace: GuardedTrace) {
    this.#tracer = tracer;
    this.#trace = trace;
  }

  get span(): Span {
    if (!this.#trace.live) return NOOP_REQUEST_TRACER.span;
    try {
      return this.#tracer.span;
    } catch (error) {
      this.#trace.tracingFailed(error);
      return NOOP_REQUEST_TRACER.span;
    }
  }

  run<T>(name: string, fn: () => T): T {
    if (!this.#trace.live) return fn();
    // Whether a throw came from `fn` (the model code's, rethrown) or from tracing around it.
    let state = 'before' as 'before' | 'running' | 'returned';
    let result: T;
    const call = (): T => {
      state = 'running';
      result = fn();
      state = 'returned';
      return result;
    };
    try {
      return this.#tracer.run(name, call);
    } catch (error) {
      if (state === 'running') throw error;
      this.#trace.tracingFailed(error);
      return state === 'returned' ? result! : fn();
    }
  }

  recordingContext(): SpanContext | undefined {
    if (!this.#trace.live) return undefined;
    try {
      return recordingContextOf(this.#tracer);
    } catch (error) {
      this.#trace.tracingFailed(error);
      return undefined;
    }
  }

  open(name: string): TracedSpan {
    if (!this.#trace.live) return NOOP_REQUEST_TRACER.open(name);
    try {
      return this.#tracer.open(name);
    } catch (error) {
      this.#trace.tracingFailed(error);
      return NOOP_REQUEST_TRACER.open(name);
    }
  }
}
