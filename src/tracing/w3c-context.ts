/**
 * Reading a request's propagated W3C trace context (`traceparent`, `tracestate`), from HTTP headers or gRPC
 * metadata alike.
 *
 * @module
 */

import { type Context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** Reads one header (lowercase name) of an incoming request; gRPC metadata works the same way. */
export type HeaderGetter = (name: string) => string | string[] | undefined;

const propagator = new W3CTraceContextPropagator();
const getter = {
  keys: (): string[] => ['traceparent', 'tracestate'],
  get: (carrier: HeaderGetter, key: string) => carrier(key),
};

/** The propagated W3C context of a request, or undefined when it carries no valid one. */
export function extractW3CContext(headers: HeaderGetter): Context | undefined {
  if (headers('traceparent') === undefined) return undefined;
  const context = propagator.extract(ROOT_CONTEXT, headers, getter);
  return trace.getSpanContext(context) ? context : undefined;
}
