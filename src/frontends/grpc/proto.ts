/**
 * The gRPC services' definitions, loaded once from the package's `proto/` files with `@grpc/proto-loader`.
 *
 * @module
 */

import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';

/** The package's `proto/` directory (beside `src/` and `dist/`). */
const PROTO_DIR = fileURLToPath(new URL('../../../proto/', import.meta.url));

/**
 * How messages become objects; `src/protocol/grpc-messages.ts` describes the objects these options give:
 * .proto field names, 64-bit integers as decimal strings, enums as names, defaults filled in, repeated fields
 * as arrays, maps as objects, `parameter_choice` naming a oneof's member.
 */
export const LOADER_OPTIONS: Options = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
});

/** The services this frontend serves. */
export interface GrpcServiceDefinitions {
  /** `inference.GRPCInferenceService`. */
  readonly inference: ServiceDefinition;
  /** `grpc.health.v1.Health`. */
  readonly health: ServiceDefinition;
}

let loaded: GrpcServiceDefinitions | undefined;

/** The service definitions, loaded on first use. */
export function serviceDefinitions(): GrpcServiceDefinitions {
  if (loaded) return loaded;
  const definition = loadSync(['grpc_service.proto', 'health.proto'], LOADER_OPTIONS);
  loaded = {
    inference: definition['inference.GRPCInferenceService'] as ServiceDefinition,
    health: definition['grpc.health.v1.Health'] as ServiceDefinition,
  };
  return loaded;
}
