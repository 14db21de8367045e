/**
 * A request traced in Triton mode: the objects of Triton's JSON trace file (model info, one object per
 * timestamp, tensor activities), handed to the trace setting when the request completes.
 *
 * @module
 */

import type { NDArray } from '../tensor/ndarray.ts';
import {
  NOOP_REQUEST_TRACER,
  type CoreActivity,
  type RequestTrace,
  type RequestTracer,
  type TracedSpan,
} from '../core/trace-hooks.ts';
import { nowNs } from '../core/clock.ts';
import { FRONTEND_EVENTS, type FrontendProtocol, type FrontendTrace } from './frontend-trace.ts';
import type { TraceLevels } from '../protocol/trace-levels.ts';
import type { TraceObject } from './trace-file.ts';

/** Options of {@link FileRequestTrace}. */
export interface FileRequestTraceOptions {
  readonly id: number;
  readonly levels: TraceLevels;
  readonly protocol: FrontendProtocol;
  readonly startNs: bigint;
  /** Receives the trace's objects once the response was sent. */
  readonly onFinish: (objects: readonly TraceObject[]) => void;
}

const decoder = new TextDecoder();

/** The comma-joined elements Triton writes as a traced tensor's `data` (empty for FP16/BF16). */
export function tensorDataText(array: NDArray): string {
  if (array.dtype === 'FP16' || array.dtype === 'BF16') return '';
  if (array.dtype === 'BYTES')
    return (array.data as Uint8Array[]).map((b) => JSON.stringify(decoder.decode(b))).join(',');
  if (array.dtype === 'BOOL') return Array.from(array.data as Uint8Array, (v) => (v ? 1 : 0)).join(',');
  return Array.prototype.join.call(array.data, ',');
}

/** One request's trace-file objects in Triton mode. */
export class FileRequestTrace implements FrontendTrace {
  readonly #id: number;
  readonly #timestamps: boolean;
  readonly #events: (typeof FRONTEND_EVENTS)[FrontendProtocol];
  readonly #onFinish: (objects: readonly TraceObject[]) => void;
  readonly #objects: TraceObject[] = [];
  #requestStarted = false;
  /** Tensor activities, recorded when the level includes TENSORS. */
  readonly tensors: RequestTrace['tensors'];

  constructor(options: FileRequestTraceOptions) {
    this.#id = options.id;
    this.#timestamps = options.levels.timestamps;
    this.#events = FRONTEND_EVENTS[options.protocol];
    this.#onFinish = options.onFinish;
    this.tensors = options.levels.tensors ? (activity, tensors) => this.#recordTensors(activity, tensors) : undefined;
    this.#timestamp(this.#events.recvStart, options.startNs);
  }

  received(ns: bigint): void {
    this.#timestamp(this.#events.recvEnd, ns);
  }

  requestStart(model: { readonly name: string; readonly version: number }, requestId: string, ns: bigint): void {
    const info: TraceObject = { id: this.#id, model_name: model.name, model_version: model.version };
    if (requestId !== '') info.request_id = requestId;
    this.#objects.unshift(info);
    this.#requestStarted = true;
    this.#timestamp('REQUEST_START', ns);
  }

  activity(name: CoreActivity, ns: bigint): void {
    this.#timestamp(name, ns);
  }

  callableStart(): RequestTracer {
    return new CustomActivityTracer((name) => this.#timestamp(name, nowNs()));
  }

  callableEnd(): void {}

  responseComplete(ns: bigint): void {
    this.#timestamp('INFER_RESPONSE_COMPLETE', ns);
    // REQUEST_END belongs to a request the core received (as the model span's in OpenTelemetry mode).
    if (this.#requestStarted) this.#timestamp('REQUEST_END', ns);
  }

  sendStart(ns: bigint): void {
    this.#timestamp(this.#events.sendStart, ns);
  }

  sendEnd(ns: bigint): void {
    this.#timestamp(this.#events.sendEnd, ns);
    this.#onFinish(this.#objects);
  }

  #timestamp(name: string, ns: bigint): void {
    if (this.#timestamps) this.#objects.push({ id: this.#id, timestamps: [{ name, ns: Number(ns) }] });
  }

  #recordTensors(activity: string, tensors: Readonly<Record<string, NDArray>>): void {
    for (const [name, array] of Object.entries(tensors)) {
      this.#objects.push({
        id: this.#id,
        activity,
        tensor: { name, data: tensorDataText(array), shape: array.shape.join(','), dtype: array.dtype },
      });
    }
  }
}

/**
 * In Triton mode, `request.tracedSpan(name)` records Triton custom activities `<name>_START` and `<name>_END`
 * in the trace file; `request.span` is non-recording.
 */
class CustomActivityTracer implements RequestTracer {
  readonly span = NOOP_REQUEST_TRACER.span;
  readonly #record: (name: string) => void;

  constructor(record: (name: string) => void) {
    this.#record = record;
  }

  run<T>(name: string, fn: () => T): T {
    this.#record(`${name}_START`);
    const end = (): void => this.#record(`${name}_END`);
    let result: T;
    try {
      result = fn();
    } catch (error) {
      end();
      throw error;
    }
    if (result instanceof Promise) return result.finally(end) as T;
    end();
    return result;
  }

  open(name: string): TracedSpan {
    this.#record(`${name}_START`);
    let ended = false;
    const end = (): void => {
      if (!ended) this.#record(`${name}_END`);
      ended = true;
    };
    // Defined, not assigned: the non-recording span it inherits from is frozen, and assigning a property a
    // frozen prototype holds throws in strict code.
    return Object.create(this.span, {
      end: { value: end },
      [Symbol.dispose]: { value: end },
    }) as TracedSpan;
  }
}
