/**
 * What the gRPC frontend needs from the server.
 *
 * @module
 */

import type { InferenceService } from '../../core/inference-service.ts';
import type { TraceManager } from '../../tracing/trace-manager.ts';

/** The data plane, the server metadata and the tracing, shared with the HTTP frontend. */
export interface GrpcContext {
  readonly service: InferenceService;
  /** The server metadata object (`GET /v2`, `ServerMetadata`). */
  readonly serverMetadata: () => object;
  /** The server's tracing. */
  readonly tracing: TraceManager;
  /** ModelInfer answers a traced call with `traceparent` in its initial metadata (`responseTraceHeaders`). */
  readonly responseTraceHeaders?: boolean;
}
