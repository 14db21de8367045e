/**
 * The code a worker instance runs (piscina's task handler): loads the model's infer function from its module
 * once, then runs each batch posted to it and posts the outcomes back with their memory transferred.
 * Cancellation arrives on the pool's broadcast channel; spans recorded here go back with each batch's outcome.
 *
 * @module
 */

import { getPriority, setPriority } from 'node:os';
import { BroadcastChannel, type MessagePort, type Transferable } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { log } from '../../logger.ts';
import type { RequestTracer } from '../trace-hooks.ts';
import { type InferFunc, type ModelInfo, type Parameters, Request } from '../request.ts';
import type { EncodedSpans, SpanCall } from '../trace-hooks.ts';
import { loadInferFunc } from './infer-module.ts';
import {
  errorToWire,
  fromWire,
  outcomeToWire,
  TransferList,
  type WireArray,
  type WireError,
  type WireOutcome,
} from './transfer.ts';

/** What every worker of a model's pool is started with. */
export interface InstanceWorkerData {
  readonly module: string;
  readonly exportName: string;
  readonly model: ModelInfo;
  /** The pool's broadcast channel, on which the main thread announces cancelled requests. */
  readonly channel: string;
  /** How much to lower this thread's scheduling priority (`InstanceGroup.niceIncrement`). */
  readonly niceIncrement: number;
}

/** The span context of a traced request's `infer_callable` span, as posted. */
export interface WireSpanContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
}

/** One request of a posted batch. */
export interface WireRequest {
  readonly data: Record<string, WireArray>;
  readonly parameters: Parameters;
  readonly requestedOutputNames: readonly string[];
  readonly id: string;
  /** Present when the request is traced (its span records). */
  readonly span?: WireSpanContext | undefined;
}

/** A batch posted to a worker. */
export interface BatchTask {
  readonly batchId: number;
  readonly requests: readonly WireRequest[];
  /**
   * Shared flags, one per request, set to 1 when it is cancelled: read when the batch starts, since a
   * cancellation broadcast before this worker's channel existed (a worker still starting) reaches nobody.
   */
  readonly cancelled: Int32Array;
  /** For a decoupled model: where each step's responses, then the end, are posted. */
  readonly port?: MessagePort | undefined;
}

/** What a worker posts back when the infer function returned or threw (or a decoupled one ended). */
export interface BatchResult {
  readonly outcomes?: readonly WireOutcome[] | undefined;
  /** The infer function threw (or the value it returned cannot be sent): every request fails with it. */
  readonly failure?: WireError | undefined;
  /** Per request, what the code did to `request.span`. */
  readonly spanCalls: readonly (readonly SpanCall[])[];
  /** Spans recorded in this worker since the last batch result. */
  readonly spans: readonly EncodedSpans[];
}

/** What a decoupled model's worker posts for each step. */
export interface StepMessage {
  readonly step?: readonly WireOutcome[];
  readonly end?: BatchResult;
}

const data = workerData as InstanceWorkerData;
const loading = loadInferFunc(data.module, data.exportName);
// Loading runs at the process's priority (a replacement worker has batches waiting); the model's code below it.
loading.then(() => lowerPriority(data.niceIncrement)).catch(() => undefined); // reported by probe() and by every batch
let inferFunc: Awaited<typeof loading>;
const running = new Map<number, AbortController[]>();
/**
 * Cancellations that arrived before their batch (the broadcast channel and the task's port are not ordered);
 * every worker hears every cancellation, so the oldest are forgotten past a bound.
 */
const early = new Map<number, number[]>();
const EARLY_LIMIT = 1024;
const channel = new BroadcastChannel(data.channel);
channel.unref();
channel.onmessage = (event: unknown): void => {
  const { batchId, index } = (event as { data: { batchId: number; index: number } }).data;
  const controllers = running.get(batchId);
  if (controllers) {
    controllers[index]?.abort();
    return;
  }
  early.set(batchId, [...(early.get(batchId) ?? []), index]);
  if (early.size > EARLY_LIMIT) early.delete(early.keys().next().value!);
};

type WorkerTracing = typeof import('../../tracing/worker-spans.ts');
let tracing: WorkerTracing | undefined;

/** A value piscina posts back with `list` transferred. */
function moved<T>(value: T, list: Transferable[]): T {
  return move({ [transferableSymbol]: list, [valueSymbol]: value } as never) as T;
}

/**
 * Lowers this thread's scheduling priority by `increment`. Only on Linux, where a thread's nice value is its own:
 * elsewhere the call would lower the whole process, main thread included.
 */
