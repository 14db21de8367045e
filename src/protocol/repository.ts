/**
 * The model repository extension's bodies: the index, and the load/unload requests.
 *
 * @module
 */

import type { ModelIndexEntry } from '../core/inference-service.ts';
import { ErrorCode, invalidArg, TritonError } from '../errors.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads the optional `{"ready": bool}` body of an index request.
 * @throws {TritonError} INVALID_ARG when `ready` is not a boolean.
 */
export function parseIndexRequest(body: unknown): { readyOnly: boolean } {
  if (body === undefined) return { readyOnly: false };
  if (!isObject(body)) throw invalidArg('Unable to parse the repository index request: expected a JSON object');
  if (body.ready !== undefined && typeof body.ready !== 'boolean') {
    throw invalidArg("Invalid value for 'ready': expected a boolean");
  }
  return { readyOnly: body.ready === true };
}

/** One entry as Triton writes it: `version`, `state` and `reason` only when known and not empty. */
export interface IndexJson {
  readonly name: string;
  readonly version?: string;
  readonly state?: string;
  readonly reason?: string;
}

/** The index entries as Triton writes them; `readyOnly` keeps the READY ones. */
export function repositoryIndex(entries: readonly ModelIndexEntry[], readyOnly: boolean): IndexJson[] {
  return entries
    .filter((e) => !readyOnly || e.state === 'READY')
    .map((e) => ({
      name: e.name,
      ...(e.version !== undefined && { version: String(e.version) }),
      ...(e.state !== undefined && { state: e.state }),
      ...(e.reason && { reason: e.reason }),
    }));
}

/** The index as Triton's HTTP endpoint writes it. */
export function repositoryIndexJson(entries: readonly ModelIndexEntry[], readyOnly: boolean): string {
  return JSON.stringify(repositoryIndex(entries, readyOnly));
}

/**
 * Checks a load request's body: models are bound in code, so a new configuration or model files cannot be
 * loaded.
 * @throws {TritonError} UNSUPPORTED naming the parameter.
 */
export function checkLoadRequest(body: unknown): void {
  if (body === undefined) return;
  if (!isObject(body)) throw invalidArg('Unable to parse the load request: expected a JSON object');
  const parameters = isObject(body.parameters) ? body.parameters : {};
  for (const key of Object.keys(parameters)) {
    if (key === 'config' || key.startsWith('file:')) {
      throw new TritonError(
        ErrorCode.UNSUPPORTED,
        `load parameter '${key}' is not supported: ts-triton models are bound in code, and load only makes an unloaded model available again`,
      );
    }
  }
}
