/**
 * The client's errors: one base class, and one subclass per way a call can fail, so callers can `catch` by
 * class (`instanceof`) or switch on `kind`.
 *
 * ```
 * ClientError
 * ├── ClientTimeoutError        the call's deadline passed (inferenceTimeoutS / initTimeoutS / timeoutS)
 * ├── ClientConnectionError     the server could not be reached (refused, reset, DNS)
 * ├── ClientClosedError         the client was closed
 * ├── ClientValueError          the call is wrong before it leaves (batch on a non-batching model, bad input)
 * └── InferenceServerError      the server answered with an error (5xx / other gRPC codes)
 *     ├── BadRequestError       4xx / INVALID_ARGUMENT: the server rejected the request
 *     └── ModelUnavailableError 404 / 503 / NOT_FOUND / UNAVAILABLE: the model is unknown or not ready
 * ```
 *
 * @module
 */

import { httpStatusOfGrpcCode } from '../protocol/status-codes.ts';

/** The stable name of each error class, as `error.kind`. */
export type ClientErrorKind =
  'timeout' | 'connection' | 'closed' | 'value' | 'server' | 'bad-request' | 'model-unavailable';

/** Base class of every error the client throws. */
export class ClientError extends Error {
  /** Which subclass this is, for `switch`. */
  readonly kind: ClientErrorKind;

  /**
   * @param kind - the subclass's kind.
   * @param message - what went wrong.
   * @param options - `cause`: the underlying error.
   */
  constructor(kind: ClientErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = new.target.name;
  }
}

/** A call's deadline passed before the server answered. */
export class ClientTimeoutError extends ClientError {
  /**
   * @param message - which call and which timeout.
   * @param options - `cause`: the underlying error.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super('timeout', message, options);
  }
}

/** The server could not be reached (connection refused or reset, unknown host). */
export class ClientConnectionError extends ClientError {
  /**
   * @param message - what failed.
   * @param options - `cause`: the underlying error.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super('connection', message, options);
  }
}

/** The client was used after `close()`. */
export class ClientClosedError extends ClientError {
  constructor() {
    super('closed', 'the client is closed');
  }
}

/** The call cannot be made as given (e.g. `inferBatch` on a model without batching, an unknown input). */
export class ClientValueError extends ClientError {
  /**
   * @param message - what is wrong with the call.
   * @param options - `cause`: the underlying error.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super('value', message, options);
  }
}

/** Where a server error came from: the HTTP status, or the gRPC status code. */
export interface ServerStatus {
  /** The HTTP status (HTTP), or the HTTP status Triton maps the gRPC code from (gRPC). */
  readonly httpStatus: number;
  /** The gRPC status code; undefined over HTTP. */
  readonly grpcCode?: number;
}

/** The server answered with an error; `serverMessage` is its message, `httpStatus`/`grpcCode` its status. */
export class InferenceServerError extends ClientError {
  /** The server's own message. */
  readonly serverMessage: string;
  /** The HTTP status (over gRPC: the HTTP status of the same Triton error code). */
  readonly httpStatus: number;
  /** The gRPC status code; undefined over HTTP. */
  readonly grpcCode: number | undefined;

  /**
   * @param serverMessage - the server's message.
   * @param status - the HTTP status and gRPC code.
   * @param kind - set by subclasses.
   */
  constructor(serverMessage: string, status: ServerStatus, kind: ClientErrorKind = 'server') {
    super(kind, `server error ${describeStatus(status)}: ${serverMessage}`);
    this.serverMessage = serverMessage;
    this.httpStatus = status.httpStatus;
    this.grpcCode = status.grpcCode;
  }
}

/** The server rejected the request as invalid (HTTP 4xx, gRPC INVALID_ARGUMENT and similar). */
export class BadRequestError extends InferenceServerError {
  /**
   * @param serverMessage - the server's message.
   * @param status - the HTTP status and gRPC code.
   */
  constructor(serverMessage: string, status: ServerStatus) {
    super(serverMessage, status, 'bad-request');
  }
}

/** The model is unknown, unloaded or not ready (HTTP 404/503, gRPC NOT_FOUND/UNAVAILABLE, or never ready). */
export class ModelUnavailableError extends InferenceServerError {
  /**
   * @param serverMessage - the server's message (or why the model is considered unavailable).
   * @param status - the HTTP status and gRPC code.
   */
  constructor(serverMessage: string, status: ServerStatus) {
    super(serverMessage, status, 'model-unavailable');
  }
}

/**
 * `error` as a client error: a ClientError is kept; any other (the tensor layer's `TensorError`, a codec's
 * error) becomes `wrap(its message)`, with `error` as its cause.
 */
export function asClientError(error: unknown, wrap: (message: string) => ClientError): ClientError {
  if (error instanceof ClientError) return error;
  const wrapped = wrap(error instanceof Error ? error.message : String(error));
  (wrapped as { cause?: unknown }).cause = error;
  return wrapped;
}

function describeStatus(status: ServerStatus): string {
  return status.grpcCode === undefined ? `(HTTP ${status.httpStatus})` : `(gRPC code ${status.grpcCode})`;
}

/**
 * The error of an HTTP error answer: 404/503 → {@link ModelUnavailableError}, other 4xx →
 * {@link BadRequestError}, anything else → {@link InferenceServerError}.
 * @param httpStatus - the response status.
 * @param message - the server's message (`error` of the body).
 */
export function httpStatusError(httpStatus: number, message: string): InferenceServerError {
  const status = { httpStatus };
  if (httpStatus === 404 || httpStatus === 503) return new ModelUnavailableError(message, status);
  if (httpStatus >= 400 && httpStatus < 500) return new BadRequestError(message, status);
  return new InferenceServerError(message, status);
}

/**
 * The error of a gRPC status that is not DEADLINE_EXCEEDED: mapped like the HTTP status of the same Triton
 * error (NOT_FOUND/UNAVAILABLE → {@link ModelUnavailableError}, INVALID_ARGUMENT etc. → {@link BadRequestError}).
 * @param grpcCode - the status code.
 * @param message - the status details.
 */
export function grpcStatusError(grpcCode: number, message: string): InferenceServerError {
  const httpStatus = httpStatusOfGrpcCode(grpcCode);
  const error = httpStatusError(httpStatus, message);
  return error instanceof ModelUnavailableError
    ? new ModelUnavailableError(message, { httpStatus, grpcCode })
    : error instanceof BadRequestError
      ? new BadRequestError(message, { httpStatus, grpcCode })
      : new InferenceServerError(message, { httpStatus, grpcCode });
}
