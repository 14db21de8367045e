/**
 * The active OpenTelemetry context as W3C `traceparent`/`tracestate` headers, so the server's spans join the
 * caller's trace.
 *
 * @module
 */

import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

const w3c = new W3CTraceContextPropagator();

/**
 * Headers carrying the active context. Uses the globally registered propagator; when that writes no
 * `traceparent` although a span is active (no propagator registered), the W3C trace context is written.
 */
export function traceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  const active = context.active();
  propagation.inject(active, carrier);
  if (carrier.traceparent === undefined && trace.getSpanContext(active) !== undefined)
    w3c.inject(active, carrier, {
      set: (c, key, value) => {
        (c as Record<string, string>)[key] = value;
      },
    });
  return carrier;
}
