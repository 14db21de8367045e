/**
 * gRPC metadata read as request headers (for the W3C trace context: `traceparent`, `tracestate`).
 *
 * @module
 */

import type { Metadata } from '@grpc/grpc-js';
import type { HeaderGetter } from '../../tracing/w3c-context.ts';

/** Reads string metadata by (lowercase) key: one value as a string, several as a list, none as undefined. */
export function metadataHeaders(metadata: Metadata): HeaderGetter {
  return (name) => {
    const values = metadata.get(name).filter((v): v is string => typeof v === 'string');
    if (values.length === 0) return undefined;
    return values.length === 1 ? values[0] : values;
  };
}

/** Whether the client asked for errors as gRPC statuses on a stream (metadata `triton_grpc_error: true`). */
export function wantsGrpcErrors(metadata: Metadata): boolean {
  return metadata.get('triton_grpc_error').some((v) => typeof v === 'string' && v.toLowerCase() === 'true');
}