function lowerPriority(increment: number): void {
  if (increment === 0 || process.platform !== 'linux') return;
  try {
    setPriority(Math.min(19, getPriority() + increment));
  } catch (error) {
    log.warn(`worker instance of model '${data.model.name}': cannot lower its priority: ${(error as Error).message}`);
  }
}

/** Loads the infer function: rejects, naming the problem, when the module or export is wrong. */
export async function probe(): Promise<void> {
  await loading;
}

/** Runs one batch. */
export default async function runBatch(task: BatchTask): Promise<BatchResult | undefined> {
  inferFunc ??= await loading;
  if (!tracing && task.requests.some((r) => r.span)) tracing = await import('../../tracing/worker-spans.ts');
  const controllers = task.requests.map(() => new AbortController());
  running.set(task.batchId, controllers);
  for (const index of early.get(task.batchId) ?? []) controllers[index]?.abort();
  early.delete(task.batchId);
  task.requests.forEach((_, i) => Atomics.load(task.cancelled, i) === 1 && controllers[i]!.abort());
  const tracers = task.requests.map((r) => (r.span && tracing ? tracing.remoteRequestTracer(r.span) : undefined));
  const requests = task.requests.map((r, i) => toRequest(r, controllers[i]!.signal, tracers[i]?.tracer));
  try {
    if (task.port) return await runDecoupled(task.port, requests, tracers);
    return await runOnce(requests, tracers);
  } finally {
    running.delete(task.batchId);
  }
}

function toRequest(wire: WireRequest, signal: AbortSignal, tracer: RequestTracer | undefined): Request {
  const inputs: Record<string, ReturnType<typeof fromWire>> = {};
  for (const [name, array] of Object.entries(wire.data)) inputs[name] = fromWire(array);
  return new Request({
    data: inputs,
    parameters: wire.parameters,
    requestedOutputNames: wire.requestedOutputNames,
    id: wire.id,
    model: data.model,
    tracer,
    signal,
  });
}

type Tracers = readonly (ReturnType<WorkerTracing['remoteRequestTracer']> | undefined)[];

/** The batch's result; the encoded spans' memory is added to `transfer`. */
function finish(
  outcomes: readonly WireOutcome[] | undefined,
  failure: WireError | undefined,
  tracers: Tracers,
  transfer: TransferList,
): BatchResult {
  const spanMemory: ArrayBufferLike[] = [];
  const spans = tracing?.drainSpans(spanMemory) ?? [];
  for (const memory of spanMemory) transfer.add(memory);
  return { outcomes, failure, spanCalls: tracers.map((t) => t?.calls ?? []), spans };
}

async function runOnce(requests: Request[], tracers: Tracers): Promise<BatchResult> {
  let returned: unknown;
  const transfer = new TransferList();
  try {
    returned = await (inferFunc as InferFunc)(requests);
  } catch (error) {
    return moved(finish(undefined, errorToWire(error), tracers, transfer), transfer.list);
  }
  if (!Array.isArray(returned)) {
    return moved(finish(undefined, errorToWire(notAList(returned, requests.length)), tracers, transfer), transfer.list);
  }
  const outcomes = returned.map((outcome) => outcomeToWire(outcome, transfer));
  return moved(finish(outcomes, undefined, tracers, transfer), transfer.list);
}

async function runDecoupled(port: MessagePort, requests: Request[], tracers: Tracers): Promise<undefined> {
  let failure: WireError | undefined;
  try {
    const steps = (inferFunc as unknown as (r: Request[]) => AsyncIterable<unknown> | Iterable<unknown>)(requests);
    if (!steps || typeof steps !== 'object' || !(Symbol.asyncIterator in steps || Symbol.iterator in steps)) {
      throw new Error(
        'the infer function of a decoupled model must be a generator (yielding one entry per request per step)',
      );
    }
    for await (const step of steps) {
      const transfer = new TransferList();
      const wire = (
        Array.isArray(step) ? step.map((outcome) => outcomeToWire(outcome, transfer)) : step
      ) as WireOutcome[];
      port.postMessage({ step: wire } satisfies StepMessage as StepMessage, transfer.list);
    }
  } catch (error) {
    failure = errorToWire(error);
  }
  const transfer = new TransferList();
  port.postMessage({ end: finish(undefined, failure, tracers, transfer) } satisfies StepMessage, transfer.list);
  port.close();
  return undefined;
}

function notAList(returned: unknown, count: number): Error {
  return new Error(
    `the infer function returned a ${typeof returned} for ${count} requests; it must return one response per request, in order`,
  );
}
