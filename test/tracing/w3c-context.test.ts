import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, type SpanContext, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { idFromHex } from '../../src/tracing/otlp/span-ids.ts';
import { extractW3CContext, type HeaderGetter } from '../../src/tracing/w3c-context.ts';

const TRACE_ID = '0af7651916cd43dd8448eb211c12666c';
const PARENT_ID = 'b7ad6b7169242424';
const VALID = `00-${TRACE_ID}-${PARENT_ID}-01`;

const headersOf =
  (values: Record<string, string | string[] | undefined>): HeaderGetter =>
  (name) =>
    values[name];

/** What OpenTelemetry's propagator extracts from the same headers. */
function propagatorResult(values: Record<string, string | string[] | undefined>): SpanContext | undefined {
  const getter = { keys: () => Object.keys(values), get: (carrier: typeof values, key: string) => carrier[key] };
  return trace.getSpanContext(new W3CTraceContextPropagator().extract(ROOT_CONTEXT, values, getter));
}

function sameAsPropagator(values: Record<string, string | string[] | undefined>): void {
  const mine = extractW3CContext(headersOf(values));
  const theirs = propagatorResult(values);
  assert.deepEqual(
    mine && { ...mine, traceState: mine.traceState?.serialize() },
    theirs && { ...theirs, traceState: theirs.traceState?.serialize() },
    JSON.stringify(values),
  );
}

describe('extractW3CContext', () => {
  it('reads a traceparent (and tracestate) into a remote span context', () => {
    assert.deepEqual(extractW3CContext(headersOf({ traceparent: VALID })), {
      traceId: TRACE_ID,
      spanId: PARENT_ID,
      traceFlags: 1,
      isRemote: true,
    });
    const withState = extractW3CContext(
      headersOf({ traceparent: [`00-${TRACE_ID}-${PARENT_ID}-00`], tracestate: ['a=1', 'b=2'] }),
    );
    assert.equal(withState?.traceFlags, 0);
    assert.equal(withState?.traceState?.serialize(), 'a=1,b=2');
    assert.equal(extractW3CContext(headersOf({})), undefined);
    assert.equal(extractW3CContext(headersOf({ traceparent: '00-not-a-context-01' })), undefined);
  });

  it('accepts and rejects exactly what the OpenTelemetry propagator does', () => {
    const cases = [
      VALID,
      `ff-${TRACE_ID}-${PARENT_ID}-01`,
      `fe-${TRACE_ID}-${PARENT_ID}-01`,
      `00-${'0'.repeat(32)}-${PARENT_ID}-01`,
      `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
      `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`,
      `00-${TRACE_ID}-${PARENT_ID}-0x`,
      ` ${VALID}`,
      `${VALID} `,
      `${VALID}\n`,
      `  ${VALID}`,
      `${VALID}-extra`,
      `01-${TRACE_ID}-${PARENT_ID}-01-extra`,
      `01-${TRACE_ID}-${PARENT_ID}-01-`,
      `01-${TRACE_ID}-${PARENT_ID}-01-extra\u2028`,
      `01-${TRACE_ID}-${PARENT_ID}-01x`,
      `00_${TRACE_ID}-${PARENT_ID}-01`,
      VALID.slice(0, -1),
      '',
    ];
    for (const traceparent of cases) sameAsPropagator({ traceparent });
    // Every character of a valid header replaced by each of a few others.
    for (let i = 0; i < VALID.length; i++) {
      for (const c of ['0', '1', 'a', 'f', 'g', 'A', '-', ' ']) {
        sameAsPropagator({ traceparent: VALID.slice(0, i) + c + VALID.slice(i + 1) });
      }
    }
    sameAsPropagator({ traceparent: [VALID, `00-${TRACE_ID}-${'1'.repeat(16)}-01`], tracestate: 'k=v' });
    sameAsPropagator({ traceparent: VALID, tracestate: 'not a list entry' });
  });
});

describe('idFromHex', () => {
  it('reads ids of either case into big-endian words', () => {
    assert.deepEqual([...idFromHex(PARENT_ID).words], [0xb7ad6b71, 0x69242424]);
    assert.deepEqual([...idFromHex(TRACE_ID.toUpperCase()).words], [0x0af76519, 0x16cd43dd, 0x8448eb21, 0x1c12666c]);
    assert.equal(idFromHex(TRACE_ID).hex, TRACE_ID);
    assert.deepEqual([...idFromHex('ffffffff00000001').words], [0xffffffff, 1]);
  });
});
