/**
 * RPCs of `GRPCInferenceService` this server does not serve: shared memory (system and CUDA) and, for now,
 * statistics, repository load/unload and log settings. Each fails with UNIMPLEMENTED naming what is missing.
 *
 * @module
 */

import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { ErrorCode, TritonError } from '../../errors.ts';
import { unary } from './unary.ts';

function unsupported(message: string): ReturnType<typeof unary> {
  return unary(() => {
    throw new TritonError(ErrorCode.UNSUPPORTED, message);
  });
}

/** The message of an RPC whose HTTP counterpart exists. */
const notYet = (rpc: string, http: string): string =>
  `the ${rpc} RPC is not implemented yet by this server; use HTTP ${http}`;

const SYSTEM_SHM = 'system shared memory is not supported by this server; send tensors in the request';
const CUDA_SHM = 'CUDA shared memory is not supported by this server; send tensors in the request';

/** The RPCs answered with UNIMPLEMENTED. */
export function unsupportedRpcs(): UntypedServiceImplementation {
  return {
    SystemSharedMemoryStatus: unsupported(SYSTEM_SHM),
    SystemSharedMemoryRegister: unsupported(SYSTEM_SHM),
    SystemSharedMemoryUnregister: unsupported(SYSTEM_SHM),
    CudaSharedMemoryStatus: unsupported(CUDA_SHM),
    CudaSharedMemoryRegister: unsupported(CUDA_SHM),
    CudaSharedMemoryUnregister: unsupported(CUDA_SHM),
    ModelStatistics: unsupported(notYet('ModelStatistics', 'GET /v2/models/stats')),
    RepositoryModelLoad: unsupported(notYet('RepositoryModelLoad', 'POST /v2/repository/models/{model}/load')),
    RepositoryModelUnload: unsupported(notYet('RepositoryModelUnload', 'POST /v2/repository/models/{model}/unload')),
    LogSettings: unsupported(notYet('LogSettings', 'GET|POST /v2/logging')),
  };
}
