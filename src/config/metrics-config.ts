/**
 * The metrics settings (Triton's `--metrics-config <setting>=<value>`).
 *
 * @module
 */

import { invalidArg } from '../errors.ts';

/** The parsed metrics settings. */
export interface MetricsConfig {
  /** Serve latency histograms of request, queue and compute durations (with trace exemplars). */
  readonly histogramLatencies: boolean;
}

/** Triton's settings that ts-triton does not have, named in the error. */
const TRITON_ONLY = new Set(['summary_latencies', 'summary_quantiles', 'counter_latencies']);

/**
 * Parses `TritonConfig.metricsConfig` entries such as `histogram_latencies=true`.
 * @throws {TritonError} INVALID_ARG naming the entry and what is expected.
 */
export function parseMetricsConfig(entries: readonly string[]): MetricsConfig {
  let histogramLatencies = false;
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    const setting = equals < 0 ? entry : entry.slice(0, equals);
    const value = equals < 0 ? '' : entry.slice(equals + 1);
    if (equals <= 0)
      throw invalidArg(`TritonConfig.metricsConfig entries have the form '<setting>=<value>'; got '${entry}'`);
    if (TRITON_ONLY.has(setting))
      throw invalidArg(
        `TritonConfig.metricsConfig: ${setting} is not supported; the one setting is histogram_latencies`,
      );
    if (setting !== 'histogram_latencies') {
      throw invalidArg(
        `TritonConfig.metricsConfig: unknown setting '${setting}'; the one setting is histogram_latencies`,
      );
    }
    if (value !== 'true' && value !== 'false') {
      throw invalidArg(`TritonConfig.metricsConfig: histogram_latencies must be true or false; got '${value}'`);
    }
    histogramLatencies = value === 'true';
  }
  return Object.freeze({ histogramLatencies });
}
