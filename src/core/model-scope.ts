/**
 * Which model's code is running: the scheduler runs each infer function call inside its model's scope, so an
 * error nothing handled (a fire-and-forget promise of model code, a throw in a timer it set) can be reported
 * with the model's name. The scope follows the asynchronous work the call starts.
 *
 * @module
 */

import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<string>();

/** Calls `fn` in the scope of model `modelName`, returning what it returns. */
export function inModelScope<T>(modelName: string, fn: () => T): T {
  return scope.run(modelName, fn);
}

/** The name of the model whose code is running (or whose asynchronous work this is); undefined outside. */
export function currentModelName(): string | undefined {
  return scope.getStore();
}
