/**
 * Tensor summaries of a request traced in OpenTelemetry mode at level TENSORS (which Triton does not trace in
 * that mode): each input's and output's datatype and shape as attributes of the model span, and, behind the
 * explicit `opentelemetry,tensor_preview=<n>` opt-in, a preview of its first values, bounded in count and bytes.
 *
 * @module
 */

import type { Attributes } from '@opentelemetry/api';
import type { NDArray } from '../tensor/ndarray.ts';

/** The most values a preview may be set to show (`opentelemetry,tensor_preview`). */
export const MAX_PREVIEW_VALUES = 64;
/** The most UTF-8 bytes of a preview's text; values past it are left out, and the text ends with `…`. */
export const MAX_PREVIEW_BYTES = 256;

/** Which tensors a summary is of. */
export type TensorActivity = 'TENSOR_QUEUE_INPUT' | 'TENSOR_BACKEND_OUTPUT';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** One value of `array` at `i` as preview text. */
function valueText(array: NDArray, i: number): string {
  const data = array.data as ArrayLike<unknown>;
  if (array.dtype === 'BYTES') return JSON.stringify(decoder.decode(data[i] as Uint8Array));
  if (array.dtype === 'BOOL') return data[i] ? '1' : '0';
  return String(data[i]);
}

/**
 * The first `count` values of `array`, comma-joined, at most {@link MAX_PREVIEW_BYTES} bytes long (cut at a
 * value, then `…` added when values were left out); undefined for FP16/BF16 (kept as raw bits) and empty tensors.
 */
export function previewText(array: NDArray, count: number): string | undefined {
  if (array.dtype === 'FP16' || array.dtype === 'BF16' || array.size === 0) return undefined;
  const shown = Math.min(count, array.size);
  let text = '';
  let bytes = 0;
  for (let i = 0; i < shown; i++) {
    const value = (i === 0 ? '' : ',') + valueText(array, i);
    const size = encoder.encode(value).length;
    if (bytes + size > MAX_PREVIEW_BYTES - 3) return `${text}…`;
    text += value;
    bytes += size;
  }
  return shown < array.size ? `${text}…` : text;
}

/**
 * The summary attributes of `tensors`: `ts_triton.input.<name>.datatype` and `.shape` (or `output`), and
 * `.values` when `previewValues` > 0.
 */
export function tensorSummary(
  activity: TensorActivity,
  tensors: Readonly<Record<string, NDArray>>,
  previewValues: number,
): Attributes {
  const prefix = activity === 'TENSOR_QUEUE_INPUT' ? 'ts_triton.input.' : 'ts_triton.output.';
  const attributes: Attributes = {};
  for (const name of Object.keys(tensors)) {
    const array = tensors[name]!;
    attributes[`${prefix}${name}.datatype`] = array.dtype;
    attributes[`${prefix}${name}.shape`] = array.shape.slice();
    if (previewValues > 0) {
      const preview = previewText(array, previewValues);
      if (preview !== undefined) attributes[`${prefix}${name}.values`] = preview;
    }
  }
  return attributes;
}
