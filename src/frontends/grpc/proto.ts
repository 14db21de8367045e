/**
 * The gRPC services' definitions, loaded once from the package's `proto/` files with `@grpc/proto-loader`,
 * with hand-written codecs for the inference RPCs' messages (`fast-codecs.ts`).
 *
 * @module
 */

import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadGrpcProtos } from '../../protocol/grpc-proto-files.ts';
import { withFastInferCodecs } from './fast-codecs.ts';

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
  const definition = loadGrpcProtos(['grpc_service.proto', 'health.proto']);
  loaded = {
    inference: withFastInferCodecs(definition['inference.GRPCInferenceService'] as ServiceDefinition),
    health: definition['grpc.health.v1.Health'] as ServiceDefinition,
  };
  return loaded;
}
