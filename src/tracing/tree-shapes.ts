/**
 * The shapes of Triton's span tree in OpenTelemetry mode (`InferRequest` → model → `compute` →
 * `infer_callable`): each span's name and the events a request that goes the usual way gives it, in order; and
 * the model span's attributes. Shared by the request traces that build the tree.
 *
 * @module
 */

import type { Attributes } from '@opentelemetry/api';
import { FRONTEND_EVENTS, type FrontendProtocol } from './frontend-trace.ts';
import { ShapesByName, type SpanShape, spanShape } from './tree-span.ts';

/** The root span's shape per protocol: received, response complete, sent. */
export const ROOT_SHAPES: Readonly<Record<FrontendProtocol, SpanShape>> = {
  HTTP: rootShape(FRONTEND_EVENTS.HTTP),
  GRPC: rootShape(FRONTEND_EVENTS.GRPC),
};
/** The `compute` span's shape: the model execution's activities. */
export const COMPUTE_SHAPE = spanShape('compute', ['COMPUTE_START', 'COMPUTE_INPUT_END', 'COMPUTE_OUTPUT_START', 'COMPUTE_END']);
/** The `infer_callable` span's shape: the infer function's call, without events of its own. */
export const CALLABLE_SHAPE = spanShape('infer_callable');
/**
 * Model span shapes, one per model name. Past 1024 names, a model's spans get a shape without events (their
 * name is still the model's), which they never fit.
 */
const modelShapes = new ShapesByName(['REQUEST_START', 'QUEUE_START', 'REQUEST_END'], (name) => spanShape(name));

function rootShape(events: (typeof FRONTEND_EVENTS)[FrontendProtocol]): SpanShape {
  return spanShape('InferRequest', [events.recvStart, events.recvEnd, 'INFER_RESPONSE_COMPLETE', events.sendStart, events.sendEnd]);
}

/** The shape of the span of model `name`. */
export function modelShape(name: string): SpanShape {
  return modelShapes.shapeOf(name);
}

/** Whether `shape` is a model span shape kept for its name (spans that go the usual way fit it). */
export function isKeptModelShape(shape: SpanShape): boolean {
  return shape.events.length > 0;
}

/** The model span's attributes (Triton's). */
export function modelAttributes(
  model: { readonly name: string; readonly version: number },
  tritonId: number,
  requestId: string,
): Attributes {
  const attributes: Attributes = {
    'triton.model_name': model.name,
    'triton.model_version': model.version,
    'triton.trace_id': tritonId,
    'triton.trace_parent_id': 0,
  };
  if (requestId !== '') attributes['triton.request_id'] = requestId;
  return attributes;
}
