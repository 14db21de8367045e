/**
 * The one server fixture of the tests: a Triton with the given models and settings on free 127.0.0.1 ports,
 * with the URLs of its frontends. It is disposable (`await using server = await startTriton(...)`), so a test
 * that throws still stops its server; `stop()` is there for servers kept across a `describe`'s tests.
 */
import { type BindOptions, Triton, type TritonConfig } from '../../src/index.ts';

/** HTTP and gRPC on free 127.0.0.1 ports, no metrics, a short exit timeout. */
export const LOCAL: Partial<TritonConfig> = {
  httpPort: 0,
  httpAddress: '127.0.0.1',
  grpcPort: 0,
  grpcAddress: '127.0.0.1',
  allowMetrics: false,
  exitTimeoutSecs: 5,
};

/** What {@link startTriton} takes. */
export interface ServerOptions {
  /** Models bound before the server starts. */
  readonly models?: readonly BindOptions[];
  /** Settings over {@link LOCAL}. */
  readonly config?: Partial<TritonConfig>;
  /** The environment the server reads `TS_TRITON_*` and `OTEL_*` from (default: the process's). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Called with the server before it starts, for bindings the options cannot say. */
  readonly bind?: (triton: Triton) => void;
}

/** A running server. */
export interface TestServer extends AsyncDisposable {
  readonly triton: Triton;
  /** `http://127.0.0.1:PORT` of the HTTP frontend; '' when HTTP is off. */
  readonly http: string;
  /** `127.0.0.1:PORT` of the gRPC frontend; '' when gRPC is off. */
  readonly grpc: string;
  /** `grpc://127.0.0.1:PORT`, the gRPC URL the ts-triton client takes; '' when gRPC is off. */
  readonly grpcUrl: string;
  /** Stops the server (idempotent, as `Triton.stop()`). */
  stop(): Promise<void>;
}

/** Starts a server with `options.models` bound; resolves once every enabled frontend listens. */
export async function startTriton(options: ServerOptions = {}): Promise<TestServer> {
  const triton = new Triton({ config: { ...LOCAL, ...options.config }, ...(options.env && { env: options.env }) });
  for (const model of options.models ?? []) triton.bind(model);
  options.bind?.(triton);
  try {
    await triton.run();
  } catch (error) {
    await triton.stop().catch(() => {});
    throw error;
  }
  const stop = (): Promise<void> => triton.stop();
  const grpc = triton.grpcPort === undefined ? '' : `127.0.0.1:${triton.grpcPort}`;
  return {
    triton,
    http: triton.httpPort === undefined ? '' : `http://127.0.0.1:${triton.httpPort}`,
    grpc,
    grpcUrl: grpc && `grpc://${grpc}`,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** The trace settings that export every request over OTLP/HTTP to `url`, flushing spans every 10 ms. */
export function otlpTraceConfig(url: string): string[] {
  return ['rate=1', 'mode=opentelemetry', `opentelemetry,url=${url}`, 'opentelemetry,bsp_schedule_delay=10'];
}
