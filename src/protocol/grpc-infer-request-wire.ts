/**
 * A hand-written decoder of `ModelInferRequest` for the gRPC hot path. It gives the very objects
 * `@grpc/proto-loader` gives with the frontend's loader options (see `grpc-messages.ts`), several times
 * faster, for the messages clients send in practice: names, version, id, parameters, inputs (name, datatype,
 * shape, parameters), requested outputs and `raw_input_contents`. For anything else (typed `contents`, unknown
 * fields, unexpected wire types, a oneof with several members, malformed data) it throws {@link NotFastPath}
 * and the caller decodes the message with `@grpc/proto-loader`, which keeps its exact results and errors.
 *
 * @module
 */

import type { InferInputTensorIn, InferParameterIn, ModelInferRequestIn, RequestedOutputIn } from './grpc-messages.ts';
import { NotFastPath, WireReader } from '../wire/proto-reader.ts';
import { tag, WIRE_LEN, WIRE_VARINT } from '../wire/wire-types.ts';
import {
  ENTRY_KEY,
  ENTRY_VALUE,
  PARAMETER_BOOL,
  PARAMETER_DOUBLE,
  PARAMETER_INT64,
  PARAMETER_STRING,
  PARAMETER_UINT64,
} from './grpc-parameter-tags.ts';

// The tags read, by message.
const REQUEST_MODEL_NAME = tag(1, WIRE_LEN);
const REQUEST_MODEL_VERSION = tag(2, WIRE_LEN);
const REQUEST_ID = tag(3, WIRE_LEN);
const REQUEST_PARAMETERS = tag(4, WIRE_LEN);
const REQUEST_INPUTS = tag(5, WIRE_LEN);
const REQUEST_OUTPUTS = tag(6, WIRE_LEN);
const REQUEST_RAW_INPUT_CONTENTS = tag(7, WIRE_LEN);
const INPUT_NAME = tag(1, WIRE_LEN);
const INPUT_DATATYPE = tag(2, WIRE_LEN);
const INPUT_SHAPE_PACKED = tag(3, WIRE_LEN);
const INPUT_SHAPE_ELEMENT = tag(3, WIRE_VARINT);
const INPUT_PARAMETERS = tag(4, WIRE_LEN);
const OUTPUT_NAME = tag(1, WIRE_LEN);
const OUTPUT_PARAMETERS = tag(2, WIRE_LEN);

type ParameterMap = Record<string, InferParameterIn>;

/**
 * Decodes a `ModelInferRequest`; `raw_input_contents` share memory with `message`.
 * @throws {NotFastPath} for a message this decoder leaves to `@grpc/proto-loader`.
 */
export function readModelInferRequest(message: Buffer): ModelInferRequestIn {
  const r = new WireReader(message);
  let model_name = '';
  let model_version = '';
  let id = '';
  const parameters: ParameterMap = {};
  const inputs: InferInputTensorIn[] = [];
  const outputs: RequestedOutputIn[] = [];
  const raw_input_contents: Buffer[] = [];
  while (!r.done) {
    switch (r.smallVarint()) {
      case REQUEST_MODEL_NAME:
        model_name = r.string();
        break;
      case REQUEST_MODEL_VERSION:
        model_version = r.string();
        break;
      case REQUEST_ID:
        id = r.string();
        break;
      case REQUEST_PARAMETERS:
        readParameterEntry(r.message(), parameters);
        break;
      case REQUEST_INPUTS:
        inputs.push(readInput(r.message()));
        break;
      case REQUEST_OUTPUTS:
        outputs.push(readOutput(r.message()));
        break;
      case REQUEST_RAW_INPUT_CONTENTS:
        raw_input_contents.push(r.bytes());
        break;
      default:
        throw new NotFastPath('field left to the general decoder');
    }
  }
  return { model_name, model_version, id, parameters, inputs, outputs, raw_input_contents };
}

/** `ModelInferRequest.InferInputTensor`, without `contents`. */
function readInput(r: WireReader): InferInputTensorIn {
  let name = '';
  let datatype = '';
  const shape: string[] = [];
  const parameters: ParameterMap = {};
  while (!r.done) {
    switch (r.smallVarint()) {
      case INPUT_NAME:
        name = r.string();
        break;
      case INPUT_DATATYPE:
        datatype = r.string();
        break;
      case INPUT_SHAPE_PACKED: {
        const packed = r.message();
        while (!packed.done) shape.push(packed.int64String(true));
        break;
      }
      case INPUT_SHAPE_ELEMENT:
        shape.push(r.int64String(true));
        break;
      case INPUT_PARAMETERS:
        readParameterEntry(r.message(), parameters);
        break;
      default:
        throw new NotFastPath('field left to the general decoder');
    }
  }
  return { name, datatype, shape, parameters, contents: null };
}

/** `ModelInferRequest.InferRequestedOutputTensor`. */
function readOutput(r: WireReader): RequestedOutputIn {
  let name = '';
  const parameters: ParameterMap = {};
  while (!r.done) {
    switch (r.smallVarint()) {
      case OUTPUT_NAME:
        name = r.string();
        break;
      case OUTPUT_PARAMETERS:
        readParameterEntry(r.message(), parameters);
        break;
      default:
        throw new NotFastPath('field left to the general decoder');
    }
  }
  return { name, parameters };
}

/** One entry of a `map<string, InferParameter>`, added to `map` (a later entry replaces an earlier one). */
function readParameterEntry(r: WireReader, map: ParameterMap): void {
  let key = '';
  let value: InferParameterIn | undefined;
  while (!r.done) {
    switch (r.smallVarint()) {
      case ENTRY_KEY:
        key = r.string();
        break;
      case ENTRY_VALUE:
        value = readParameter(r.message());
        break;
      default:
        throw new NotFastPath('field left to the general decoder');
    }
  }
  if (value === undefined || key === '__proto__') throw new NotFastPath('entry left to the general decoder');
  map[key] = value;
}

/** An `InferParameter` with at most one member set, `parameter_choice` naming it. */
function readParameter(r: WireReader): InferParameterIn {
  if (r.done) return {};
  let parameter: InferParameterIn;
  switch (r.smallVarint()) {
    case PARAMETER_BOOL:
      parameter = { bool_param: r.bool(), parameter_choice: 'bool_param' };
      break;
    case PARAMETER_INT64:
      parameter = { int64_param: r.int64String(true), parameter_choice: 'int64_param' };
      break;
    case PARAMETER_STRING:
      parameter = { string_param: r.string(), parameter_choice: 'string_param' };
      break;
    case PARAMETER_DOUBLE:
      parameter = { double_param: r.double(), parameter_choice: 'double_param' };
      break;
    case PARAMETER_UINT64:
      parameter = { uint64_param: r.int64String(false), parameter_choice: 'uint64_param' };
      break;
    default:
      throw new NotFastPath('field left to the general decoder');
  }
  if (!r.done) throw new NotFastPath('several members of a oneof');
  return parameter;
}
