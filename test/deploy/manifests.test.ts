import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { DEFAULT_CONFIG } from '../../src/config/triton-config.ts';
import { parseServeArgs } from '../../src/cli/serve/serve-options.ts';
import {
  execForm,
  flagValue,
  loadManifests,
  manifest,
  type Manifest,
  parseDockerfile,
  stageEnv,
} from './deploy-files.ts';
import { validateInferenceService, validateServingRuntime } from './kserve-schema.ts';

/** The validator of each kind shipped under deploy/. */
const VALIDATORS: Readonly<Record<string, (m: Manifest) => void>> = {
  'apps/v1 Deployment': (m) => new Deployment(m as never).validate(),
  'v1 Service': (m) => new Service(m as never).validate(),
  'v1 ConfigMap': (m) => new ConfigMap(m as never).validate(),
  'autoscaling/v2 HorizontalPodAutoscaler': (m) => new HorizontalPodAutoscaler(m as never).validate(),
  'serving.kserve.io/v1alpha1 ClusterServingRuntime': validateServingRuntime,
  'serving.kserve.io/v1beta1 InferenceService': validateInferenceService,
};

const all = loadManifests();

/** The settings of a container's `serve ...` arguments. */
function serveArgs(args: readonly string[]): ReturnType<typeof parseServeArgs> {
  assert.equal(args[0], 'serve');
  return parseServeArgs(args.slice(1));
}
const strip = ({ file: _file, ...m }: Manifest): Manifest => m as Manifest;

