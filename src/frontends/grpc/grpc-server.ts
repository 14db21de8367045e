/**
 * The gRPC frontend's server: `inference.GRPCInferenceService` and `grpc.health.v1.Health` on one port;
 * start, and stop with in-flight requests drained.
 *
 * @module
 */

import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { TlsFiles } from '../../config/tls-config.ts';
import type { AccessPolicy } from '../access.ts';
import { guardService } from './access-guard.ts';
import { nowMs, settledBy } from '../../core/clock.ts';
import type { GrpcContext } from './context.ts';
import { healthService } from './health-service.ts';
import { inferenceService, type OpenStreams } from './inference-service.ts';
import { serviceDefinitions } from './proto.ts';

/** A listening gRPC frontend. */
export interface GrpcFrontend {
  /** The port it listens on (the real one when 0 was asked for). */
  readonly port: number;
  /** Stops accepting connections and new calls; calls in progress go on. */
  stopAccepting(): void;
  /**
   * Ends open streams once their requests are answered and waits for calls in progress, at most until
   * `deadline` (`performance.now()` time; one second from now by default), then closes; resolves when the
   * server is closed.
   */
  close(deadline?: number): Promise<void>;
}

/** Settings of the gRPC frontend. */
export interface GrpcOptions {
  /** Who may use which API group; undefined when every call is served. */
  readonly access?: AccessPolicy | undefined;
  /** Serve over TLS with these files (and require client certificates when mutual). */
  readonly tls?: TlsFiles | undefined;
  /** Largest message received, in bytes: grpc-js refuses a larger one from its length prefix. */
  readonly maxReceiveSize: number;
  /** Largest message sent, in bytes. */
  readonly maxSendSize: number;
}

/** How long `close()` lets connections finish before it cuts them, when given no deadline. */
const CLOSE_GRACE_MS = 1000;

/** `host:port` for grpc-js, with an IPv6 address in brackets. */
function target(address: string, port: number): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]:${port}` : `${address}:${port}`;
}

function credentials(tls: TlsFiles | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(tls.ca ?? null, [{ cert_chain: tls.cert, private_key: tls.key }], tls.mutual);
}

function bind(server: Server, address: string, port: number, tls: TlsFiles | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(target(address, port), credentials(tls), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
}

/**
 * Starts the gRPC frontend.
 * @param ctx - the data plane, server metadata and tracing.
 * @param address - address to listen on.
 * @param port - port to listen on; 0 picks a free one.
 * @param options - message size limits, access policy and TLS.
 * @throws the bind error when the port is taken or the address is invalid.
 */
export async function startGrpcFrontend(
  ctx: GrpcContext,
  address: string,
  port: number,
  options: GrpcOptions,
): Promise<GrpcFrontend> {
  const definitions = serviceDefinitions();
  const server = new Server({
    'grpc.max_receive_message_length': options.maxReceiveSize,
    'grpc.max_send_message_length': options.maxSendSize,
    // Channelz keeps per-call statistics for a channelz service, which this server does not serve.
    'grpc.enable_channelz': 0,
  });
  const streams: OpenStreams = new Set();
  const guard = (service: UntypedServiceImplementation, definition: ServiceDefinition): UntypedServiceImplementation =>
    options.access ? guardService(service, definition, options.access) : service;
  server.addService(definitions.inference, guard(inferenceService(ctx, streams), definitions.inference));
  server.addService(definitions.health, guard(healthService(ctx), definitions.health));
  const bound = await bind(server, address, port, options.tls);
  let shutdown: Promise<void> | undefined;
  const stopAccepting = (): Promise<void> =>
    (shutdown ??= new Promise((resolve) => server.tryShutdown(() => resolve())));
  return {
    port: bound,
    stopAccepting: () => void stopAccepting(),
    async close(deadline = nowMs() + CLOSE_GRACE_MS) {
      const drained = stopAccepting();
      const streamsEnded = Promise.all([...streams].map((stream) => stream.close()));
      await settledBy(
        streamsEnded.then(() => drained),
        deadline,
      );
      server.forceShutdown();
    },
  };
}
