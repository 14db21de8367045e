/**
 * The span tree of a request traced in OpenTelemetry mode, declared once: the steps of a request's usual
 * course, and each span with its parent, the steps that start and end it, its events and its attributes.
 * Everything that builds the tree is derived from this declaration (tree-plan.ts): the general path
 * (otel-request-trace.ts), the compact path and its replay (compact-request-trace.ts), the spans' shapes and the
 * encoder's templates. Adding a span, an event or an attribute is one edit here.
 *
 * `by` says whose each item is: Triton's (what Triton exports, kept as it is) or ts-triton's (added).
 *
 * @module
 */

import type { AttributeValue } from '@opentelemetry/api';
import type { BatchFacts } from '../core/trace-hooks.ts';
import { FRONTEND_EVENTS, type FrontendProtocol, type FrontendTrace, type RequestEndpoint } from './frontend-trace.ts';

/** Who defines a span, event or attribute. */
export type Origin = 'Triton' | 'ts-triton';

/** What a request's trace knows of the request, for span names and attribute values. */
export interface RequestFacts {
  readonly protocol: FrontendProtocol;
  /** Triton's numeric trace id. */
  readonly tritonId: number;
  /** The model, once the request reached it. */
  readonly model: { readonly name: string; readonly version: number } | undefined;
  /** The request's id (`''` when it has none). */
  readonly requestId: string;
  /** Where the request came in, when the frontend said. */
  readonly endpoint: RequestEndpoint | undefined;
  /** The status it was answered with (HTTP status or gRPC status code), when the frontend said. */
  readonly status: number | undefined;
}

/** A step of a request's course, and how the frontends or the data plane report it to a trace. */
export interface StepDeclaration {
  readonly name: string;
  /** Reports the step to `trace` (what replaying it means); the first step is the trace's start itself. */
  readonly report?: (trace: FrontendTrace, ns: bigint, facts: RequestFacts) => void;
}

/** An event's name: one name, or one per protocol. */
export type EventName = string | Readonly<Record<FrontendProtocol, string>>;

/** An event of a span, at one step. */
export interface EventDeclaration {
  readonly at: StepName;
  readonly name: EventName;
  readonly by: Origin;
}

/** An attribute of a span: its key and value (undefined leaves it out). */
export interface AttributeDeclaration {
  readonly key: string;
  readonly value: (facts: RequestFacts) => AttributeValue | undefined;
  readonly by: Origin;
  /**
   * Whether its value differs for (nearly) every request, like an id: written for each request. Other values
   * recur (compared with `===`), and a tree's spans are written from bytes made once per set of them
   * (encode-recorded-tree.ts).
   */
  readonly perRequest?: true;
}

/** The model's name: what a span named after the request's model has for its name. */
export const MODEL_NAME: unique symbol = Symbol('the model name');

/** A span of the tree. */
export interface SpanDeclaration {
  /** How other spans name it as their parent. */
  readonly key: string;
  /** The span's name, or {@link MODEL_NAME}. */
  readonly name: string | typeof MODEL_NAME;
  /** The parent's key; the root has none (its parent is the propagated context's span, if any). */
  readonly parent?: string;
  /** The steps at which it starts and ends. */
  readonly start: StepName;
  readonly end: StepName;
  readonly events: readonly EventDeclaration[];
  /** Set when the span ends (from what the request's trace knows by then). */
  readonly attributes: readonly AttributeDeclaration[];
  /** Whether this is the span model code sees as `request.span` (exactly one span is). */
  readonly requestSpan?: true;
  readonly by: Origin;
}

/**
 * The steps of a request's usual course, in the order the frontends and the data plane report them. A request
 * that goes through them in this order is recorded compactly (compact-request-trace.ts).
 */
export const STEPS = [
  { name: 'START' },
  { name: 'RECEIVED', report: (t, ns) => t.received(ns) },
  { name: 'REQUEST_START', report: (t, ns, facts) => t.requestStart(facts.model!, facts.requestId, ns) },
  { name: 'QUEUE_START', report: (t, ns) => t.activity('QUEUE_START', ns) },
  { name: 'COMPUTE_START', report: (t, ns) => t.activity('COMPUTE_START', ns) },
  { name: 'CALLABLE_START', report: (t, ns) => void t.callableStart(ns) },
  { name: 'COMPUTE_INPUT_END', report: (t, ns) => t.activity('COMPUTE_INPUT_END', ns) },
  { name: 'CALLABLE_END', report: (t, ns) => t.callableEnd(ns) },
  { name: 'COMPUTE_OUTPUT_START', report: (t, ns) => t.activity('COMPUTE_OUTPUT_START', ns) },
  { name: 'COMPUTE_END', report: (t, ns) => t.activity('COMPUTE_END', ns) },
  { name: 'RESPONSE_COMPLETE', report: (t, ns) => t.responseComplete(ns) },
  { name: 'SEND_START', report: (t, ns) => t.sendStart(ns) },
  { name: 'SEND_END', report: (t, ns) => t.sendEnd(ns) },
] as const satisfies readonly StepDeclaration[];

