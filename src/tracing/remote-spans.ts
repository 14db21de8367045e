/**
 * Spans recorded in worker instances, turned back into the SDK's `ReadableSpan` form on the main thread and
 * handed to the pipeline's span processor, with their ids unchanged (so they stay parented as recorded).
 *
 * @module
 */

import type { Attributes, HrTime, SpanContext, SpanKind } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { RemoteSpanData } from '../core/trace-hooks.ts';

type Scope = ReadableSpan['instrumentationScope'];

function duration(start: HrTime, end: HrTime): HrTime {
  let seconds = end[0] - start[0];
  let nanos = end[1] - start[1];
  if (nanos < 0) {
    seconds -= 1;
    nanos += 1e9;
  }
  return [seconds, nanos];
}

/**
 * A sink for {@link RemoteSpanData} that feeds `processor` spans of `resource`. Scopes are shared by name and
 * version (`ownScope`, the pipeline's own, included), so the exporter groups worker spans with the main thread's.
 */
export function remoteSpanSink(
  processor: Pick<SpanProcessor, 'onEnd'>,
  resource: Resource,
  ownScope: Scope,
): (spans: readonly RemoteSpanData[]) => void {
  const scopes = new Map<string, Scope>([
    [`${ownScope.name}\0${ownScope.version ?? ''}\0${ownScope.schemaUrl ?? ''}`, ownScope],
  ]);
  const scopeOf = (data: RemoteSpanData['scope']): Scope => {
    const key = `${data.name}\0${data.version ?? ''}\0${data.schemaUrl ?? ''}`;
    let scope = scopes.get(key);
    if (!scope) {
      scope = Object.freeze({
        name: data.name,
        ...(data.version && { version: data.version }),
        ...(data.schemaUrl && { schemaUrl: data.schemaUrl }),
      });
      if (scopes.size < 256) scopes.set(key, scope);
    }
    return scope;
  };
  return (spans) => {
    for (const data of spans) processor.onEnd(toReadableSpan(data, resource, scopeOf(data.scope)));
  };
}

function toReadableSpan(data: RemoteSpanData, resource: Resource, scope: Scope): ReadableSpan {
  const spanContext: SpanContext = { traceId: data.traceId, spanId: data.spanId, traceFlags: data.traceFlags };
  const parentSpanContext: SpanContext | undefined =
    data.parentSpanId === undefined
      ? undefined
      : { traceId: data.traceId, spanId: data.parentSpanId, traceFlags: data.traceFlags };
  return {
    name: data.name,
    kind: data.kind as SpanKind,
    spanContext: () => spanContext,
    ...(parentSpanContext && { parentSpanContext }),
    startTime: data.startTime,
    endTime: data.endTime,
    status: data.status,
    attributes: data.attributes as Attributes,
    links: data.links.map(({ attributes, ...context }) => ({
      context,
      ...(attributes && { attributes: attributes as Attributes }),
    })),
    events: data.events.map((e) => ({
      name: e.name,
      time: e.time,
      ...(e.attributes && { attributes: e.attributes as Attributes }),
    })),
    duration: duration(data.startTime, data.endTime),
    ended: true,
    resource,
    instrumentationScope: scope,
    droppedAttributesCount: data.droppedAttributesCount,
    droppedEventsCount: data.droppedEventsCount,
    droppedLinksCount: data.droppedLinksCount,
  };
}
