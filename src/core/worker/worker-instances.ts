/**
 * A model's worker instances: a piscina pool with one worker thread per instance. The scheduler stays on the
 * main thread and calls the function {@link WorkerInstances.inferFunc} returns, as it calls any infer function;
 * only the call crosses to a worker. A worker still running a batch the scheduler gave up at the execution timeout
 * is terminated; a worker that crashes or runs out of memory fails its batch with an error saying so; piscina
 * starts a fresh worker in place of either.
 *
 * @module
 */

import { BroadcastChannel, MessageChannel, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { ErrorCode, TritonError } from '../../errors.ts';
import { log } from '../../logger.ts';
import {
  type DecoupledInferFunc,
  type InferFunc,
  type InferOutcome,
  type InferResponse,
  type ModelInfo,
  type Request,
  spanContextOf,
} from '../request.ts';
import { exportRemoteSpans, type SpanCall } from '../trace-hooks.ts';
import type { SpanContext } from '@opentelemetry/api';
import type {
  BatchResult,
  BatchTask,
  InstanceWorkerData,
  StepMessage,
  WireRequest,
  WireSpanContext,
} from './instance-worker.ts';
import type { InferModule } from './infer-module.ts';
import { errorFromWire, inputToWire, outcomeFromWire, TransferList, type WireArray } from './transfer.ts';

/** The worker script, next to this file (`.ts` when run from source, `.js` once built). */
const WORKER_FILE = new URL(`./instance-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;

/** What {@link WorkerInstances} needs. */
export interface WorkerInstancesOptions {
  readonly model: ModelInfo;
  readonly inferModule: InferModule;
  readonly count: number;
  /** Memory limits of each worker (Node's `resourceLimits`). */
  readonly resourceLimits?: ResourceLimits | undefined;
  /** How much lower each worker's scheduling priority is (see `InstanceGroup.niceIncrement`). */
  readonly niceIncrement: number;
}

let pools = 0;

/**
 * Whether a request's signal aborted because the scheduler gave its batch up at the execution timeout (the
 * scheduler fails the requests with this error; the worker, still running, must then be terminated).
 */
function isExecutionTimeout(reason: unknown): reason is TritonError {
  return reason instanceof TritonError && reason.message.startsWith('Execution timeout expired');
}

/** The worker threads running one model's instances. */
export class WorkerInstances {
  readonly #options: WorkerInstancesOptions;
  readonly #pool: Piscina;
  readonly #channel: BroadcastChannel;
  readonly #ready: Promise<void>;
  #batches = 0;

  constructor(options: WorkerInstancesOptions) {
    this.#options = options;
    const channel = `ts-triton:${options.model.name}:${process.pid}:${++pools}`;
    this.#channel = new BroadcastChannel(channel);
    this.#channel.unref();
    const workerData: InstanceWorkerData = {
      module: options.inferModule.module,
      exportName: options.inferModule.exportName,
      model: {
        name: options.model.name,
        version: options.model.version,
        inputs: options.model.inputs,
        outputs: options.model.outputs,
        config: options.model.config,
      },
      channel,
      niceIncrement: options.niceIncrement,
    };
    this.#pool = new Piscina({
      filename: WORKER_FILE,
      minThreads: options.count,
      maxThreads: options.count,
      idleTimeout: Infinity,
      concurrentTasksPerWorker: 1,
      atomics: 'disabled',
      workerData,
      ...(options.resourceLimits && { resourceLimits: options.resourceLimits }),
    });
    this.#pool.on('error', (error: unknown) =>
      log.error(`worker instance of model '${options.model.name}' failed: ${String(error)}`),
    );
    // One worker loads the module now, so that a wrong module or export is reported when the model is bound.
    this.#ready = this.#pool.run(undefined, { name: 'probe' }).then(() => undefined);
    this.#ready.catch(() => undefined);
  }

  /** Resolves once a worker has loaded the infer function; rejects with the reason when it cannot. */
  ready(): Promise<void> {
    return this.#ready.catch((error: unknown) => {
      throw new TritonError(
        ErrorCode.INVALID_ARG,
        `worker instances of model '${this.#options.model.name}' cannot load ${this.#options.inferModule.exportName} from ${this.#options.inferModule.module}: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  }

  /** The function the scheduler calls for each batch (a generator for a decoupled model). */
  inferFunc(decoupled: boolean): InferFunc | DecoupledInferFunc {
    return decoupled ? (requests) => this.#stream(requests) : (requests) => this.#run(requests);
  }

  /** Stops the workers (running batches fail). */
  async close(): Promise<void> {
    this.#channel.close();
    await this.#pool.destroy();
  }

  /** Posts a batch; returns the task and a function that undoes the cancellation and timeout hooks. */
  #post(
    requests: Request[],
    port?: MessagePort,
  ): { task: Promise<unknown>; cleanup: () => void; stopped: AbortSignal } {
    const batchId = ++this.#batches;
    const transfer = new TransferList();
    const cancelled = new Int32Array(new SharedArrayBuffer(4 * requests.length));
    const task: BatchTask = {
      batchId,
      requests: requests.map((r) => toWireRequest(r, transfer)),
      cancelled,
      port: port as never,
    };
    const stop = new AbortController();
    const unlisten = requests.map((request, index) => {
      const signal = request.signal;
      const onAbort = (): void => {
        if (isExecutionTimeout(signal.reason)) {
          stop.abort(signal.reason);
          return;
        }
        Atomics.store(cancelled, index, 1);
        this.#channel.postMessage({ batchId, index });
      };
      if (signal.aborted) Atomics.store(cancelled, index, 1);
      signal.addEventListener('abort', onAbort);
      return () => signal.removeEventListener('abort', onAbort);
    });
    const transferList = port ? [...transfer.list, port as never] : transfer.list;
    const running = this.#pool.run(task, { transferList, signal: stop.signal });
    const cleanup = (): void => {
      for (const undo of unlisten) undo();
    };
    return { task: running, cleanup, stopped: stop.signal };
  }

  async #run(requests: Request[]): Promise<InferOutcome[]> {
    const { task, cleanup, stopped } = this.#post(requests);
    let result: BatchResult;
    try {
      result = (await task) as BatchResult;
    } catch (error) {
      throw this.#workerFailure(error, stopped);
    } finally {
      cleanup();
    }
    return this.#settle(requests, result) as InferOutcome[];
  }

  async *#stream(requests: Request[]): AsyncGenerator<readonly (InferResponse | Error | undefined)[]> {
    const { port1, port2 } = new MessageChannel();
    const messages: StepMessage[] = [];
    let wake: (() => void) | undefined;
    let failed: unknown;
    port1.on('message', (message: StepMessage) => {
      messages.push(message);
      wake?.();
    });
    const { task, cleanup, stopped } = this.#post(requests, port2);
    task.catch((error: unknown) => {
      failed = this.#workerFailure(error, stopped);
      wake?.();
    });
    try {
      for (;;) {
        const message = messages.shift();
        if (message?.end) {
          this.#settle(requests, message.end);
          return;
        }
        if (message)
          yield Array.isArray(message.step) ? message.step.map((o) => outcomeFromWire(o)) : (message.step as never);
        else if (failed) throw failed;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      cleanup();
      port1.close();
    }
  }

  /** Replays what the worker did to each request's span, exports its spans, and rethrows its failure. */
  #settle(requests: Request[], result: BatchResult): (InferResponse | Error | undefined)[] {
    result.spanCalls.forEach((calls, i) => replaySpanCalls(requests[i]!, calls));
    exportRemoteSpans(result.spans);
    if (result.failure) throw errorFromWire(result.failure);
    return (result.outcomes ?? []).map((outcome) => outcomeFromWire(outcome));
  }

  #workerFailure(error: unknown, stopped: AbortSignal): TritonError {
    const model = this.#options.model.name;
    if (isExecutionTimeout(stopped.reason)) {
      log.warn(
        `worker instance of model '${model}' was terminated at the execution timeout; a fresh worker replaces it`,
      );
      return stopped.reason;
    }
    const why =
      error instanceof Error
        ? `${(error as NodeJS.ErrnoException).code ? `${(error as NodeJS.ErrnoException).code}: ` : ''}${error.message}`
        : String(error);
    log.warn(`worker instance of model '${model}' stopped during a batch (${why}); a fresh worker replaces it`);
    return new TritonError(
      ErrorCode.INTERNAL,
      `worker instance of model '${model}' stopped during the batch (${why}); a fresh worker was started`,
      { cause: error },
    );
  }
}

function toWireRequest(request: Request, transfer: TransferList): WireRequest {
  const data: Record<string, WireArray> = {};
  for (const [name, array] of Object.entries(request.data)) data[name] = inputToWire(array, transfer);
  const span = spanContextOf(request);
  return {
    data,
    parameters: request.parameters,
    requestedOutputNames: request.requestedOutputNames,
    id: request.id,
    span: span && wireSpanContext(span),
  };
}

function wireSpanContext({ traceId, spanId, traceFlags }: SpanContext): WireSpanContext {
  return { traceId, spanId, traceFlags };
}

function replaySpanCalls(request: Request, calls: readonly SpanCall[]): void {
  if (calls.length === 0) return; // `request.span` untouched: a compact trace stays compact
  const span = request.span as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const [method, ...args] of calls) {
    if (method === 'recordException') {
      const wire = args[0] as { name: string; message: string; stack?: string } | string;
      const error =
        typeof wire === 'string'
          ? wire
          : Object.assign(new Error(wire.message), { name: wire.name, stack: wire.stack });
      span.recordException!(error, args[1]);
    } else span[method]?.(...args);
  }
}
