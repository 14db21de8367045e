/**
 * One request on a `ModelStreamInfer` stream as an async iterator of its responses: sent with
 * `triton_enable_empty_final_response` on a stream that is half-closed right after it, so the iterator ends on
 * the response flagged `triton_final_response` (Triton) or on the stream's OK status once the server has sent
 * every response (servers that do not flag the final response). Each response is
 * awaited at most the inference timeout.
 *
 * @module
 */

import type { ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import type { NDArray } from '../tensor/ndarray.ts';
import { ClientTimeoutError, InferenceServerError } from './errors.ts';
import { grpcFailure } from './grpc-errors.ts';
import { decodeGrpcInferResponse, isFinalResponse, type ModelInferResponseIn } from './grpc-infer-message.ts';

/** A decoded `ModelStreamInferResponse`. */
interface StreamResponseIn {
  readonly error_message: string;
  readonly infer_response: ModelInferResponseIn | null;
}

/** What the stream delivers: a response, its failure, or its end. */
type StreamEvent =
  | { readonly kind: 'response'; readonly response: StreamResponseIn }
  | { readonly kind: 'error'; readonly error: Error }
  | { readonly kind: 'end' };

/** Events of a call, buffered until they are read. */
class EventQueue {
  readonly #events: StreamEvent[] = [];
  #waiting: ((event: StreamEvent) => void) | undefined;

  push(event: StreamEvent): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting) waiting(event);
    else this.#events.push(event);
  }

  /** The next event, or undefined when none comes within `timeoutMs`. */
  next(timeoutMs: number): Promise<StreamEvent | undefined> {
    const event = this.#events.shift();
    if (event) return Promise.resolve(event);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.#waiting = (e) => {
        clearTimeout(timer);
        resolve(e);
      };
    });
  }
}

/**
 * Sends `request` on `call`, half-closes it, and yields the outputs of each response until the final one or the
 * stream's end; cancels the call when the consumer stops early or a response is late.
 * @param call - a fresh ModelStreamInfer call.
 * @param request - the `ModelInferRequest` object.
 * @param modelName - for messages.
 * @param timeoutMs - the longest wait for each response.
 * @throws {ClientTimeoutError} when a response does not come in time.
 * @throws {InferenceServerError} (or a subclass) for an `error_message` or a failing status.
 */
export async function* streamResponses(
  call: ClientDuplexStream<object, StreamResponseIn>,
  request: object,
  modelName: string,
  timeoutMs: number,
): AsyncGenerator<Record<string, NDArray>, void, undefined> {
  const queue = new EventQueue();
  call.on('data', (response: StreamResponseIn) => queue.push({ kind: 'response', response }));
  call.on('error', (error: ServiceError) =>
    queue.push({ kind: 'error', error: grpcFailure(error, 'ModelStreamInfer', timeoutMs) }),
  );
  call.on('status', (status: { code: number }) => {
    if (status.code === 0) queue.push({ kind: 'end' });
  });
  let finished = false;
  try {
    call.write(request);
    call.end();
    for (;;) {
      const event = await queue.next(timeoutMs);
      if (!event) throw new ClientTimeoutError(`no response from '${modelName}' within ${timeoutMs / 1000} s`);
      if (event.kind === 'error') throw event.error;
      if (event.kind === 'end') {
        finished = true;
        return;
      }
      const { response } = event;
      if (response.error_message !== '') {
        throw new InferenceServerError(response.error_message, { httpStatus: 500, grpcCode: 2 });
      }
      const infer = response.infer_response;
      if (!infer) continue;
      const final = isFinalResponse(infer);
      if (infer.outputs.length > 0) yield decodeGrpcInferResponse(infer, modelName);
      if (final) {
        finished = true;
        return;
      }
    }
  } finally {
    if (!finished) call.cancel();
  }
}
