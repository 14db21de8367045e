/**
 * The hot path's hand-written codecs plugged into the service definition: `ModelInferRequest` decoding for
 * ModelInfer and ModelStreamInfer, `ModelInferResponse` encoding for ModelInfer. Each falls back to the
 * `@grpc/proto-loader` function it replaces for the messages it leaves to it, so results and errors stay
 * exactly those of `@grpc/proto-loader`.
 *
 * @module
 */

import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { readModelInferRequest } from '../../protocol/grpc-infer-request-wire.ts';
import { writeModelInferResponse } from '../../protocol/grpc-infer-response-wire.ts';
import type { ModelInferRequestIn, ModelInferResponseOut } from '../../protocol/grpc-messages.ts';
import { NotFastPath } from '../../wire/proto-reader.ts';

type Deserialize<T> = (message: Buffer) => T;
type Serialize<T> = (value: T) => Buffer;

/** Decodes with `fast`, or with `general` when `fast` throws (for a message it does not read). */
function deserializer<T>(fast: (message: Buffer) => T, general: Deserialize<T>): Deserialize<T> {
  return (message) => {
    try {
      return fast(message);
    } catch {
      return general(message);
    }
  };
}

/** Encodes with `fast`, or with `general` when `fast` leaves the value to it ({@link NotFastPath}). */
function serializer<T>(fast: (value: T) => Buffer, general: Serialize<T>): Serialize<T> {
  return (value) => {
    try {
      return fast(value);
    } catch (error) {
      if (error instanceof NotFastPath) return general(value);
      throw error;
    }
  };
}

/** `definition` (of `inference.GRPCInferenceService`) with the hand-written codecs of the inference RPCs. */
export function withFastInferCodecs(definition: ServiceDefinition): ServiceDefinition {
  const modelInfer = definition['ModelInfer'] as MethodDefinition<ModelInferRequestIn, ModelInferResponseOut>;
  const modelStreamInfer = definition['ModelStreamInfer'] as MethodDefinition<ModelInferRequestIn, unknown>;
  return {
    ...definition,
    ModelInfer: {
      ...modelInfer,
      requestDeserialize: deserializer(readModelInferRequest, modelInfer.requestDeserialize),
      responseSerialize: serializer(writeModelInferResponse, modelInfer.responseSerialize),
    },
    ModelStreamInfer: {
      ...modelStreamInfer,
      requestDeserialize: deserializer(readModelInferRequest, modelStreamInfer.requestDeserialize),
    },
  };
}
