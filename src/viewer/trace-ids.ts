/**
 * Trace and span id spellings shared by the query APIs and the page: Jaeger shortens a trace id whose high 64 bits
 * are zero to 16 hex digits; paths may carry either form, with leading zeros dropped.
 *
 * @module
 */

const ZERO_HIGH = '0000000000000000';

/** Jaeger's spelling of a 32-digit trace id: 16 digits when the high half is zero, else all 32. */
export function jaegerTraceId(traceId: string): string {
  return traceId.startsWith(ZERO_HIGH) ? traceId.slice(16) : traceId;
}

/** The 32-digit form of a hex trace id of 1 to 32 digits (any case), or undefined when it is not one. */
export function fullTraceId(hex: string): string | undefined {
  if (!/^[0-9a-fA-F]{1,32}$/.test(hex)) return undefined;
  return hex.toLowerCase().padStart(32, '0');
}
