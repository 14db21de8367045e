/**
 * Triton's error codes and the HTTP status and gRPC status code each is answered with: the one table the
 * server's `TritonError` and the client's error mapping both read.
 *
 * @module
 */

/** Triton's error codes (`TRITONSERVER_Error_Code`), as stable strings. */
export const ErrorCode = {
  UNKNOWN: 'UNKNOWN',
  INTERNAL: 'INTERNAL',
  NOT_FOUND: 'NOT_FOUND',
  INVALID_ARG: 'INVALID_ARG',
  UNAVAILABLE: 'UNAVAILABLE',
  UNSUPPORTED: 'UNSUPPORTED',
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  CANCELLED: 'CANCELLED',
} as const;

/** One of the {@link ErrorCode} values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Each code's HTTP status and gRPC canonical status number, as Triton maps them (`grpc_utils.cc`). */
const STATUS: Readonly<Record<ErrorCode, { readonly http: number; readonly grpc: number }>> = {
  UNKNOWN: { http: 400, grpc: 2 },
  INTERNAL: { http: 500, grpc: 13 },
  NOT_FOUND: { http: 404, grpc: 5 },
  INVALID_ARG: { http: 400, grpc: 3 },
  UNAVAILABLE: { http: 503, grpc: 14 },
  UNSUPPORTED: { http: 501, grpc: 12 },
  ALREADY_EXISTS: { http: 400, grpc: 6 },
  CANCELLED: { http: 400, grpc: 1 },
};

/**
 * gRPC statuses Triton never answers with but a proxy or another KServe server may, with the HTTP status of
 * the same failure: RESOURCE_EXHAUSTED, FAILED_PRECONDITION, OUT_OF_RANGE.
 */
const OTHER_GRPC_HTTP: Readonly<Record<number, number>> = { 8: 429, 9: 400, 11: 400 };

const GRPC_TO_HTTP: ReadonlyMap<number, number> = new Map([
  ...Object.values(STATUS).map(({ http, grpc }) => [grpc, http] as const),
  ...Object.entries(OTHER_GRPC_HTTP).map(([grpc, http]) => [Number(grpc), http] as const),
]);

/** The HTTP status Triton answers an error of `code` with. */
export function httpStatusOf(code: ErrorCode): number {
  return STATUS[code].http;
}

/** The gRPC status code Triton answers an error of `code` with. */
export function grpcStatusOf(code: ErrorCode): number {
  return STATUS[code].grpc;
}

/** The HTTP status of the error a gRPC status code stands for (500 for a code no table names). */
export function httpStatusOfGrpcCode(grpcCode: number): number {
  return GRPC_TO_HTTP.get(grpcCode) ?? 500;
}
