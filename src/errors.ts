/**
 * The one error model of ts-triton: a single error class carrying one of Triton's error codes,
 * mapped once to an HTTP status and a gRPC status code (by the table in `protocol/status-codes.ts`).
 *
 * @module
 */

import { ErrorCode, grpcStatusOf, httpStatusOf } from './protocol/status-codes.ts';
import { TensorError } from './tensor/tensor-error.ts';

export { ErrorCode };

const BRAND = Symbol.for('ts-triton.error');

/**
 * The error every part of ts-triton throws and every frontend understands.
 *
 * `code` is stable and decides the wire status; `message` is what clients see.
 * `instanceof` holds across duplicate installs of the package.
 */
export class TritonError extends Error {
  /** Triton's error code. */
  readonly code: ErrorCode;

  /**
   * @param code - Triton's error code, which decides the HTTP and gRPC status.
   * @param message - the message sent to the client.
   * @param options - `cause`, kept for logs and never sent on the wire.
   */
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TritonError';
    this.code = code;
  }

  /** The HTTP status Triton answers with for this error. */
  get httpStatus(): number {
    return httpStatusOf(this.code);
  }

  /** The gRPC status code Triton answers with for this error. */
  get grpcStatus(): number {
    return grpcStatusOf(this.code);
  }

  /** True for any TritonError, including one from another copy of this package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /**
   * Normalises anything thrown into a TritonError: the tensor layer's error (data that does not fit its
   * datatype or shape) becomes INVALID_ARG, any other foreign error INTERNAL, each with its message.
   * @param reason - what was thrown.
   */
  static from(reason: unknown): TritonError {
    if (reason instanceof TritonError) return reason;
    if (reason instanceof TensorError) return new TritonError(ErrorCode.INVALID_ARG, reason.message, { cause: reason });
    if (reason instanceof Error) return new TritonError(ErrorCode.INTERNAL, reason.message, { cause: reason });
    return new TritonError(ErrorCode.INTERNAL, String(reason), { cause: reason });
  }
}

Object.defineProperty(TritonError.prototype, BRAND, { value: true });

/** Shorthand for an INVALID_ARG error (HTTP 400). */
export function invalidArg(message: string): TritonError {
  return new TritonError(ErrorCode.INVALID_ARG, message);
}

/** About how many characters of a value from a request an error message quotes. */
const QUOTE_LIMIT = 100;

/** How deep {@link quote} writes nested arrays and objects; deeper ones are written `[…]` and `{…}`. */
const QUOTE_DEPTH = 3;

/**
 * A value from a request as an error message quotes it: as JSON, but never whole — cut after about 100
 * characters (ending in `…`) and with nesting deeper than three levels elided — so a message stays short and
 * writing it cannot exhaust the stack, whatever the client sent. Small values read exactly as `JSON.stringify`
 * writes them.
 */
export function quote(value: unknown): string {
  const out = { text: '' };
  writeQuoted(value, QUOTE_DEPTH, out);
  return out.text.length > QUOTE_LIMIT ? `${out.text.slice(0, QUOTE_LIMIT)}…` : out.text;
}

function writeQuoted(value: unknown, depth: number, out: { text: string }): void {
  if (typeof value === 'string') {
    out.text += JSON.stringify(value.length > QUOTE_LIMIT ? value.slice(0, QUOTE_LIMIT) : value);
  } else if (Array.isArray(value)) {
    if (depth === 0) {
      out.text += value.length === 0 ? '[]' : '[…]';
      return;
    }
    out.text += '[';
    for (let i = 0; i < value.length && out.text.length <= QUOTE_LIMIT; i++) {
      if (i > 0) out.text += ',';
      writeQuoted(value[i], depth - 1, out);
    }
    out.text += ']';
  } else if (typeof value === 'object' && value !== null) {
    if (depth === 0) {
      out.text += '{…}';
      return;
    }
    out.text += '{';
    let first = true;
    for (const key in value) {
      if (out.text.length > QUOTE_LIMIT) break;
      out.text += `${first ? '' : ','}${JSON.stringify(key.length > QUOTE_LIMIT ? key.slice(0, QUOTE_LIMIT) : key)}:`;
      first = false;
      writeQuoted((value as Record<string, unknown>)[key], depth - 1, out);
    }
    out.text += '}';
  } else {
    out.text += String(value);
  }
}
