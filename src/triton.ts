/**
 * Triton: binds infer functions as models and serves them (PyTriton's `Triton`).
 *
 * @module
 */

import { resolveConfig, type TritonConfig } from './config/triton-config.ts';
import { parseCacheConfig } from './config/cache-config.ts';
import { parseMetricsConfig } from './config/metrics-config.ts';
import { loadFrontendTls } from './config/tls-config.ts';
import { accessPolicies } from './frontends/access.ts';
import { nowMs, settledBy } from './core/clock.ts';
import { InferenceService } from './core/inference-service.ts';
import { ResponseCache } from './core/response-cache.ts';
import { type BindOptions, Model } from './core/model.ts';
import type { GrpcFrontend } from './frontends/grpc/grpc-server.ts';
import { defaultMaxConnections } from './frontends/http/connections.ts';
import { startHttpFrontend, type HttpFrontend } from './frontends/http/http-server.ts';
import type { MetricsFrontend } from './frontends/metrics/metrics-server.ts';
import { log, setLogFormat, setVerboseLevel } from './logger.ts';
import type { ModelRepository } from './repository/model-repository.ts';
import { parseTraceConfig } from './tracing/trace-config.ts';
import { TraceManager } from './tracing/trace-manager.ts';
import { serverCounters } from './server-counters.ts';
import { installUnhandledErrorPolicy } from './uncaught-errors.ts';
import type { EmbeddedTraceViewer } from './viewer/viewer-worker.ts';
import { resolveTraceViewer } from './viewer/viewer-settings.ts';
import { VERSION } from './version.ts';

/** What `new Triton()` takes. */
export interface TritonOptions {
  /** Server settings; each field can be overridden by its `TS_TRITON_*` environment variable. */
  config?: Partial<TritonConfig>;
  /** The environment the `TS_TRITON_*` and `OTEL_*` variables are read from. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Protocol extensions this server implements, in Triton's order. */
const EXTENSIONS = [
  'model_repository',
  'schedule_policy',
  'model_configuration',
  'binary_tensor_data',
  'parameters',
  'statistics',
  'trace',
  'logging',
] as const;

/**
 * An inference server. Bind models, then `run()` (returns once listening) or `serve()` (runs until
 * SIGINT/SIGTERM).
 *
 * @example
 * ```ts
 * await using triton = new Triton();
 * triton.bind({ modelName: 'identity', inferFunc, inputs, outputs });
 * await triton.run();
 * ```
 */
export class Triton {
  readonly #options: TritonOptions;
  readonly #service = new InferenceService();
  #config: TritonConfig | undefined;
  #http: HttpFrontend | undefined;
  #grpc: GrpcFrontend | undefined;
  #metrics: MetricsFrontend | undefined;
  #tracing: TraceManager | undefined;
  #repository: ModelRepository | undefined;
  #viewer: EmbeddedTraceViewer | undefined;
  #stopped: Promise<void> | undefined;
  #uninstallErrorPolicy: (() => void) | undefined;

  /** @param options - `config`: the server settings. */
  constructor(options: TritonOptions = {}) {
    this.#options = options;
  }

  /**
   * Binds a model. Models can be bound before or after `run()`.
   * @throws {TritonError} INVALID_ARG naming the bad option; ALREADY_EXISTS for a name and version bound twice.
   */
  bind(options: BindOptions): this {
    const model = new Model(options);
    this.#service.add(model);
    if (this.#config) {
      this.#warnIfUncached(model);
      model
        .ready()
        .catch((error: unknown) => log.error(`model '${model.name}' cannot serve: ${(error as Error).message}`));
    }
    return this;
  }

  #warnIfUncached(model: Model): void {
    if (model.config.responseCache && this.#config?.cacheConfig.length === 0) {
      log.warn(
        `model '${model.name}' enables responseCache, but no cache is configured (TritonConfig.cacheConfig, e.g. ['local,size=1048576']); its responses are not cached`,
      );
    }
  }

