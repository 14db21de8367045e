/**
 * Latency histograms (`metricsConfig: ['histogram_latencies=true']`) and the OpenMetrics format: buckets,
 * sums and counts per model version, exemplars carrying the trace and span ids of traced requests (checked
 * against the spans the collector received), content negotiation on `Accept`, and the Prometheus text left
 * as it was.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseMetricsConfig } from '../../src/config/metrics-config.ts';
import { acceptsOpenMetrics } from '../../src/frontends/metrics/metrics-handler.ts';
import { type InferFunc, ModelConfig, Tensor, type Triton } from '../../src/index.ts';
import { otlpTraceConfig, startTriton } from '../helpers/server.ts';
import { type OtlpReceiver, startOtlpReceiver } from '../fixtures/otlp-receiver.ts';
import { parseExposition } from './prometheus-text.ts';

const OPENMETRICS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** One OpenMetrics sample line, with its exemplar when it has one. */
interface OpenMetricsSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
  readonly exemplar?: { readonly labels: Record<string, string>; readonly value: number; readonly timestamp: number };
}

const LABELS = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)(?: # \{([^}]*)\} (\S+) (\S+))?$/;

function labelsOf(text: string | undefined): Record<string, string> {
  return Object.fromEntries([...(text ?? '').matchAll(LABELS)].map((match) => [match[1]!, match[2]!]));
}

/** Parses an OpenMetrics text exposition; it must end with `# EOF`. */
function parseOpenMetrics(text: string): OpenMetricsSample[] {
  const lines = text.split('\n');
  assert.equal(lines.at(-1), '', 'the exposition ends with a newline');
  assert.equal(lines.at(-2), '# EOF');
  const samples: OpenMetricsSample[] = [];
  for (const line of lines.slice(0, -2)) {
    if (line.startsWith('# ')) continue;
    const match = SAMPLE.exec(line);
    assert.ok(match, `not an OpenMetrics sample: ${line}`);
    samples.push({
      name: match[1]!,
      labels: labelsOf(match[2]),
      value: Number(match[3]),
      ...(match[4] !== undefined && {
        exemplar: { labels: labelsOf(match[4]), value: Number(match[5]), timestamp: Number(match[6]) },
      }),
    });
  }
  return samples;
}

const simple: InferFunc = (requests) => requests.map((r) => ({ OUTPUT0: r.data.INPUT0! }));

async function startServer(metricsConfig: string[], receiver?: OtlpReceiver): Promise<Triton> {
  const server = await startTriton({
    env: {},
    config: {
      metricsPort: 0,
      allowMetrics: true,
      allowGrpc: false,
      metricsConfig,
      ...(receiver && { traceConfig: ['level=TIMESTAMPS', ...otlpTraceConfig(receiver.url)] }),
    },
    models: [
      {
        modelName: 'simple',
        inferFunc: simple,
        inputs: [Tensor({ name: 'INPUT0', dtype: 'INT32', shape: [1] })],
        outputs: [Tensor({ name: 'OUTPUT0', dtype: 'INT32', shape: [1] })],
        config: ModelConfig({ maxBatchSize: 0 }),
      },
    ],
  });
  return server.triton;
}

async function infer(triton: Triton, traceparent?: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${triton.httpPort}/v2/models/simple/infer`, {
    method: 'POST',
    headers: traceparent ? { traceparent } : {},
    body: JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1], data: [1] }] }),
  });
  assert.equal(response.status, 200);
  await response.arrayBuffer();
}

async function scrape(triton: Triton, accept?: string): Promise<{ contentType: string; text: string }> {
  const response = await fetch(`http://127.0.0.1:${triton.metricsPort}/metrics`, { headers: accept ? { accept } : {} });
  assert.equal(response.status, 200);
  return { contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

const HISTOGRAMS = ['request', 'queue', 'compute'].map((phase) => `ts_triton_inference_${phase}_duration_seconds`);

describe('latency histograms with exemplars', () => {
  let receiver: OtlpReceiver;
  let triton: Triton;
  const traceIds = [
    '0af7651916cd43dd8448eb211c12666c',
    '1bf7651916cd43dd8448eb211c12666d',
    '2cf7651916cd43dd8448eb211c12666e',
  ];

  before(async () => {
    receiver = await startOtlpReceiver();
    triton = await startServer(['histogram_latencies=true'], receiver);
    for (const traceId of traceIds) await infer(triton, `00-${traceId}-b7ad6b7169242424-01`);
  });
  after(async () => {
    await triton.stop();
    await receiver.close();
  });

  it('serves OpenMetrics to a scraper that asks for it: buckets, sum and count, and exemplars naming the traced requests', async () => {
    const { contentType, text } = await scrape(triton, OPENMETRICS_ACCEPT);
    assert.equal(contentType, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
    const samples = parseOpenMetrics(text);
    const spans = await receiver.waitForSpans(12);
    const rootOf = new Map(spans.filter((s) => s.name === 'InferRequest').map((s) => [s.traceId, s.spanId]));
    for (const name of HISTOGRAMS) {
      assert.ok(text.includes(`# TYPE ${name} histogram`), name);
      const buckets = samples.filter((s) => s.name === `${name}_bucket` && s.labels.model === 'simple');
      assert.equal(buckets.length, 17, `${name}: 16 bounds and +Inf`);
      assert.equal(buckets.at(-1)?.labels.le, '+Inf');
      for (let i = 1; i < buckets.length; i++)
        assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, `${name} buckets are cumulative`);
      const count = samples.find((s) => s.name === `${name}_count` && s.labels.model === 'simple');
      assert.equal(count?.value, 3);
      assert.equal(buckets.at(-1)?.value, 3);
      const sum = samples.find((s) => s.name === `${name}_sum` && s.labels.model === 'simple');
      assert.ok(sum !== undefined && sum.value >= 0);
      const exemplars = buckets.filter((b) => b.exemplar !== undefined);
      assert.ok(exemplars.length >= 1, `${name} has exemplars`);
      for (const bucket of exemplars) {
        const { labels, value, timestamp } = bucket.exemplar!;
        assert.ok(traceIds.includes(labels.trace_id!), `exemplar trace id ${labels.trace_id} is one of the requests'`);
        assert.equal(labels.span_id, rootOf.get(labels.trace_id!), 'the exemplar names the request root span');
        const le = bucket.labels.le === '+Inf' ? Infinity : Number(bucket.labels.le);
        assert.ok(value <= le, `exemplar value ${value} fits its bucket le=${bucket.labels.le}`);
        assert.ok(Math.abs(timestamp - Date.now() / 1000) < 60, 'the exemplar timestamp is in seconds, recent');
      }
    }
    // OpenMetrics counters end in _total once, whether or not their name did.
    assert.equal(
      samples.find((s) => s.name === 'nv_inference_request_success_total' && s.labels.model === 'simple')?.value,
      3,
    );
    assert.ok(samples.some((s) => s.name === 'ts_triton_process_cpu_seconds_total'));
    assert.ok(!samples.some((s) => s.name.endsWith('_total_total')));
  });

  it('keeps the Prometheus text for other scrapers, without exemplars and with the counters named as before', async () => {
    await scrape(triton, OPENMETRICS_ACCEPT); // an OpenMetrics scrape first must not change the next text scrape
    const { contentType, text } = await scrape(triton);
    assert.equal(contentType, 'text/plain; version=0.0.4; charset=utf-8');
    assert.ok(!text.includes('# EOF'));
    assert.ok(!text.includes(' # {'), 'no exemplar in the Prometheus text format');
    const exposition = parseExposition(text);
    assert.equal(exposition.type.get('ts_triton_inference_request_duration_seconds'), 'histogram');
    assert.ok(exposition.samples.some((s) => s.name === 'ts_triton_process_cpu_seconds_total'));
    assert.equal(
      exposition.samples.find((s) => s.name === 'nv_inference_request_success' && s.labels.model === 'simple')?.value,
      3,
    );
    const count = exposition.samples.find((s) => s.name === 'ts_triton_inference_request_duration_seconds_count');
    assert.equal(count?.value, 3);
  });
});

describe('latency histograms without tracing, and off', () => {
  it('are served without exemplars when requests are not traced', async () => {
    const triton = await startServer(['histogram_latencies=true']);
    try {
      await infer(triton);
      await infer(triton);
      const samples = parseOpenMetrics((await scrape(triton, 'application/openmetrics-text')).text);
      const count = samples.find((s) => s.name === 'ts_triton_inference_queue_duration_seconds_count');
      assert.equal(count?.value, 2);
      assert.ok(samples.every((s) => s.exemplar === undefined));
    } finally {
      await triton.stop();
    }
  });

  it('are not served by default (Triton has no such families)', async () => {
    const triton = await startServer([]);
    try {
      await infer(triton);
      const { text } = await scrape(triton);
      for (const name of HISTOGRAMS) assert.ok(!text.includes(name), name);
    } finally {
      await triton.stop();
    }
  });
});

describe('metricsConfig and Accept', () => {
  it('parses histogram_latencies and refuses what it does not know', () => {
    assert.deepEqual(parseMetricsConfig([]), { histogramLatencies: false });
    assert.deepEqual(parseMetricsConfig(['histogram_latencies=true']), { histogramLatencies: true });
    assert.deepEqual(parseMetricsConfig(['histogram_latencies=true', 'histogram_latencies=false']), {
      histogramLatencies: false,
    });
    assert.throws(
      () => parseMetricsConfig(['histogram_latencies=yes']),
      /histogram_latencies must be true or false; got 'yes'/,
    );
    assert.throws(() => parseMetricsConfig(['summary_latencies=true']), /summary_latencies is not supported/);
    assert.throws(() => parseMetricsConfig(['histograms']), /have the form '<setting>=<value>'; got 'histograms'/);
    assert.throws(() => parseMetricsConfig(['color=blue']), /unknown setting 'color'/);
  });

  it('serves OpenMetrics only when Accept lists it with a quality above 0', () => {
    assert.equal(acceptsOpenMetrics(OPENMETRICS_ACCEPT), true);
    assert.equal(acceptsOpenMetrics('application/openmetrics-text'), true);
    assert.equal(acceptsOpenMetrics('text/plain;version=0.0.4, application/openmetrics-text; q=0'), false);
    assert.equal(acceptsOpenMetrics('text/plain'), false);
    assert.equal(acceptsOpenMetrics('*/*'), false);
    assert.equal(acceptsOpenMetrics(undefined), false);
  });
});