describe('deploy/: manifests', () => {
  it('every document parses and validates against the Kubernetes (and KServe) schema of its kind', () => {
    assert.ok(all.length >= 10, `found ${all.length} documents`);
    for (const m of all) {
      const validate = VALIDATORS[`${m.apiVersion} ${m.kind}`];
      assert.ok(validate, `${m.file}: no validator for ${m.apiVersion} ${m.kind}`);
      assert.doesNotThrow(() => validate(strip(m)), `${m.file}: ${m.kind} ${m.metadata.name}`);
    }
  });

  it('the validators reject a wrong manifest, naming the field', () => {
    const deployment = structuredClone(strip(manifest(all, 'Deployment', 'ts-triton')));
    deployment.spec.template.spec.containers[0].ports[0].containerPort = '8000';
    assert.throws(() => VALIDATORS['apps/v1 Deployment']!(deployment), /containerPort must be integer/);
    const runtime = structuredClone(strip(manifest(all, 'ClusterServingRuntime', 'ts-triton')));
    runtime.spec.protocolVersions = ['v3'];
    assert.throws(() => validateServingRuntime(runtime), /protocolVersions must list some of v1, v2, grpc-v1, grpc-v2/);
    runtime.spec.protocolVersion = 'v2';
    assert.throws(() => validateServingRuntime(runtime), /unknown field\(s\) protocolVersion/);
    const isvc = structuredClone(strip(manifest(all, 'InferenceService', 'ts-triton-example')));
    delete isvc.spec.predictor.model.modelFormat;
    assert.throws(() => validateInferenceService(isvc), /modelFormat\.name is required/);
  });

  it('the Deployment: probes on the Triton health endpoints, a drain within the grace period, requests, the metrics port annotated', () => {
    const pod = manifest(all, 'Deployment', 'ts-triton').spec.template;
    const container = pod.spec.containers[0];
    const { config } = serveArgs(container.args);
    const port = (name: string): number => container.ports.find((p: { name: string }) => p.name === name).containerPort;
    assert.equal(port('http'), config.httpPort);
    assert.equal(port('grpc'), config.grpcPort);
    assert.equal(port('metrics'), config.metricsPort);
    assert.deepEqual(container.livenessProbe.httpGet, { path: '/v2/health/live', port: 'http' });
    assert.deepEqual(container.readinessProbe.httpGet, { path: '/v2/health/ready', port: 'http' });
    const preStop = container.lifecycle.preStop.sleep.seconds as number;
    const drain = config.exitTimeoutSecs ?? DEFAULT_CONFIG.exitTimeoutSecs;
    assert.ok(preStop > 0, 'the preStop hook waits for the endpoints to drop the pod');
    assert.ok(preStop + drain < pod.spec.terminationGracePeriodSeconds, 'preStop + drain end before SIGKILL');
    assert.ok(container.resources.requests.cpu && container.resources.requests.memory);
    assert.equal(pod.metadata.annotations['prometheus.io/scrape'], 'true');
    assert.equal(Number(pod.metadata.annotations['prometheus.io/port']), config.metricsPort);
    assert.equal(pod.metadata.annotations['prometheus.io/path'], '/metrics');
    assert.equal(pod.spec.securityContext.runAsNonRoot, true);
    const service = manifest(all, 'Service', 'ts-triton');
    for (const p of service.spec.ports)
      assert.ok(
        container.ports.some((c: { name: string }) => c.name === p.targetPort),
        p.name,
      );
  });

  it('OTEL_RESOURCE_ATTRIBUTES names the pod and node from the downward API, in the Deployment and the KServe runtime', () => {
    const containers = [
      manifest(all, 'Deployment', 'ts-triton').spec.template.spec.containers[0],
      manifest(all, 'ClusterServingRuntime', 'ts-triton').spec.containers[0],
    ];
    for (const container of containers) {
      const env = container.env as { name: string; value?: string; valueFrom?: { fieldRef: { fieldPath: string } } }[];
      const position = (name: string): number => env.findIndex((e) => e.name === name);
      const attributes = env.find((e) => e.name === 'OTEL_RESOURCE_ATTRIBUTES')!.value!;
      for (const [key, variable, field] of [
        ['k8s.pod.name', 'POD_NAME', 'metadata.name'],
        ['k8s.node.name', 'NODE_NAME', 'spec.nodeName'],
      ] as const) {
        assert.ok(attributes.includes(`${key}=$(${variable})`), key);
        assert.equal(env[position(variable)]!.valueFrom!.fieldRef.fieldPath, field);
        assert.ok(
          position(variable) < position('OTEL_RESOURCE_ATTRIBUTES'),
          `${variable} is defined before it is referenced`,
        );
      }
    }
  });

  it('the HPA scales on average queue time from the prometheus-adapter rule over nv_inference_queue_duration_us / nv_inference_request_success', () => {
    const hpa = manifest(all, 'HorizontalPodAutoscaler', 'ts-triton');
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ts-triton' });
    const metric = hpa.spec.metrics[0];
    assert.equal(metric.type, 'Pods');
    const adapter = parse(manifest(all, 'ConfigMap', 'prometheus-adapter').data!['config.yaml']!) as {
      rules: { seriesQuery: string; name: { as: string }; metricsQuery: string; resources: { overrides: object } }[];
    };
    const rule = adapter.rules.find((r) => r.name.as === metric.pods.metric.name);
    assert.ok(rule, `an adapter rule serves ${metric.pods.metric.name}`);
    assert.match(rule.seriesQuery, /^nv_inference_queue_duration_us\{/);
    assert.match(
      rule.metricsQuery,
      /rate\(nv_inference_queue_duration_us\{<<\.LabelMatchers>>\}\[1m\]\)[\s\S]*\/[\s\S]*rate\(nv_inference_request_success\{<<\.LabelMatchers>>\}\[1m\]\)/,
    );
    assert.deepEqual(Object.keys(rule.resources.overrides).sort(), ['namespace', 'pod']);
  });

  it('KServe: the runtime serves /mnt/models on 8080 (REST) and the h2c port (gRPC), with its metrics port annotated', () => {
    const runtime = manifest(all, 'ClusterServingRuntime', 'ts-triton');
    const container = runtime.spec.containers[0];
    assert.equal(container.name, 'kserve-container');
    assert.deepEqual(container.args.slice(0, 2), ['serve', '/mnt/models']);
    assert.equal(flagValue(container.args, 'http-port'), '8080');
    assert.deepEqual(runtime.spec.protocolVersions, ['v2', 'grpc-v2']);
    assert.equal(runtime.spec.annotations['prometheus.kserve.io/port'], flagValue(container.args, 'metrics-port'));
    assert.equal(runtime.spec.annotations['prometheus.kserve.io/path'], '/metrics');
    const rest = manifest(all, 'InferenceService', 'ts-triton-example').spec.predictor.model;
    const grpc = manifest(all, 'InferenceService', 'ts-triton-example-grpc').spec.predictor.model;
    for (const model of [rest, grpc]) {
      assert.equal(model.runtime, runtime.metadata.name);
      assert.ok(runtime.spec.supportedModelFormats.some((f: { name: string }) => f.name === model.modelFormat.name));
    }
    assert.equal(rest.protocolVersion, 'v2');
    assert.equal(grpc.protocolVersion, 'grpc-v2');
    assert.deepEqual(grpc.ports, [
      { name: 'h2c', containerPort: Number(flagValue(container.args, 'grpc-port')), protocol: 'TCP' },
    ]);
  });

  it('the OpenTelemetry Collector receives the URL the servers export to, and every pipeline component is defined', () => {
    const config = parse(manifest(all, 'ConfigMap', 'otel-collector').data!['config.yaml']!) as Record<
      string,
      Record<string, unknown>
    >;
    const pipelines = (config.service as { pipelines: Record<string, Record<string, string[]>> }).pipelines;
    for (const [name, pipeline] of Object.entries(pipelines)) {
      for (const part of ['receivers', 'processors', 'exporters']) {
        for (const component of pipeline[part] ?? [])
          assert.ok(component in config[part]!, `${name}.${part}: ${component} is defined`);
      }
    }
    assert.ok(pipelines.traces!.exporters!.some((e) => /^otlp\/(jaeger|tempo)$/.test(e)));
    const service = manifest(all, 'Service', 'otel-collector');
    const httpEndpoint = (
      config.receivers!.otlp as { protocols: { http: { endpoint: string } } }
    ).protocols.http.endpoint.split(':')[1];
    for (const container of [
      manifest(all, 'Deployment', 'ts-triton').spec.template.spec.containers[0],
      manifest(all, 'ClusterServingRuntime', 'ts-triton').spec.containers[0],
    ]) {
      const url = new URL(
        serveArgs(container.args)
          .config.traceConfig!.find((e) => e.startsWith('opentelemetry,url='))!
          .slice('opentelemetry,url='.length),
      );
      assert.equal(url.hostname, `${service.metadata.name}.${service.metadata.namespace}`);
      assert.ok(service.spec.ports.some((p: { port: number }) => String(p.port) === url.port));
      assert.equal(url.port, httpEndpoint);
      assert.equal(url.pathname, '/v1/traces');
    }
  });
});

describe('deploy/Dockerfile', () => {
  const stages = parseDockerfile(readFileSync('deploy/Dockerfile', 'utf8'));
  const final = stages.at(-1)!;
  const one = (keyword: string) => {
    const found = final.instructions.filter((i) => i.keyword === keyword);
    assert.equal(found.length, 1, `one ${keyword} in the final stage`);
    return found[0]!;
  };

  it('is multi-stage: the final stage copies the build from the build stage, on Node 24', () => {
    assert.ok(stages.length >= 2);
    assert.ok(
      stages.every((s) => /^node:24[-.]/.test(s.from)),
      'every stage runs Node 24',
    );
    const build = stages[0]!.name!;
    assert.ok(
      final.instructions.some(
        (i) => i.keyword === 'COPY' && i.args.startsWith(`--from=${build} `) && i.args.includes('/dist'),
      ),
    );
    assert.ok(stages[0]!.instructions.some((i) => i.keyword === 'RUN' && i.args.includes('npm run build')));
  });

  it('runs as a non-root user, with node as PID 1 (no init) in exec form, and exposes the default ports', () => {
    const user = one('USER').args;
    assert.doesNotMatch(user, /^(root|0)(:|$)/);
    const entrypoint = execForm(one('ENTRYPOINT'));
    const cmd = execForm(one('CMD'));
    assert.equal(entrypoint[0], 'node', 'node is PID 1 and handles SIGTERM itself');
    assert.ok(!entrypoint.some((a) => /tini|dumb-init/.test(a)));
    const workdir = one('WORKDIR').args;
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> };
    assert.equal(
      entrypoint[1],
      `${workdir}/${pkg.bin['ts-triton']!.replace(/^\.\//, '')}`,
      "the entrypoint is the package's bin",
    );
    assert.equal(cmd[0], 'serve');
    assert.deepEqual(one('EXPOSE').args.split(/\s+/).map(Number), [
      DEFAULT_CONFIG.httpPort,
      DEFAULT_CONFIG.grpcPort,
      DEFAULT_CONFIG.metricsPort,
    ]);
  });

  it('listens on every interface in the container, whatever the library default', () => {
    const env = stageEnv(final);
    for (const name of ['HTTP', 'GRPC', 'METRICS']) assert.equal(env[`TS_TRITON_${name}_ADDRESS`], '0.0.0.0');
  });

  it('has a HEALTHCHECK in exec form on the readiness endpoint', () => {
    const healthcheck = one('HEALTHCHECK');
    const command = execForm(healthcheck, healthcheck.args.slice(0, healthcheck.args.indexOf('CMD ') + 4));
    assert.equal(command[0], 'node');
    assert.match(command.join(' '), /\/v2\/health\/ready/);
  });
});