/** The name of a step. */
export type StepName = (typeof STEPS)[number]['name'];

/** An event named `name` at step `at` (the step's own name by default). */
function event(at: StepName, name: EventName = at, by: Origin = 'Triton'): EventDeclaration {
  return { at, name, by };
}

/** The frontend's event named `role` in each protocol (HTTP_RECV_START / GRPC_WAITREAD_START, …). */
function frontendEvent(role: keyof (typeof FRONTEND_EVENTS)[FrontendProtocol]): EventName {
  return { HTTP: FRONTEND_EVENTS.HTTP[role], GRPC: FRONTEND_EVENTS.GRPC[role] };
}

/** The low-cardinality type of an error (`error.type`): its code (a TritonError's), else its class name. */
export function errorType(error: unknown): string {
  if (!(error instanceof Error)) return '_OTHER';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code !== '' ? code : error.name || '_OTHER';
}

/**
 * What a failure adds to each span of the tree that ends after it (from the span that failed up to the root):
 * the ERROR status with the error's message, an `exception` event and these attributes. A failure is the
 * infer function throwing, or the request answered with an error, refused, cancelled or timed out.
 */
export const ON_FAILURE = {
  event: 'exception',
  attributes: [{ key: 'error.type', value: errorType, by: 'ts-triton' }],
  by: 'ts-triton',
} as const satisfies {
  readonly event: string;
  readonly attributes: readonly { key: string; value: (error: unknown) => string; by: Origin }[];
  readonly by: Origin;
};

/** An attribute of OpenTelemetry's semantic conventions that ts-triton adds. */
function standard(key: string, value: AttributeDeclaration['value']): AttributeDeclaration {
  return { key, value, by: 'ts-triton' };
}
const http = (r: RequestFacts): boolean => r.protocol === 'HTTP';

/** Triton's span tree, root first, each span after its parent. */
export const SPAN_TREE: readonly SpanDeclaration[] = [
  {
    key: 'root',
    name: 'InferRequest',
    start: 'START',
    end: 'SEND_END',
    events: [
      event('START', frontendEvent('recvStart')),
      event('RECEIVED', frontendEvent('recvEnd')),
      event('RESPONSE_COMPLETE', 'INFER_RESPONSE_COMPLETE'),
      event('SEND_START', frontendEvent('sendStart')),
      event('SEND_END', frontendEvent('sendEnd')),
    ],
    // OpenTelemetry's HTTP and RPC server attributes.
    attributes: [
      standard('http.request.method', (r) => r.endpoint?.method),
      standard('http.route', (r) => r.endpoint?.route),
      standard('url.path', (r) => r.endpoint?.path),
      standard('http.response.status_code', (r) => (http(r) ? r.status : undefined)),
      standard('rpc.system', (r) => (http(r) ? undefined : 'grpc')),
      standard('rpc.service', (r) => r.endpoint?.rpcService),
      standard('rpc.method', (r) => r.endpoint?.rpcMethod),
      standard('rpc.grpc.status_code', (r) => (http(r) ? undefined : r.status)),
      standard('server.address', (r) => r.endpoint?.serverAddress),
      standard('server.port', (r) => r.endpoint?.serverPort),
      standard('client.address', (r) => r.endpoint?.clientAddress),
    ],
    by: 'Triton',
  },
  {
    key: 'model',
    name: MODEL_NAME,
    parent: 'root',
    start: 'REQUEST_START',
    end: 'RESPONSE_COMPLETE',
    events: [event('REQUEST_START'), event('QUEUE_START'), event('RESPONSE_COMPLETE', 'REQUEST_END')],
    attributes: [
      { key: 'triton.model_name', value: (r) => r.model!.name, by: 'Triton' },
      { key: 'triton.model_version', value: (r) => r.model!.version, by: 'Triton' },
      { key: 'triton.trace_id', value: (r) => r.tritonId, by: 'Triton', perRequest: true },
      { key: 'triton.trace_parent_id', value: () => 0, by: 'Triton' },
      {
        key: 'triton.request_id',
        value: (r) => (r.requestId === '' ? undefined : r.requestId),
        by: 'Triton',
        perRequest: true,
      },
    ],
    by: 'Triton',
  },
  {
    key: 'compute',
    name: 'compute',
    parent: 'model',
    start: 'COMPUTE_START',
    end: 'COMPUTE_END',
    events: [event('COMPUTE_START'), event('COMPUTE_INPUT_END'), event('COMPUTE_OUTPUT_START'), event('COMPUTE_END')],
    attributes: [],
    by: 'Triton',
  },
  {
    key: 'callable',
    name: 'infer_callable',
    parent: 'compute',
    start: 'CALLABLE_START',
    end: 'CALLABLE_END',
    events: [],
    attributes: [],
    requestSpan: true,
    by: 'ts-triton',
  },
];

