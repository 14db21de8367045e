/**
 * Reading a request's propagated W3C trace context (`traceparent`, `tracestate`), from HTTP headers or gRPC
 * metadata alike. What is accepted is exactly what OpenTelemetry's `W3CTraceContextPropagator` accepts: the
 * usual header (55 characters, lowercase hex) is checked here character by character, anything else goes to
 * the propagator's own parser. Every request a traced client sends carries one, so this is a hot path, where
 * the propagator's regular expression, context object and hex parsing cost a measurable share of a request
 * (docs/performance.md, "Figures behind design choices").
 *
 * @module
 */

import type { SpanContext } from '@opentelemetry/api';
import { parseTraceParent, TraceState } from '@opentelemetry/core';

/** Reads one header (lowercase name) of an incoming request; gRPC metadata works the same way. */
export type HeaderGetter = (name: string) => string | string[] | undefined;

/** The length of a `traceparent` made of version, trace id, parent id and flags only. */
const PLAIN_LENGTH = 55;

/** The propagated W3C span context of a request (remote), or undefined when it carries no valid one. */
export function extractW3CContext(headers: HeaderGetter): SpanContext | undefined {
  const header = headers('traceparent');
  if (!header) return undefined;
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string') return undefined;
  const parsed = isPlainTraceParent(value)
    ? { traceId: value.slice(3, 35), spanId: value.slice(36, 52), traceFlags: hexByte(value, 53) }
    : parseTraceParent(value);
  if (!parsed) return undefined;
  const context: SpanContext = { ...parsed, isRemote: true };
  const stateHeader = headers('tracestate');
  if (stateHeader) {
    const state = Array.isArray(stateHeader) ? stateHeader.join(',') : stateHeader;
    context.traceState = new TraceState(typeof state === 'string' ? state : undefined);
  }
  return context;
}

/**
 * Whether `value` is a valid `traceparent` of exactly version, trace id, parent id and flags: two lowercase
 * hex digits other than `ff`, 32 not all zero, 16 not all zero, 2; separated by dashes.
 */
function isPlainTraceParent(value: string): boolean {
  if (value.length !== PLAIN_LENGTH || value.charCodeAt(2) !== DASH || value.charCodeAt(35) !== DASH) return false;
  if (value.charCodeAt(52) !== DASH || (value.charCodeAt(0) === F && value.charCodeAt(1) === F)) return false;
  return (
    hexRun(value, 0, 2) >= 0 && hexRun(value, 3, 35) > 0 && hexRun(value, 36, 52) > 0 && hexRun(value, 53, 55) >= 0
  );
}

const DASH = 0x2d;
const F = 0x66;

/** The value of lowercase hex digit `code`, or -1. */
function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
}

/** Checks that `value[start, end)` is lowercase hex: -1 if not, else 1 when a digit is not zero, 0 when all are. */
function hexRun(value: string, start: number, end: number): number {
  let nonZero = 0;
  for (let i = start; i < end; i++) {
    const digit = hexDigit(value.charCodeAt(i));
    if (digit < 0) return -1;
    nonZero |= digit;
  }
  return nonZero === 0 ? 0 : 1;
}

/** The byte given by the two hex digits at `at`. */
function hexByte(value: string, at: number): number {
  return hexDigit(value.charCodeAt(at)) * 16 + hexDigit(value.charCodeAt(at + 1));
}
