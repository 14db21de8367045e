/**
 * The model repository extension's gRPC requests (`RepositoryModelLoad`, `RepositoryModelUnload`), checked
 * with the rules and messages of HTTP (`repository.ts`).
 *
 * @module
 */

import { ErrorCode, TritonError } from '../errors.ts';
import type { RepositoryModelRequestIn } from './grpc-messages.ts';
import { checkLoadRequest } from './repository.ts';

/**
 * Checks that a request names no repository: this server has one, bound in code.
 * @throws {TritonError} UNSUPPORTED `'repository_name' specification is not supported`.
 */
export function checkNoRepositoryName(request: Pick<RepositoryModelRequestIn, 'repository_name'>): void {
  if (request.repository_name !== '') {
    throw new TritonError(ErrorCode.UNSUPPORTED, "'repository_name' specification is not supported");
  }
}

/**
 * Checks a `RepositoryModelLoadRequest`: no repository name, and no `config` or `file:*` parameter (models
 * are bound in code; load only makes an unloaded model available again).
 * @throws {TritonError} UNSUPPORTED naming what is not supported.
 */
export function checkGrpcLoadRequest(request: RepositoryModelRequestIn): void {
  checkNoRepositoryName(request);
  checkLoadRequest({ parameters: request.parameters });
}
