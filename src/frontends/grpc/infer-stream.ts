/**
 * One ModelStreamInfer call: every request read from the stream is inferred, and answered on the stream
 * with `infer_response`, or with `error_message` (and the request's id) when it fails. As Triton:
 * - the trace context of the stream's initial metadata applies to every request on it;
 * - responses of models that are not decoupled are written in request order; a decoupled model's responses
 *   are written as they are produced;
 * - every response carries `triton_final_response`: true on the single response of a model that is not
 *   decoupled, false on a decoupled model's; once a decoupled model is done with a request, an empty response
 *   flagged final follows only if the request set `triton_enable_empty_final_response: true`;
 * - an error leaves the stream open, unless the client set metadata `triton_grpc_error: true`: then the
 *   first error ends the stream with its gRPC status;
 * - while the stream holds {@link MAX_STREAM_BACKLOG} requests and unsent responses (a client that does not
 *   read its responses, or sends faster than the model answers), no more requests are read: HTTP/2 flow
 *   control then holds the client's requests on its side;
 * - the stream ends once the client stopped sending and every request was answered; a request message that is
 *   not well-formed protobuf ends it at once with INVALID_ARGUMENT.
 *
 * @module
 */

import { type ServerDuplexStream, status as grpcStatus } from '@grpc/grpc-js';
import type { InferenceRequest, InferenceResult } from '../../core/inference-request.ts';
import { TritonError } from '../../errors.ts';
import { emptyFinalResponse, wantsEmptyFinalResponse, withFinalFlag } from '../../protocol/grpc-final-response.ts';
import { encodeGrpcInferResponse, streamErrorResponse } from '../../protocol/grpc-infer-response.ts';
import type {
  ModelInferRequestIn,
  ModelInferResponseOut,
  ModelStreamInferResponseOut,
} from '../../protocol/grpc-messages.ts';
import { nowNs } from '../../core/clock.ts';
import type { HeaderGetter } from '../../tracing/w3c-context.ts';
import type { GrpcContext } from './context.ts';
import { grpcEndpoint, type PreparedRequest, prepareRequest } from './infer-requests.ts';
import { metadataHeaders, wantsGrpcErrors } from './metadata-headers.ts';
import { traceparentOf } from './model-infer-rpc.ts';
import { malformedRequestError, toServiceError } from './status.ts';
import { TracedWrites } from './traced-writes.ts';

/** The grpc-js call of ModelStreamInfer. */
export type InferStreamCall = ServerDuplexStream<ModelInferRequestIn, ModelStreamInferResponseOut>;

/**
 * How much work a stream may hold, counted as requests read and not yet answered plus responses not yet sent
 * (a client that does not read its responses has them held in the server's memory): at this many, the
 * stream stops reading requests, and reads again once it holds half as many.
 */
export const MAX_STREAM_BACKLOG = 64;

/** A request's place in the order of responses: `ready` once answered with a message or an error to end with. */
interface Slot {
  ready: boolean;
  message?: ModelStreamInferResponseOut;
  /** The error the stream ends with when this slot's turn comes (metadata `triton_grpc_error: true`). */
  error?: unknown;
  writes?: TracedWrites;
}

/** Serves one ModelStreamInfer call. */
export class InferStream {
  readonly #ctx: GrpcContext;
  readonly #call: InferStreamCall;
  readonly #headers: HeaderGetter;
  readonly #grpcErrors: boolean;
  readonly #cancel = new AbortController();
  readonly #ordered: Slot[] = [];
  readonly #done: Promise<void>;
  #resolveDone!: () => void;
  #inFlight = 0;
  /** Responses handed to grpc-js and not yet sent. */
  #unsent = 0;
  #readPaused = false;
  #readEnded = false;
  #closing = false;
  #finished = false;

