/**
 * The frontend timestamps of a request answered on a stream: INFER_RESPONSE_COMPLETE when its last response
 * is ready, GRPC_SEND_START at its first write, GRPC_SEND_END once its last write is done.
 *
 * @module
 */

import { nowNs } from '../../core/clock.ts';
import type { FrontendTrace } from '../../tracing/frontend-trace.ts';

/** Reports one request's writes to its trace (does nothing for a request that is not traced). */
export class TracedWrites {
  readonly #trace: FrontendTrace | undefined;
  #started = false;
  #pending = 0;
  #finished = false;
  #ended = false;

  /** The W3C `traceparent` its responses carry (`responseTraceHeaders`), when it is traced. */
  readonly traceparent: string | undefined;

  /**
   * @param trace - the request's trace, if sampled.
   * @param traceparent - what its responses carry.
   */
  constructor(trace: FrontendTrace | undefined, traceparent?: string) {
    this.#trace = trace;
    this.traceparent = traceparent;
  }

  /** The request's last response is ready (or it failed). */
  responseComplete(): void {
    this.#trace?.responseComplete(nowNs());
  }

  /**
   * The gRPC status the request's answer carries (`rpc.grpc.status_code`): OK for a response, an error
   * response or the status that ends the stream for a failure.
   */
  answered(status: number): void {
    this.#trace?.answered?.(status);
  }

  /** The request failed with `error` (its answer is an error); `responseComplete` follows. */
  failed(error: unknown): void {
    this.#trace?.failed?.(error, nowNs());
  }

  /** A response is about to be written; call the returned function once it is written. */
  writing(): () => void {
    this.#start();
    this.#pending++;
    return () => {
      this.#pending--;
      this.#maybeEnd();
    };
  }

  /** No more writes will follow; the trace ends once the pending ones are done. */
  finish(): void {
    this.#start();
    this.#finished = true;
    this.#maybeEnd();
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#trace?.sendStart(nowNs());
  }

  #maybeEnd(): void {
    if (this.#ended || !this.#finished || this.#pending > 0) return;
    this.#ended = true;
    this.#trace?.sendEnd(nowNs());
  }
}
