/**
 * The RPCs this server does not serve answer UNIMPLEMENTED with a message naming what is missing: shared
 * memory (system and CUDA).
 */
import { after, before, describe, it } from 'node:test';
import { type GrpcServer, identityModel, rejectsWith, startServer, Status } from './helpers.ts';

describe('RPCs answered UNIMPLEMENTED', () => {
  let server: GrpcServer;
  before(async () => {
    server = await startServer((triton) => triton.bind(identityModel('m')));
  });
  after(() => server.stop());

  const system = /^system shared memory is not supported/;
  const cuda = /^CUDA shared memory is not supported/;

  it('system shared memory status, register, unregister', async () => {
    await rejectsWith(server.client.call('systemSharedMemoryStatus', {}), Status.UNIMPLEMENTED, system);
    await rejectsWith(
      server.client.call('systemSharedMemoryRegister', { name: 'r', key: '/k', offset: 0n, byteSize: 64n }),
      Status.UNIMPLEMENTED,
      system,
    );
    await rejectsWith(server.client.call('systemSharedMemoryUnregister', { name: 'r' }), Status.UNIMPLEMENTED, system);
  });

  it('CUDA shared memory status, register, unregister', async () => {
    await rejectsWith(server.client.call('cudaSharedMemoryStatus', {}), Status.UNIMPLEMENTED, cuda);
    await rejectsWith(
      server.client.call('cudaSharedMemoryRegister', {
        name: 'r',
        rawHandle: new Uint8Array(8),
        deviceId: 0n,
        byteSize: 64n,
      }),
      Status.UNIMPLEMENTED,
      cuda,
    );
    await rejectsWith(server.client.call('cudaSharedMemoryUnregister', {}), Status.UNIMPLEMENTED, cuda);
  });
});
