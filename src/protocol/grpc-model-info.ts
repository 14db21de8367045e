/**
 * The metadata answers of the gRPC service, built from the same data as the HTTP ones: server metadata,
 * model metadata, the model configuration and the repository index.
 *
 * @module
 */

import type { ModelInfo } from '../core/request.ts';
import type { ModelIndexOut } from './grpc-messages.ts';
import { modelConfigJson, modelMetadata } from './model-metadata.ts';
import type { ModelIndexEntry } from '../core/inference-service.ts';
import { repositoryIndex } from './repository.ts';

/** A `ServerMetadataResponse`. */
export interface ServerMetadataOut {
  readonly name: string;
  readonly version: string;
  readonly extensions: readonly string[];
}

/** The server metadata object (`GET /v2`) as a `ServerMetadataResponse`. */
export function serverMetadataMessage(metadata: object): ServerMetadataOut {
  const { name, version, extensions } = metadata as Partial<ServerMetadataOut>;
  return { name: name ?? '', version: version ?? '', extensions: extensions ?? [] };
}

/** A model's `ModelMetadataResponse` (shapes with a leading -1 when the model batches). */
export function modelMetadataMessage(model: ModelInfo, versions: readonly number[]): object {
  return modelMetadata(model, versions);
}

/**
 * A model's `ModelConfigResponse`: the configuration `GET /v2/models/{m}/config` returns, whose keys are the
 * protobuf field names and whose enums are the enum value names.
 */
export function modelConfigMessage(
  model: ModelInfo,
  instanceCount: number,
  versionPolicy?: object,
): { config: object } {
  return { config: modelConfigJson(model, instanceCount, versionPolicy) };
}

/** The `models` of a `RepositoryIndexResponse`, as the HTTP index lists them (state, and reason when not ready). */
export function repositoryIndexMessage(
  entries: readonly ModelIndexEntry[],
  readyOnly: boolean,
): { models: ModelIndexOut[] } {
  const index = repositoryIndex(entries, readyOnly);
  return {
    models: index.map((e) => ({
      name: e.name,
      version: e.version ?? '',
      state: e.state ?? '',
      reason: e.reason ?? '',
    })),
  };
}
