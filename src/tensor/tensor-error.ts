/**
 * The tensor layer's error: data that does not fit a shape or datatype, or binary tensor bytes that do not
 * hold what their datatype and shape say. The message names the field and the expected value. The server
 * answers it as INVALID_ARG (`TritonError.from`); the client wraps it in a `ClientError`.
 *
 * @module
 */

const BRAND = Symbol.for('ts-triton.tensor-error');

/** Thrown by NDArray and the binary tensor codec for data that does not hold what it should. */
export class TensorError extends Error {
  /** @param message - what does not fit, naming the field and the expected value. */
  constructor(message: string) {
    super(message);
    this.name = 'TensorError';
  }

  /** True for any TensorError, including one from another copy of this package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

Object.defineProperty(TensorError.prototype, BRAND, { value: true });
