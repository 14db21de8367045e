/**
 * RPCs of `GRPCInferenceService` this server does not serve: shared memory (system and CUDA). Each fails with
 * UNIMPLEMENTED naming what is missing.
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
  };
}
