/**
 * The OTLP/gRPC trace receiver: `opentelemetry.proto.collector.trace.v1.TraceService/Export` on @grpc/grpc-js,
 * with the messages passed through as bytes and read by the viewer's own decoder (no .proto loaded at run time).
 * A malformed export gets INVALID_ARGUMENT naming the field; refused spans are counted in `partial_success`.
 *
 * @module
 */

import {
  type sendUnaryData,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  status as GrpcStatus,
} from '@grpc/grpc-js';
import { exportResponse } from '../otlp/export-response.ts';
import type { TraceStore } from '../store/trace-store.ts';
import { ingest } from './ingest.ts';

const identity = (bytes: Buffer): Buffer => bytes;

/** The service, with its one method's messages as raw bytes. */
const TRACE_SERVICE = {
  Export: {
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
} as const;

/** A listening OTLP/gRPC receiver. */
export interface OtlpGrpcReceiver {
  readonly port: number;
  close(): Promise<void>;
}

/** Settings of the receiver. */
export interface OtlpGrpcOptions {
  /** Largest message accepted, in bytes. */
  readonly maxMessageBytes: number;
}

/** Starts the receiver on `host:port` (0 picks a free port). */
export async function startOtlpGrpcReceiver(
  store: TraceStore,
  host: string,
  port: number,
  options: OtlpGrpcOptions,
): Promise<OtlpGrpcReceiver> {
  const server = new Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.enable_channelz': 0,
  });
  server.addService(TRACE_SERVICE, {
    Export(call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) {
      const result = ingest(store, 'protobuf', call.request);
      if (result.ok) callback(null, exportResponse('protobuf', result.rejected, result.message));
      else
        callback({
          code: result.malformed ? GrpcStatus.INVALID_ARGUMENT : GrpcStatus.INTERNAL,
          details: result.message,
        });
    },
  });
  const target = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(target, ServerCredentials.createInsecure(), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    );
  });
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
