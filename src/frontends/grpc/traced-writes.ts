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

  /** @param trace - the request's trace, if sampled. */
  constructor(trace: FrontendTrace | undefined) {
    this.#trace = trace;
  }

  /** The request's last response is ready (or it failed). */
  responseComplete(): void {
    this.#trace?.responseComplete(nowNs());
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
