/**
 * The protobuf wire types and field tags: the one set of wire constants behind the gRPC codecs, the OTLP
 * encoder and the viewer's OTLP decoder.
 *
 * @module
 */

/** Wire type of varints. */
export const WIRE_VARINT = 0;
/** Wire type of 64-bit fixed values (`double`, `fixed64`). */
export const WIRE_I64 = 1;
/** Wire type of length-delimited values (strings, bytes, messages, packed repeated fields). */
export const WIRE_LEN = 2;
/** Wire type of 32-bit fixed values (`float`, `fixed32`). */
export const WIRE_I32 = 5;

/** The tag of field `field` with wire type `wireType`. */
export function tag(field: number, wireType: number): number {
  return (field << 3) | wireType;
}
