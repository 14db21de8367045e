/**
 * The access policy on gRPC: the API group of every RPC (Triton's, for `grpcRestrictedProtocol`), and a
 * service implementation wrapped so that a refused call is answered before its handler runs — Triton's
 * UNAVAILABLE `This protocol is restricted, expecting header 'triton-grpc-protocol-<key>'` for a restricted
 * group, PERMISSION_DENIED for a change to the server on a frontend that does not allow it.
 *
 * @module
 */

import {
  Metadata,
  type ServerErrorResponse,
  type ServiceDefinition,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { ApiGroup } from '../../config/restricted-apis.ts';
import { type AccessPolicy, adminClosedMessage, type Denial } from '../access.ts';

/** Whether a request changes the server. */
type Changes = (request: unknown) => boolean;

const ALWAYS: Changes = () => true;
/** `LogSettings` and `TraceSetting` read with an empty `settings` map and update otherwise. */
const WITH_SETTINGS: Changes = (request) => Object.keys((request as { settings?: object }).settings ?? {}).length > 0;

/** The API group of every RPC of both services, and which requests change the server. */
export const RPC_ACCESS: Readonly<Record<string, { readonly group: ApiGroup; readonly changes?: Changes }>> = {
  ServerLive: { group: 'health' },
  ServerReady: { group: 'health' },
  ModelReady: { group: 'health' },
  Check: { group: 'health' },
  Watch: { group: 'health' },
  ServerMetadata: { group: 'metadata' },
  ModelMetadata: { group: 'metadata' },
  ModelInfer: { group: 'inference' },
  ModelStreamInfer: { group: 'inference' },
  ModelConfig: { group: 'model-config' },
  ModelStatistics: { group: 'statistics' },
  RepositoryIndex: { group: 'model-repository' },
  RepositoryModelLoad: { group: 'model-repository', changes: ALWAYS },
  RepositoryModelUnload: { group: 'model-repository', changes: ALWAYS },
  SystemSharedMemoryStatus: { group: 'shared-memory' },
  SystemSharedMemoryRegister: { group: 'shared-memory' },
  SystemSharedMemoryUnregister: { group: 'shared-memory' },
  CudaSharedMemoryStatus: { group: 'shared-memory' },
  CudaSharedMemoryRegister: { group: 'shared-memory' },
  CudaSharedMemoryUnregister: { group: 'shared-memory' },
  TraceSetting: { group: 'trace', changes: WITH_SETTINGS },
  LogSettings: { group: 'logging', changes: WITH_SETTINGS },
};

function denialError(denial: Denial, address: string): ServerErrorResponse {
  const [code, message] =
    denial.kind === 'restricted'
      ? [status.UNAVAILABLE, `This protocol is restricted, expecting header '${denial.header}'`]
      : [status.PERMISSION_DENIED, adminClosedMessage(denial.group, address, 'grpcRestrictedProtocol')];
  return Object.assign(new Error(message), { code, details: message, metadata: new Metadata() });
}

/** Reads the first value of a metadata entry as a string. */
function metadataReader(metadata: Metadata): (name: string) => string | undefined {
  return (name) => {
    const value = metadata.get(name)[0];
    return value === undefined ? undefined : value.toString();
  };
}

/** What every call has: its metadata, and (as an event emitter) `emit`. */
interface AnyCall {
  readonly metadata: Metadata;
  emit(event: 'error', error: ServerErrorResponse): boolean;
}

/**
 * Wraps the handlers of `service` that the policy can refuse; the others are left as they are.
 * @param service - the implementation, keyed by RPC name.
 * @param definition - the service's definition (which RPCs stream).
 * @throws {Error} for an RPC with no API group in {@link RPC_ACCESS}.
 */
export function guardService(
  service: UntypedServiceImplementation,
  definition: ServiceDefinition,
  policy: AccessPolicy,
): UntypedServiceImplementation {
  const guarded: UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(service)) {
    const access = RPC_ACCESS[name];
    if (!access) throw new Error(`gRPC method ${name} has no API group in RPC_ACCESS`);
    const changes = access.changes;
    if (!policy.guards(access.group, changes !== undefined)) {
      guarded[name] = handler;
      continue;
    }
    const refusal = (call: AnyCall, request: unknown): ServerErrorResponse | undefined => {
      const denial = policy.denial(access.group, changes?.(request) ?? false, metadataReader(call.metadata));
      return denial && denialError(denial, policy.address);
    };
    const unary = !definition[name]!.requestStream && !definition[name]!.responseStream;
    guarded[name] = unary
      ? (call: AnyCall & { request: unknown }, callback: (error: ServerErrorResponse) => void) => {
          const error = refusal(call, call.request);
          if (error) callback(error);
          else (handler as (call: unknown, callback: unknown) => void)(call, callback);
        }
      : (call: AnyCall) => {
          const error = refusal(call, undefined);
          if (error) call.emit('error', error);
          else (handler as (call: unknown) => void)(call);
        };
  }
  return guarded;
}
