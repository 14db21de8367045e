/**
 * Jaeger's v1 JSON API (the routes Jaeger UI up to 2.14 and Grafana's Jaeger data source call), answered from the
 * trace store with Jaeger's envelope, units and error bodies.
 *
 * @module
 */

import type { ApiRequest } from './request.ts';
import { type ApiResponse, envelope, jaegerError } from './respond.ts';
import { kindName, kindNumber } from './span-kinds.ts';

/** `GET /api/services`: every service name; `total` is their count. */
export function services({ store, url }: ApiRequest): ApiResponse {
  const names = store.services();
  return envelope(names, url, { total: names.length });
}

/** `GET /api/services/{service}/operations`: the service's operation names, of every span kind, once each. */
export function serviceOperations({ store, url, params }: ApiRequest): ApiResponse {
  const names = [...new Set(store.operations(params['service']!).map((operation) => operation.name))];
  return envelope(names, url, { total: names.length });
}

/** `GET /api/operations?service=&spanKind=`: the service's operations with their kinds, of one kind or all. */
export function operations({ store, url }: ApiRequest): ApiResponse {
  const service = url.searchParams.get('service') ?? '';
  if (service === '') return jaegerError(400, "parameter 'service' is required");
  const spanKind = url.searchParams.get('spanKind') ?? '';
  const wanted = spanKind === '' ? undefined : kindNumber(spanKind);
  const data =
    spanKind !== '' && wanted === undefined
      ? []
      : store
          .operations(service)
          .filter((operation) => wanted === undefined || operation.kind === wanted)
          .map((operation) => ({ name: operation.name, spanKind: kindName(operation.kind) }));
  return envelope(data, url, { total: data.length });
}
