/**
 * The `inference.GRPCInferenceService` client class, loaded once from the package's `proto/` files with
 * `@grpc/proto-loader` (the same options the server uses, so messages are the same plain objects).
 *
 * @module
 */

import { type Client, type ChannelCredentials, type ClientOptions, loadPackageDefinition } from '@grpc/grpc-js';
import { loadGrpcProtos } from '../protocol/grpc-proto-files.ts';

/** The generated client class's constructor. */
export type InferenceClientClass = new (
  address: string,
  credentials: ChannelCredentials,
  options?: ClientOptions,
) => Client;

let loaded: InferenceClientClass | undefined;

/** The client class of `inference.GRPCInferenceService`, loaded on first use. */
export function inferenceClientClass(): InferenceClientClass {
  if (loaded) return loaded;
  const definition = loadGrpcProtos(['grpc_service.proto']);
  const root = loadPackageDefinition(definition) as unknown as {
    inference: { GRPCInferenceService: InferenceClientClass };
  };
  loaded = root.inference.GRPCInferenceService;
  return loaded;
}
