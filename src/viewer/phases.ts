/**
 * Where a Triton-shaped request's time went: from the span tree ts-triton (and Triton) exports — `InferRequest`
 * (receive and send events) → the model's span (REQUEST_START, QUEUE_START, REQUEST_END, with
 * `triton.model_name` / `triton.model_version`) → `compute` (COMPUTE_START, COMPUTE_INPUT_END,
 * COMPUTE_OUTPUT_START, COMPUTE_END) — the request's time split into six phases:
 *
 * | phase | from | to |
 * |---|---|---|
 * | receive | HTTP_RECV_START / GRPC_WAITREAD_START | HTTP_RECV_END / GRPC_WAITREAD_END |
 * | queue | QUEUE_START | COMPUTE_START |
 * | computeInput | COMPUTE_START | COMPUTE_INPUT_END |
 * | infer | COMPUTE_INPUT_END | COMPUTE_OUTPUT_START |
 * | computeOutput | COMPUTE_OUTPUT_START | COMPUTE_END |
 * | send | HTTP_SEND_START / GRPC_SEND_START | HTTP_SEND_END / GRPC_SEND_END |
 *
 * A phase whose events are missing (a failed request, a span of another shape) is left out. The rest of the root
 * span's time (between the phases: routing, waiting to respond) is `otherNs`.
 *
 * Requests batched together share one execution: their COMPUTE_START events carry the same timestamp, which
 * `executionKey` exposes so that batch sizes can be counted over many traces.
 *
 * Pure, no Node imports: the page bundles it too. It reads a structural subset of {@link SpanRecord}.
 *
 * @module
 */

import type { AttributeValue } from './span-record.ts';

/** The phases, in the order a request goes through them. */
export const PHASES = ['receive', 'queue', 'computeInput', 'infer', 'computeOutput', 'send'] as const;

/** One of {@link PHASES}. */
export type PhaseName = (typeof PHASES)[number];

/** How the page labels each phase. */
export const PHASE_LABELS: Readonly<Record<PhaseName, string>> = {
  receive: 'receive',
  queue: 'queue',
  computeInput: 'compute input',
  infer: 'infer',
  computeOutput: 'compute output',
  send: 'send',
};

/** What phases reads of a span (a SpanRecord has all of it). */
export interface PhaseSpan {
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: readonly { readonly key: string; readonly value: AttributeValue }[];
  readonly events: readonly { readonly name: string; readonly timeUnixNano: bigint }[];
}

/** One phase of one request. */
export interface Phase {
  readonly name: PhaseName;
  readonly startUnixNano: bigint;
  readonly durationNs: number;
}

/** The time split of one Triton request (one `InferRequest` span). */
export interface RequestPhases {
  /** The `InferRequest` span. */
  readonly requestSpanId: string;
  /** The model's span (the child of `InferRequest` with `triton.model_name`). */
  readonly modelSpanId: string;
  readonly model: string;
  /** `triton.model_version` (-1 when absent). */
  readonly version: number;
  readonly protocol: 'HTTP' | 'GRPC';
  readonly startUnixNano: bigint;
  /** The `InferRequest` span's duration. */
  readonly totalNs: number;
  /** The phases found, in {@link PHASES} order. */
  readonly phases: readonly Phase[];
  /** `totalNs` less the phases' durations. */
  readonly otherNs: number;
  /** Same for every traced request of one batch execution (model, version, COMPUTE_START); '' without it. */
  readonly executionKey: string;
}

const FRONTEND = {
  HTTP: { recv: ['HTTP_RECV_START', 'HTTP_RECV_END'], send: ['HTTP_SEND_START', 'HTTP_SEND_END'] },
  GRPC: { recv: ['GRPC_WAITREAD_START', 'GRPC_WAITREAD_END'], send: ['GRPC_SEND_START', 'GRPC_SEND_END'] },
} as const;

/** Every Triton request of a trace, in start order; [] when the trace has none. */
export function requestPhases(spans: readonly PhaseSpan[]): RequestPhases[] {
  const children = new Map<string, PhaseSpan[]>();
  for (const span of spans) {
    const siblings = children.get(span.parentSpanId);
    if (siblings === undefined) children.set(span.parentSpanId, [span]);
    else siblings.push(span);
  }
  const found: RequestPhases[] = [];
  for (const span of spans) {
    if (span.name !== 'InferRequest') continue;
    const result = phasesOf(span, children);
    if (result !== undefined) found.push(result);
  }
  return found.sort((a, b) => (a.startUnixNano < b.startUnixNano ? -1 : a.startUnixNano > b.startUnixNano ? 1 : 0));
}

function phasesOf(root: PhaseSpan, children: ReadonlyMap<string, readonly PhaseSpan[]>): RequestPhases | undefined {
  const protocol = eventTime(root, 'GRPC_WAITREAD_START') !== undefined ? 'GRPC' : 'HTTP';
  const modelSpan = children.get(root.spanId)?.find((span) => attribute(span, 'triton.model_name') !== undefined);
  if (modelSpan === undefined) return undefined;
  const compute = children.get(modelSpan.spanId)?.find((span) => span.name === 'compute');
  const frontend = FRONTEND[protocol];
  const bounds: Readonly<Record<PhaseName, readonly [PhaseSpan | undefined, string, PhaseSpan | undefined, string]>> = {
    receive: [root, frontend.recv[0], root, frontend.recv[1]],
    queue: [modelSpan, 'QUEUE_START', compute, 'COMPUTE_START'],
    computeInput: [compute, 'COMPUTE_START', compute, 'COMPUTE_INPUT_END'],
    infer: [compute, 'COMPUTE_INPUT_END', compute, 'COMPUTE_OUTPUT_START'],
    computeOutput: [compute, 'COMPUTE_OUTPUT_START', compute, 'COMPUTE_END'],
    send: [root, frontend.send[0], root, frontend.send[1]],
  };
  const phases: Phase[] = [];
  for (const name of PHASES) {
    const [fromSpan, fromEvent, toSpan, toEvent] = bounds[name];
    const from = fromSpan === undefined ? undefined : eventTime(fromSpan, fromEvent);
    const to = toSpan === undefined ? undefined : eventTime(toSpan, toEvent);
    if (from !== undefined && to !== undefined && to >= from)
      phases.push({ name, startUnixNano: from, durationNs: Number(to - from) });
  }
  const model = String(attribute(modelSpan, 'triton.model_name'));
  const versionValue = attribute(modelSpan, 'triton.model_version');
  const version =
    typeof versionValue === 'bigint' || typeof versionValue === 'number'
      ? Number(versionValue)
      : Number(versionValue ?? -1);
  const totalNs = Number(root.endTimeUnixNano - root.startTimeUnixNano);
  const computeStart = compute === undefined ? undefined : eventTime(compute, 'COMPUTE_START');
  return {
    requestSpanId: root.spanId,
    modelSpanId: modelSpan.spanId,
    model,
    version: Number.isNaN(version) ? -1 : version,
    protocol,
    startUnixNano: root.startTimeUnixNano,
    totalNs,
    phases,
    otherNs: Math.max(0, totalNs - phases.reduce((sum, phase) => sum + phase.durationNs, 0)),
    executionKey: computeStart === undefined ? '' : `${model}\u0000${version}\u0000${computeStart}`,
  };
}

function eventTime(span: PhaseSpan, name: string): bigint | undefined {
  return span.events.find((event) => event.name === name)?.timeUnixNano;
}

function attribute(span: PhaseSpan, key: string): AttributeValue | undefined {
  return span.attributes.find((entry) => entry.key === key)?.value;
}
