/**
 * Where the gRPC protocol's `.proto` files are, and how both the server and the client load them with
 * `@grpc/proto-loader`, so that messages are the same plain objects on both sides.
 *
 * @module
 */

import { fileURLToPath } from 'node:url';
import { loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader';

/** The package's `proto/` directory (beside `src/` and `dist/`). */
const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));

/**
 * How messages become objects (`grpc-messages.ts` describes them): .proto field names, 64-bit integers as
 * decimal strings, enums as names, defaults filled in, repeated fields as arrays, maps as objects,
 * `parameter_choice` naming a oneof's member.
 */
export const GRPC_LOADER_OPTIONS: Options = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
});

/** Loads `.proto` files of the package's `proto/` directory. */
export function loadGrpcProtos(files: readonly string[]): PackageDefinition {
  return loadSync([...files], GRPC_LOADER_OPTIONS);
}
