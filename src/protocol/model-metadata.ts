/**
 * Model metadata and Triton's model configuration JSON.
 *
 * @module
 */

import { configTypeName } from '../tensor/dtype.ts';
import type { QueuePolicy } from '../core/model-config.ts';
import type { ModelInfo } from '../core/request.ts';
import type { Tensor } from '../core/tensor-spec.ts';

/** The platform name ts-triton reports for bound models. */
export const PLATFORM = 'ts-triton';

/** A tensor's shape as metadata shows it: with a leading -1 when the model batches. */
export function metadataShape(model: ModelInfo, tensor: Tensor): number[] {
  return model.config.maxBatchSize > 0 ? [-1, ...tensor.shape] : [...tensor.shape];
}

/** The model metadata response (`GET /v2/models/{m}`). */
export function modelMetadata(model: ModelInfo, versions: readonly number[]): object {
  const describe = (t: Tensor) => ({ name: t.name, datatype: t.dtype, shape: metadataShape(model, t) });
  return {
    name: model.name,
    versions: versions.map(String),
    platform: PLATFORM,
    inputs: model.inputs.map(describe),
    outputs: model.outputs.map(describe),
  };
}

function queuePolicyJson(policy: QueuePolicy): object {
  return {
    timeout_action: policy.timeoutAction,
    default_timeout_microseconds: policy.defaultTimeoutMicroseconds,
    allow_timeout_override: policy.allowTimeoutOverride,
    max_queue_size: policy.maxQueueSize,
  };
}

/**
 * The model configuration as Triton writes it (`GET /v2/models/{m}/config`): proto field names, enums as names.
 * @param versionPolicy - the model's `version_policy`; by default the one version served.
 */
export function modelConfigJson(model: ModelInfo, instanceCount: number, versionPolicy?: object): object {
  const { config } = model;
  const batcher = config.batcher;
  return {
    name: model.name,
    platform: PLATFORM,
    backend: PLATFORM,
    version_policy: versionPolicy ?? { specific: { versions: [model.version] } },
    max_batch_size: config.maxBatchSize,
    input: model.inputs.map((t) => ({
      name: t.name,
      data_type: configTypeName(t.dtype),
      format: 'FORMAT_NONE',
      dims: [...t.shape],
      is_shape_tensor: false,
      allow_ragged_batch: false,
      optional: t.optional,
    })),
    output: model.outputs.map((t) => ({
      name: t.name,
      data_type: configTypeName(t.dtype),
      dims: [...t.shape],
      label_filename: '',
      is_shape_tensor: false,
    })),
    ...(config.maxBatchSize > 0 && {
      dynamic_batching: {
        preferred_batch_size: [...batcher.preferredBatchSize],
        max_queue_delay_microseconds: batcher.maxQueueDelayMicroseconds,
        preserve_ordering: batcher.preserveOrdering,
        priority_levels: batcher.priorityLevels,
        default_priority_level: batcher.defaultPriorityLevel,
        default_queue_policy: queuePolicyJson(batcher.defaultQueuePolicy),
        priority_queue_policy: Object.fromEntries(
          Object.entries(batcher.priorityQueuePolicy).map(([level, p]) => [level, queuePolicyJson(p)]),
        ),
      },
    }),
    instance_group: [{ name: model.name, kind: 'KIND_CPU', count: instanceCount, gpus: [], passive: false }],
    parameters: {},
    model_transaction_policy: { decoupled: config.decoupled },
    response_cache: { enable: config.responseCache },
  };
}
