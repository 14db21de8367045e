/**
 * The gRPC services' definitions, loaded once from the package's `proto/` files with `@grpc/proto-loader`,
 * with hand-written codecs for the inference RPCs' messages (`fast-codecs.ts`). Every request message is checked
 * to be well-formed protobuf before the general decoder reads it, which would read a truncated message
 * leniently; a malformed one reaches its RPC as a {@link MalformedMessage}.
 *
 * @module
 */

import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { loadGrpcProtos } from '../../protocol/grpc-proto-files.ts';
import { MalformedMessage, wireFormatProblem } from '../../wire/proto-reader.ts';
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
    inference: withFastInferCodecs(withWireChecks(definition['inference.GRPCInferenceService'] as ServiceDefinition)),
    health: withWireChecks(definition['grpc.health.v1.Health'] as ServiceDefinition),
  };
  return loaded;
}

/**
 * `definition` with each request decoder giving a {@link MalformedMessage} for a message that is not well formed
 * (grpc-js would answer a decoder's exception with INTERNAL).
 */
function withWireChecks(definition: ServiceDefinition): ServiceDefinition {
  const checked: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(definition as Record<string, MethodDefinition<unknown, unknown>>)) {
    const decode = method.requestDeserialize;
    checked[name] = {
      ...method,
      requestDeserialize: (message: Buffer) => {
        const problem = wireFormatProblem(message);
        if (problem !== undefined) return new MalformedMessage(problem);
        try {
          return decode(message);
        } catch (error) {
          // Malformed below the top level (a nested message cut short, a wire type its field cannot have).
          return new MalformedMessage((error as Error).message);
        }
      },
    };
  }
  return checked;
}