  /**
   * Starts serving `call`.
   * @param ctx - the data plane and tracing.
   * @param call - the stream; its initial metadata carries the trace context and `triton_grpc_error`.
   */
  constructor(ctx: GrpcContext, call: InferStreamCall) {
    this.#ctx = ctx;
    this.#call = call;
    this.#headers = metadataHeaders(call.metadata);
    this.#grpcErrors = wantsGrpcErrors(call.metadata);
    this.#done = new Promise((resolve) => (this.#resolveDone = resolve));
    call.on('data', (message: ModelInferRequestIn) => this.#onRequest(message));
    call.on('end', () => {
      this.#readEnded = true;
      this.#maybeEnd();
    });
    call.on('cancelled', () => {
      this.#cancel.abort();
      this.#settle();
    });
    call.on('error', () => this.#settle());
  }

  /** Resolves once the stream is over (ended, failed or cancelled). */
  get done(): Promise<void> {
    return this.#done;
  }

  /** Ends the stream (status OK) once the requests in flight are answered; for server shutdown. */
  close(): Promise<void> {
    this.#closing = true;
    this.#maybeEnd();
    return this.#done;
  }

  #onRequest(message: ModelInferRequestIn): void {
    if (this.#finished) return;
    const malformed = malformedRequestError(message);
    if (malformed) return this.#fail(malformed);
    const trace = this.#ctx.tracing.start(message.model_name, this.#headers, 'GRPC');
    trace?.describe?.(grpcEndpoint(this.#call, 'ModelStreamInfer'));
    trace?.received(nowNs());
    const writes = new TracedWrites(trace, this.#ctx.responseTraceHeaders ? traceparentOf(trace) : undefined);
    this.#inFlight++;
    this.#pauseOrResume();
    let prepared: PreparedRequest;
    try {
      prepared = prepareRequest(this.#ctx, message, trace, this.#cancel.signal);
    } catch (error) {
      this.#answerOrdered(this.#reserve(), message.id, Promise.reject(error), writes);
      return;
    }
    const { model, request } = prepared;
    if (model.config.decoupled) {
      const final = wantsEmptyFinalResponse(message.parameters)
        ? emptyFinalResponse(model.name, model.version, message.id)
        : undefined;
      this.#settleRequest(this.#streamDecoupled(message.id, request, writes, final));
    } else {
      this.#answerOrdered(this.#reserve(), message.id, this.#ctx.service.infer(request), writes);
    }
  }

  /** The status a failed request's answer carries: the stream ends with the error's, or an error response is OK. */
  #statusOf(error: unknown): number {
    return this.#grpcErrors ? (toServiceError(error).code ?? grpcStatus.UNKNOWN) : grpcStatus.OK;
  }

  /** Answers a request of a model that is not decoupled, in request order. */
  #answerOrdered(slot: Slot, id: string, result: Promise<InferenceResult>, writes: TracedWrites): void {
    const answered = result.then(
      (value) => {
        writes.answered(grpcStatus.OK);
        writes.responseComplete();
        this.#fill(slot, { message: { infer_response: withFinalFlag(encodeGrpcInferResponse(value), true) } }, writes);
      },
      (error: unknown) => {
        writes.failed(error);
        writes.answered(this.#statusOf(error));
        writes.responseComplete();
        if (this.#grpcErrors) this.#fill(slot, { error }, writes);
        else this.#fill(slot, { message: streamErrorResponse(id, TritonError.from(error).message) }, writes);
      },
    );
    this.#settleRequest(answered);
  }

  /**
   * Answers a request of a decoupled model: each response as it is produced, flagged not final; then `final`
   * (the empty final response), when the request asked for it.
   */
  async #streamDecoupled(
    id: string,
    request: InferenceRequest,
    writes: TracedWrites,
    final: ModelInferResponseOut | undefined,
  ): Promise<void> {
    try {
      await this.#ctx.service.stream(request, (result) =>
        this.#write({ infer_response: withFinalFlag(encodeGrpcInferResponse(result), false) }, writes),
      );
      writes.answered(grpcStatus.OK);
      writes.responseComplete();
      if (final) this.#write({ infer_response: final }, writes);
    } catch (error) {
      writes.failed(error);
      writes.answered(this.#statusOf(error));
      writes.responseComplete();
      if (this.#grpcErrors) this.#fail(error);
      else this.#write(streamErrorResponse(id, TritonError.from(error).message), writes);
    }
    writes.finish();
  }

  #settleRequest(answered: Promise<void>): void {
    void answered.finally(() => {
      this.#inFlight--;
      this.#pauseOrResume();
      this.#maybeEnd();
    });
  }

  #reserve(): Slot {
    const slot: Slot = { ready: false };
    this.#ordered.push(slot);
    return slot;
  }

  /** Answers `slot`, then writes every answered response whose earlier ones are written. */
  #fill(slot: Slot, answer: Pick<Slot, 'message' | 'error'>, writes: TracedWrites): void {
    Object.assign(slot, answer, { ready: true, writes });
    while (this.#ordered[0]?.ready) {
      const next = this.#ordered.shift()!;
      if (next.message) this.#write(next.message, next.writes!);
      else this.#fail(next.error);
      next.writes!.finish();
    }
  }

  #write(message: ModelStreamInferResponseOut, writes: TracedWrites): void {
    if (writes.traceparent !== undefined) message = withTraceparent(message, writes.traceparent);
    const written = writes.writing();
    if (this.#finished) {
      written();
      return;
    }
    this.#unsent++;
    this.#call.write(message, () => {
      this.#unsent--;
      this.#pauseOrResume();
      written();
    });
  }

  /** Stops reading requests while the stream holds {@link MAX_STREAM_BACKLOG}; reads again at half that. */
  #pauseOrResume(): void {
    const backlog = this.#inFlight + this.#unsent;
    if (!this.#readPaused && backlog >= MAX_STREAM_BACKLOG) {
      this.#readPaused = true;
      this.#call.pause();
    } else if (this.#readPaused && backlog <= MAX_STREAM_BACKLOG / 2) {
      this.#readPaused = false;
      this.#call.resume();
    }
  }

  /** Ends the stream with the status of `error` (metadata `triton_grpc_error: true`). */
  #fail(error: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#cancel.abort();
    this.#call.emit('error', toServiceError(error));
    this.#settle();
  }

  #maybeEnd(): void {
    if (this.#finished || this.#inFlight > 0 || this.#ordered.length > 0) return;
    if (!this.#readEnded && !this.#closing) return;
    this.#finished = true;
    this.#call.end();
    this.#settle();
  }

  #settle(): void {
    this.#finished = true;
    this.#resolveDone();
  }
}

/**
 * `message` with the `traceparent` of its request's trace as a response parameter (an error response,
 * which carries only the request's id, as it is): a stream's requests have a trace each, so it cannot be
 * the call's initial metadata as for ModelInfer.
 */
function withTraceparent(message: ModelStreamInferResponseOut, traceparent: string): ModelStreamInferResponseOut {
  if ('error_message' in message) return message;
  const response = message.infer_response;
  return {
    infer_response: { ...response, parameters: { ...response.parameters, traceparent: { string_param: traceparent } } },
  };
}
