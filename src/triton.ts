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
import { InferenceService } from './core/inference-service.ts';
import { ResponseCache } from './core/response-cache.ts';
import { type BindOptions, Model } from './core/model.ts';
import type { GrpcFrontend } from './frontends/grpc/grpc-server.ts';
import { startHttpFrontend, type HttpFrontend } from './frontends/http/http-server.ts';
import type { MetricsFrontend } from './frontends/metrics/metrics-server.ts';
import { log, setLogFormat, setVerboseLevel } from './logger.ts';
import type { ModelRepository } from './repository/model-repository.ts';
import { parseTraceConfig } from './tracing/trace-config.ts';
import { TraceManager } from './tracing/trace-manager.ts';
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
  #stopped: Promise<void> | undefined;

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
    if (this.#config) this.#warnIfUncached(model);
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
    this.#config = config;
    setVerboseLevel(config.logVerbose);
    setLogFormat(config.logFormat);
    if (config.modelRepository !== '') await this.#openRepository(config);
    // The gRPC and metrics frontends and the OpenTelemetry SDK are loaded only when enabled: a smaller heap
    // makes every full garbage collection cheaper (it counts with large tensors) and start-up faster.
    // Exemplars and the traceparent response header need each trace's ids while its request runs.
    const rootIds = (config.allowMetrics && histogramLatencies) || config.responseTraceHeaders;
    const tracing = await TraceManager.start(traceConfig, { rootIds });
    this.#tracing = tracing;
    if (config.allowGrpc) {
      const { startGrpcFrontend } = await import('./frontends/grpc/grpc-server.ts');
      this.#grpc = await startGrpcFrontend(
        { service: this.#service, serverMetadata: () => this.#metadata(), tracing, responseTraceHeaders: config.responseTraceHeaders },
        config.grpcAddress,
        config.grpcPort,
        { maxMessageSize: config.grpcMaxMessageSize, access: access.grpc, tls: tls.grpc },
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
        tls.http,
      );
      log.info(`Started HTTPService at ${config.httpAddress}:${this.#http.port}`);
    }
    if (config.allowMetrics) {
      const { startMetricsFrontend } = await import('./frontends/metrics/metrics-server.ts');
      this.#metrics = await startMetricsFrontend(
        { models: () => this.#service.models(), histogramLatencies },
        config.metricsAddress,
        config.metricsPort,
      );
      log.info(`Started Metrics Service at ${config.metricsAddress}:${this.#metrics.port}`);
    }
    for (const model of this.#service.models()) this.#warnIfUncached(model);
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
   * Stops accepting requests, waits for in-flight ones (at most `exitTimeoutSecs`), then closes. Idempotent.
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
    const deadline = performance.now() + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, timeoutMs, true)));
    const expired = await Promise.race([this.#service.whenIdle().then(() => false), timedOut]);
    clearTimeout(timer);
    if (expired) log.warn(`exit timeout of ${timeoutMs / 1000} s expired with requests still in flight`);
    await this.#http?.close();
    await this.#grpc?.close();
    await this.#metrics?.close();
    await this.#tracing?.shutdown(Math.max(deadline - performance.now(), 0));
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
