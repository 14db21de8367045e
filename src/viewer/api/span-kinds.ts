/**
 * Span kinds as Jaeger names them (`server`, `client`, …; '' for UNSPECIFIED), both ways.
 *
 * @module
 */

import { SpanKind } from '../span-record.ts';
import type { OperationRecord, TraceStore } from '../store/trace-store.ts';

const NAMES: readonly string[] = ['', 'internal', 'server', 'client', 'producer', 'consumer'];

/** Jaeger's name of an OTLP SpanKind number ('' for UNSPECIFIED and unknown numbers). */
export function kindName(kind: number): string {
  return NAMES[kind] ?? '';
}

/** The SpanKind number of a Jaeger kind name (any case), or undefined when it names none. */
export function kindNumber(name: string): number | undefined {
  const index = NAMES.indexOf(name.toLowerCase());
  return index > 0 ? index : name.toLowerCase() === 'unspecified' ? SpanKind.UNSPECIFIED : undefined;
}

/** A service's operations of the kind named by `spanKind` ('' for all; a name of no kind finds none). */
export function operationsOfKind(store: TraceStore, service: string, spanKind: string): OperationRecord[] {
  if (spanKind === '') return store.operations(service);
  const wanted = kindNumber(spanKind);
  return wanted === undefined ? [] : store.operations(service).filter((operation) => operation.kind === wanted);
}
