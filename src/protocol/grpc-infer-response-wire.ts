/**
 * A hand-written encoder of `ModelInferResponse` for the gRPC hot path: the same bytes `@grpc/proto-loader`
 * writes for a {@link ModelInferResponseOut} (fields in number order, strings written even when empty,
 * `shape` packed), without building protobufjs message objects on the way. For values it does not write
 * exactly as protobufjs would (a non-integer `int64`, a string with lone surrogates, a parameter that is not
 * exactly one member) it throws {@link NotFastPath} and the caller encodes the message with
 * `@grpc/proto-loader`.
 *
 * @module
 */

import type { InferOutputTensorOut, InferParameterOut, ModelInferResponseOut } from './grpc-messages.ts';
import { NotFastPath } from '../wire/proto-reader.ts';
import { tag, WIRE_LEN } from '../wire/wire-types.ts';
import {
  ENTRY_KEY,
  ENTRY_VALUE,
  PARAMETER_BOOL,
  PARAMETER_DOUBLE,
  PARAMETER_INT64,
  PARAMETER_STRING,
} from './grpc-parameter-tags.ts';
import { int64Size, ProtoWriter, utf8Size } from '../wire/proto-writer.ts';
import { delimitedSize } from '../wire/varint.ts';

const RESPONSE_MODEL_NAME = tag(1, WIRE_LEN);
const RESPONSE_MODEL_VERSION = tag(2, WIRE_LEN);
const RESPONSE_ID = tag(3, WIRE_LEN);
const RESPONSE_PARAMETERS = tag(4, WIRE_LEN);
const RESPONSE_OUTPUTS = tag(5, WIRE_LEN);
const RESPONSE_RAW_OUTPUT_CONTENTS = tag(6, WIRE_LEN);
const OUTPUT_NAME = tag(1, WIRE_LEN);
const OUTPUT_DATATYPE = tag(2, WIRE_LEN);
const OUTPUT_SHAPE = tag(3, WIRE_LEN);

type Parameter = readonly [key: string, value: InferParameterOut];

/**
 * Encodes a `ModelInferResponse`.
 * @throws {NotFastPath} for a value left to `@grpc/proto-loader`.
 */
export function writeModelInferResponse(response: ModelInferResponseOut): Buffer {
  const parameters = Object.entries(response.parameters);
  const parameterSizes = parameters.map(entrySize);
  const outputSizes = response.outputs.map(outputSize);
  let size =
    delimitedSize(utf8Size(response.model_name)) +
    delimitedSize(utf8Size(response.model_version)) +
    delimitedSize(utf8Size(response.id));
  for (const entry of parameterSizes) size += delimitedSize(entry);
  for (const output of outputSizes) size += delimitedSize(output);
  for (const bytes of response.raw_output_contents) size += delimitedSize(bytes.byteLength);

  const w = ProtoWriter.exact(size);
  writeString(w, RESPONSE_MODEL_NAME, response.model_name);
  writeString(w, RESPONSE_MODEL_VERSION, response.model_version);
  writeString(w, RESPONSE_ID, response.id);
  parameters.forEach((entry, i) => {
    w.delimited(RESPONSE_PARAMETERS, parameterSizes[i]!);
    writeEntry(w, entry);
  });
  response.outputs.forEach((output, i) => {
    w.delimited(RESPONSE_OUTPUTS, outputSizes[i]!);
    writeOutput(w, output);
  });
  for (const bytes of response.raw_output_contents) w.bytesField(RESPONSE_RAW_OUTPUT_CONTENTS, bytes);
  if (w.pos !== size) throw new Error(`ModelInferResponse: wrote ${w.pos} bytes, expected ${size}`);
  return w.finish();
}

function writeString(w: ProtoWriter, fieldTag: number, text: string): void {
  w.stringField(fieldTag, text, utf8Size(text));
}

function shapeSize(shape: readonly number[]): number {
  let size = 0;
  for (const dim of shape) size += int64Size(dim);
  return size;
}

function outputSize(output: InferOutputTensorOut): number {
  const shape = output.shape.length > 0 ? delimitedSize(shapeSize(output.shape)) : 0;
  return delimitedSize(utf8Size(output.name)) + delimitedSize(utf8Size(output.datatype)) + shape;
}

function writeOutput(w: ProtoWriter, output: InferOutputTensorOut): void {
  writeString(w, OUTPUT_NAME, output.name);
  writeString(w, OUTPUT_DATATYPE, output.datatype);
  if (output.shape.length === 0) return;
  w.delimited(OUTPUT_SHAPE, shapeSize(output.shape));
  for (const dim of output.shape) w.int64(dim);
}

/** The member of a parameter; {@link NotFastPath} unless it has exactly one, of the type protobufjs expects. */
function memberOf(parameter: InferParameterOut): InferParameterOut {
  const keys = Object.keys(parameter);
  const value = (parameter as Record<string, unknown>)[keys[0]!];
  const fits =
    keys.length === 1 &&
    ((keys[0] === 'bool_param' && typeof value === 'boolean') ||
      (keys[0] === 'string_param' && typeof value === 'string') ||
      (keys[0] === 'double_param' && typeof value === 'number') ||
      keys[0] === 'int64_param');
  if (!fits) throw new NotFastPath('parameter left to the general encoder');
  return parameter;
}

function parameterSize(parameter: InferParameterOut): number {
  const member = memberOf(parameter);
  if ('bool_param' in member) return 2;
  if ('string_param' in member) return delimitedSize(utf8Size(member.string_param));
  if ('double_param' in member) return 9;
  return 1 + int64Size(member.int64_param);
}

function writeParameter(w: ProtoWriter, parameter: InferParameterOut): void {
  if ('bool_param' in parameter) {
    w.varint(PARAMETER_BOOL);
    w.bool(parameter.bool_param);
  } else if ('string_param' in parameter) {
    writeString(w, PARAMETER_STRING, parameter.string_param);
  } else if ('double_param' in parameter) {
    w.varint(PARAMETER_DOUBLE);
    w.double(parameter.double_param);
  } else {
    w.varint(PARAMETER_INT64);
    w.int64(parameter.int64_param);
  }
}

function entrySize([key, parameter]: Parameter): number {
  return delimitedSize(utf8Size(key)) + delimitedSize(parameterSize(parameter));
}

function writeEntry(w: ProtoWriter, [key, parameter]: Parameter): void {
  writeString(w, ENTRY_KEY, key);
  w.delimited(ENTRY_VALUE, parameterSize(parameter));
  writeParameter(w, parameter);
}