/** What a batch's span knows of its execution (the data plane's {@link BatchFacts}). */
export type { BatchFacts };

/**
 * The span of one execution of a dynamic batch of two or more requests, at least one of them traced. As
 * OpenTelemetry's messaging conventions do for a batch, it is the root of a trace of its own (its members
 * belong to different traces) with a link to each traced member's `model` span (`linksTo`); each member's
 * `compute` span (`linkedFrom`) links back to it. It starts just before the members' compute spans and ends
 * when the infer function's call ended.
 */
export const BATCH_SPAN = {
  name: (model: string): string => `batch ${model}`,
  /** Around its members' computes (it starts before their first step and ends after their last). */
  start: 'COMPUTE_START',
  end: 'COMPUTE_END',
  linksTo: 'model',
  linkedFrom: 'compute',
  attributes: [
    { key: 'triton.model_name', value: (b: BatchFacts) => b.model.name, by: 'Triton' },
    { key: 'triton.model_version', value: (b: BatchFacts) => b.model.version, by: 'Triton' },
    { key: 'ts_triton.batch.size', value: (b: BatchFacts) => b.rows, by: 'ts-triton' },
    { key: 'ts_triton.batch.request_count', value: (b: BatchFacts) => b.requests, by: 'ts-triton' },
    { key: 'ts_triton.batch.instance', value: (b: BatchFacts) => b.instance, by: 'ts-triton' },
    // Seconds, as OpenTelemetry's durations.
    {
      key: 'ts_triton.batch.oldest_queue_duration',
      value: (b: BatchFacts) => Number(b.oldestQueueNs) / 1e9,
      by: 'ts-triton',
    },
  ],
  by: 'ts-triton',
} as const satisfies {
  readonly name: (model: string) => string;
  readonly start: StepName;
  readonly end: StepName;
  readonly linksTo: string;
  readonly linkedFrom: string;
  readonly attributes: readonly { key: string; value: (b: BatchFacts) => AttributeValue; by: Origin }[];
  readonly by: Origin;
};

/**
 * What a request of a decoupled model adds to its trace: on span `on`, an event per streamed response (with
 * its index, the first `maxEvents` only: a stream can be long, a span's events are kept in memory until it
 * ends), an event when the stream is cancelled (the span then ends in error as any failure), and these
 * attributes when the span ends.
 */
export const STREAM = {
  on: 'model',
  responseEvent: 'response',
  indexKey: 'ts_triton.response.index',
  maxEvents: 32,
  cancelEvent: 'cancelled',
  attributes: [
    { key: 'ts_triton.stream.response_count', value: (s: StreamFacts) => s.responses, by: 'ts-triton' },
    // Seconds from the request's arrival to its first response; left out when there was none.
    {
      key: 'ts_triton.stream.time_to_first_response',
      value: (s: StreamFacts) =>
        s.firstResponseNs === undefined ? undefined : Number(s.firstResponseNs - s.startNs) / 1e9,
      by: 'ts-triton',
    },
  ],
  by: 'ts-triton',
} as const satisfies {
  readonly on: string;
  readonly responseEvent: string;
  readonly indexKey: string;
  readonly maxEvents: number;
  readonly cancelEvent: string;
  readonly attributes: readonly { key: string; value: (s: StreamFacts) => AttributeValue | undefined; by: Origin }[];
  readonly by: Origin;
};

/** What a streamed request's trace knows of its stream. */
export interface StreamFacts {
  readonly responses: number;
  /** When the request arrived, and when its first response was delivered (monotonic nanoseconds). */
  readonly startNs: bigint;
  readonly firstResponseNs: bigint | undefined;
}
