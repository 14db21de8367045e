/**
 * Triton's final-response marker on `ModelStreamInfer`: every response carries the parameter
 * `triton_final_response` (bool). A model that is not decoupled answers once, flagged final; a decoupled
 * model's responses are flagged not final, and when the request's stream of responses ends the server sends
 * an empty response flagged final only if the request set `triton_enable_empty_final_response: true`.
 *
 * @module
 */

import type { InferParameterIn, ModelInferResponseOut } from './grpc-messages.ts';

/** The response parameter that marks the last response of a request. */
export const FINAL_RESPONSE_PARAMETER = 'triton_final_response';

/** The request parameter asking for an empty final response from a decoupled model. */
export const EMPTY_FINAL_RESPONSE_PARAMETER = 'triton_enable_empty_final_response';

/** Whether a request asked for an empty final response (`triton_enable_empty_final_response: true`). */
export function wantsEmptyFinalResponse(parameters: Readonly<Record<string, InferParameterIn>>): boolean {
  const parameter = parameters[EMPTY_FINAL_RESPONSE_PARAMETER];
  return parameter?.parameter_choice === 'bool_param' && parameter.bool_param === true;
}

/** `response` with `triton_final_response` set to `final` (after the model's own response parameters). */
export function withFinalFlag(response: ModelInferResponseOut, final: boolean): ModelInferResponseOut {
  return { ...response, parameters: { ...response.parameters, [FINAL_RESPONSE_PARAMETER]: { bool_param: final } } };
}

/** The empty response that ends a decoupled model's responses to a request: no outputs, flagged final. */
export function emptyFinalResponse(modelName: string, modelVersion: number, id: string): ModelInferResponseOut {
  const empty = {
    model_name: modelName,
    model_version: String(modelVersion),
    id,
    parameters: {},
    outputs: [],
    raw_output_contents: [],
  };
  return withFinalFlag(empty, true);
}