  /** The resolved configuration; available once `run()` has validated it. */
  get config(): TritonConfig {
    if (!this.#config) throw new Error('Triton.config is available after run()');
    return this.#config;
  }

  /** The server's tracing, once running (for tests and diagnostics). */
  get tracing(): TraceManager | undefined {
    return this.#tracing;
  }

  /** The model repository (`modelRepository`), once running. */
  get repository(): ModelRepository | undefined {
    return this.#repository;
  }

  /** The built-in trace viewer (in a worker thread), once running when `traceViewer` enables it. */
  get traceViewer(): EmbeddedTraceViewer | undefined {
    return this.#viewer;
  }

  /** The port the HTTP frontend listens on, once running. */
  get httpPort(): number | undefined {
    return this.#http?.port;
  }

  /** The port the gRPC frontend listens on, once running. */
  get grpcPort(): number | undefined {
    return this.#grpc?.port;
  }

  /** The port the Prometheus metrics endpoint listens on, once running. */
  get metricsPort(): number | undefined {
    return this.#metrics?.port;
  }

  /**
   * Validates the configuration and starts every enabled frontend; resolves once they listen.
   * @throws {TritonError} INVALID_ARG naming a bad configuration field; the listen error when a port is taken.
   */
  async run(): Promise<void> {
    if (this.#config) throw new Error('Triton.run() was already called');
    const config = resolveConfig(this.#options.config, this.#options.env);
    const traceConfig = parseTraceConfig(config.traceConfig, this.#options.env ?? process.env);
    const { localSizeBytes } = parseCacheConfig(config.cacheConfig);
    const { histogramLatencies } = parseMetricsConfig(config.metricsConfig);
    const access = accessPolicies(config);
    const tls = loadFrontendTls(config);
    this.#service.setResponseCache(localSizeBytes > 0 ? new ResponseCache(localSizeBytes) : undefined);
    // A model whose infer function cannot be loaded (a wrong module or export of inferModule) stops start-up.
    await Promise.all(this.#service.models().map((model) => model.ready()));
    this.#config = config;
    setVerboseLevel(config.logVerbose);
    setLogFormat(config.logFormat);
    if (config.modelRepository !== '') await this.#openRepository(config);
    // The gRPC and metrics frontends, the trace viewer and the OpenTelemetry SDK are loaded only when enabled: a
    // smaller heap makes every full garbage collection cheaper (it counts with large tensors) and start-up faster.
    // The viewer starts first, so that the server's first export finds its receiver; exports to that receiver's URL
    // are then handed to it in process.
    await this.#startTraceViewer(config);
    // Exemplars and the traceparent response header need each trace's ids while its request runs.
    const rootIds = (config.allowMetrics && histogramLatencies) || config.responseTraceHeaders;
    const tracing = await TraceManager.start(traceConfig, { rootIds, localCollector: this.#viewer });
    this.#tracing = tracing;
    if (config.allowGrpc) {
      const { startGrpcFrontend } = await import('./frontends/grpc/grpc-server.ts');
      this.#grpc = await startGrpcFrontend(
        {
          service: this.#service,
          serverMetadata: () => this.#metadata(),
          tracing,
          responseTraceHeaders: config.responseTraceHeaders,
        },
        config.grpcAddress,
        config.grpcPort,
        {
          maxReceiveSize: Math.min(config.grpcMaxInputSize, config.grpcMaxMessageSize),
          maxSendSize: config.grpcMaxMessageSize,
          access: access.grpc,
          tls: tls.grpc,
        },
      );
      log.info(`Started GRPCInferenceService at ${config.grpcAddress}:${this.#grpc.port}`);
    }
    if (config.allowHttp) {
      this.#http = await startHttpFrontend(
        {
          service: this.#service,
          maxInputSize: config.httpMaxInputSize,
          serverMetadata: () => this.#metadata(),
          tracing,
          access: access.http,
          responseTraceHeaders: config.responseTraceHeaders,
        },
        config.httpAddress,
        config.httpPort,
        {
          maxConnections: config.httpMaxConnections || defaultMaxConnections(),
          headersTimeoutMs: config.httpHeadersTimeoutSecs * 1000,
          requestTimeoutMs: config.httpRequestTimeoutSecs * 1000,
          keepAliveTimeoutMs: config.httpKeepAliveTimeoutSecs * 1000,
        },
        tls.http,
      );
      log.info(`Started HTTPService at ${config.httpAddress}:${this.#http.port}`);
    }
    if (config.allowMetrics) {
      const { startMetricsFrontend } = await import('./frontends/metrics/metrics-server.ts');
      this.#metrics = await startMetricsFrontend(
        { models: () => this.#service.models(), counters: serverCounters(() => this.#tracing), histogramLatencies },
        config.metricsAddress,
        config.metricsPort,
      );
      log.info(`Started Metrics Service at ${config.metricsAddress}:${this.#metrics.port}`);
    }
    for (const model of this.#service.models()) this.#warnIfUncached(model);
    log.info(`Serving ${this.#describeModels()}; ${tracing.describe()}`);
    this.#uninstallErrorPolicy = installUnhandledErrorPolicy();
    this.#service.setState('ready');
  }

  /** Loads the models of the repository folder (src/repository), as the model control mode says. */
  async #openRepository(config: TritonConfig): Promise<void> {
    const { ModelRepository } = await import('./repository/model-repository.ts');
    this.#repository = await ModelRepository.open(this.#service, {
      root: config.modelRepository,
      mode: config.modelControlMode,
      loadModel: config.loadModel,
      pollSecs: config.repositoryPollSecs,
    });
    this.#service.setControl(this.#repository, config.strictReadiness);
  }

  #describeModels(): string {
    const models = this.#service.models();
    if (models.length === 0) return 'no models yet (bind them with triton.bind())';
    return `${models.length === 1 ? 'model' : 'models'} ${models.map((m) => `'${m.name}' version ${m.version}`).join(', ')}`;
  }

  /** Starts the built-in trace viewer when enabled; a viewer that cannot start is a warning, not a failed server. */
  async #startTraceViewer(config: TritonConfig): Promise<void> {
    const settings = resolveTraceViewer(config.traceViewer, 'TritonConfig.traceViewer');
    if (settings === false) return;
    try {
      const { startTraceViewerWorker } = await import('./viewer/viewer-worker.ts');
      this.#viewer = await startTraceViewerWorker(settings);
    } catch (error) {
      log.warn(
        `${(error as Error).message}. The server runs without its trace viewer (TS_TRITON_TRACE_VIEWER=false turns it off).`,
      );
      return;
    }
    const viewer = this.#viewer;
    log.info(
      `Started trace viewer at ${viewer.url} (OTLP receivers: ${viewer.otlpHttpUrl}, gRPC ${settings.host}:${viewer.otlpGrpcPort})`,
    );
  }

  /** Runs until SIGINT or SIGTERM, then stops gracefully. */
  async serve(): Promise<void> {
    await this.run();
    await new Promise<void>((resolve) => {
      const onSignal = (signal: string): void => {
        log.info(`Received ${signal}, stopping`);
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        resolve();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    await this.stop();
  }

  /**
   * Stops accepting requests and waits for in-flight ones, then closes, all within `exitTimeoutSecs`: while
   * draining, HTTP responses carry `Connection: close` and new HTTP requests get 503, new gRPC calls
   * UNAVAILABLE; an HTTP request still unanswered at the deadline gets 503. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#shutdown();
    return this.#stopped;
  }

  async #shutdown(): Promise<void> {
    this.#service.setState('stopping');
    this.#http?.stopAccepting();
    this.#grpc?.stopAccepting();
    await this.#repository?.close();
    const timeoutMs = (this.#config?.exitTimeoutSecs ?? 0) * 1000;
    const deadline = nowMs() + timeoutMs;
    const idle = await settledBy(this.#service.whenIdle(), deadline);
    if (!idle) log.warn(`exit timeout of ${timeoutMs / 1000} s expired with requests still in flight`);
    await Promise.all([this.#http?.close(deadline), this.#grpc?.close(deadline)]);
    // Worker instances end once no request can reach them any more.
    await Promise.all(this.#service.models().map((model) => model.close()));
    await this.#metrics?.close();
    await this.#tracing?.shutdown(Math.max(deadline - nowMs(), 0));
    // After tracing's last export, which the viewer may be receiving.
    await this.#viewer?.close();
    this.#uninstallErrorPolicy?.();
    this.#service.setState('stopped');
  }

  /** Stops the server (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  #metadata(): object {
    return { name: this.#config?.id ?? 'triton', version: VERSION, extensions: [...EXTENSIONS] };
  }
}
