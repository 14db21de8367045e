/**
 * The Prometheus metrics endpoint (Triton's port 8002): a `node:http` server with a registry of its own
 * holding Triton's per-model families and the process's `ts_triton_*` metrics.
 *
 * @module
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { type MetricsModelSource, registerInferenceMetrics } from './inference-metrics.ts';
import { registerLatencyHistograms } from './latency-histograms.ts';
import { createMetricsHandler } from './metrics-handler.ts';

/** Prefix of the process and event-loop metrics. */
export const PROCESS_METRICS_PREFIX = 'ts_triton_';

/** A counter the server keeps outside the model statistics, read at every scrape. */
export interface ServerCounter {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  /** The value of each series, by its labels. */
  readonly samples: () => Iterable<readonly [labels: Readonly<Record<string, string>>, value: number]>;
}

/** What the metrics endpoint reads. */
export interface MetricsContext {
  /** The model versions to report, asked at every scrape. */
  readonly models: MetricsModelSource;
  /** The server's own counters (unhandled errors, lost spans, …). */
  readonly counters?: readonly ServerCounter[];
  /** Serve the latency histograms (`metricsConfig: ['histogram_latencies=true']`). */
  readonly histogramLatencies?: boolean;
}

/** A listening metrics endpoint. */
export interface MetricsFrontend {
  /** The port it listens on (the real one when 0 was asked for). */
  readonly port: number;
  /** The registry it renders (its own; never prom-client's global default registry). */
  readonly registry: Registry;
  /** Closes the server and every connection; resolves once closed. */
  close(): Promise<void>;
}

/**
 * Builds the registry of one metrics server: Triton's model families plus process metrics.
 * @param ctx - where the model statistics come from.
 */
export function createMetricsRegistry(ctx: MetricsContext): Registry {
  const registry = new Registry();
  registerInferenceMetrics(registry, ctx.models);
  for (const counter of ctx.counters ?? []) registerServerCounter(registry, counter);
  if (ctx.histogramLatencies) registerLatencyHistograms(registry, ctx.models);
  collectDefaultMetrics({ register: registry, prefix: PROCESS_METRICS_PREFIX });
  return registry;
}

function registerServerCounter(registry: Registry, counter: ServerCounter): void {
  new Counter({
    name: counter.name,
    help: counter.help,
    labelNames: counter.labelNames,
    registers: [registry],
    collect(this: Counter) {
      this.reset();
      for (const [labels, value] of counter.samples()) this.inc(labels, value);
    },
  });
}

/**
 * Starts the metrics endpoint.
 * @param ctx - where the model statistics come from.
 * @param address - address to listen on.
 * @param port - port to listen on; 0 picks a free one.
 * @throws the listen error (e.g. EADDRINUSE).
 */
export async function startMetricsFrontend(
  ctx: MetricsContext,
  address: string,
  port: number,
): Promise<MetricsFrontend> {
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const registry = createMetricsRegistry(ctx);
  server.on('request', createMetricsHandler(registry));
  const closed = new Promise<void>((resolve) => server.once('close', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    registry,
    async close() {
      if (server.listening) server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
