/**
 * The model repository extension's bodies: the index, and the load/unload requests.
 *
 * @module
 */

import { ErrorCode, invalidArg, TritonError } from '../errors.ts';

/** One entry of the repository index. */
export interface IndexEntry {
  readonly name: string;
  readonly version: number;
  readonly ready: boolean;
}

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

/** The index as Triton writes it: `version` and `state` per model, `reason` when it is not ready. */
export function repositoryIndexJson(entries: readonly IndexEntry[], readyOnly: boolean): string {
  const index = entries
    .filter((e) => !readyOnly || e.ready)
    .map((e) =>
      e.ready
        ? { name: e.name, version: String(e.version), state: 'READY' }
        : { name: e.name, version: String(e.version), state: 'UNAVAILABLE', reason: 'unloaded' },
    );
  return JSON.stringify(index);
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
