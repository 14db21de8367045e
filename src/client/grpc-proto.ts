/**
 * The `inference.GRPCInferenceService` client class, loaded once from the package's `proto/` files with
 * `@grpc/proto-loader` (the same options the server uses, so messages are the same plain objects).
 *
 * @module
 */

import { fileURLToPath } from 'node:url';
import { type Client, type ChannelCredentials, type ClientOptions, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/** The package's `proto/` directory (beside `src/` and `dist/`). */
const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));

/** The generated client class's constructor. */
export type InferenceClientClass = new (address: string, credentials: ChannelCredentials, options?: ClientOptions) => Client;

let loaded: InferenceClientClass | undefined;

/** The client class of `inference.GRPCInferenceService`, loaded on first use. */
export function inferenceClientClass(): InferenceClientClass {
  if (loaded) return loaded;
  const definition = loadSync('grpc_service.proto', {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    arrays: true,
    objects: true,
    oneofs: true,
    includeDirs: [PROTO_DIR],
  });
  const root = loadPackageDefinition(definition) as unknown as { inference: { GRPCInferenceService: InferenceClientClass } };
  loaded = root.inference.GRPCInferenceService;
  return loaded;
}
