/**
 * Tags of a `map<string, InferParameter>` entry and of the `InferParameter` oneof's members, which the gRPC
 * inference request decoder and response encoder share.
 *
 * @module
 */

import { tag, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../wire/wire-types.ts';

export const ENTRY_KEY = tag(1, WIRE_LEN);
export const ENTRY_VALUE = tag(2, WIRE_LEN);
export const PARAMETER_BOOL = tag(1, WIRE_VARINT);
export const PARAMETER_INT64 = tag(2, WIRE_VARINT);
export const PARAMETER_STRING = tag(3, WIRE_LEN);
export const PARAMETER_DOUBLE = tag(4, WIRE_I64);
export const PARAMETER_UINT64 = tag(5, WIRE_VARINT);
