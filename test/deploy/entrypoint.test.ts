/**
 * Runs the container's command as Kubernetes and KServe would start it: the Dockerfile's ENTRYPOINT with a
 * manifest's args and env (downward API values filled in, `$(VAR)` expanded), the model folder (/mnt/models,
 * /models) replaced by a copy of the example repository, KServe's (Knative's) environment, and the declared ports
 * mapped to free ones. Then checks what the manifests declare: the ports, the probe endpoints, the metrics the
 * annotations and the HPA rule point at, the trace resource, and the SIGTERM drain.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startOtlpReceiver, type OtlpReceiver } from '../fixtures/otlp-receiver.ts';
import { TestGrpcClient } from '../grpc/client.ts';
import { within } from '../helpers/within.ts';
import { tagModel } from '../repository/repository-fixture.ts';
import { execForm, flagValue, loadManifests, manifest, parseDockerfile, stageEnv } from './deploy-files.ts';

const POD = {
  'metadata.name': 'ts-triton-example-predictor-7d9f-x2k4q',
  'metadata.namespace': 'models',
  'spec.nodeName': 'node-a',
};

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef: { fieldPath: keyof typeof POD } };
}

interface Container {
  args: string[];
  env: EnvVar[];
}

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** The container's env as the kubelet makes it: fieldRefs filled in, `$(VAR)` expanded from earlier variables. */
function kubeletEnv(env: readonly EnvVar[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of env) {
    out[v.name] = v.valueFrom
      ? POD[v.valueFrom.fieldRef.fieldPath]
      : v.value!.replace(/\$\(([A-Z_][A-Z0-9_]*)\)/g, (m, name: string) => out[name] ?? m);
  }
  return out;
}

const FINAL_STAGE = parseDockerfile(readFileSync('deploy/Dockerfile', 'utf8')).at(-1)!;
/** The image's environment (its ENV instructions), under the container's. */
const IMAGE_ENV = stageEnv(FINAL_STAGE);

/** The Dockerfile's ENTRYPOINT, with the built bin replaced by its source (no build here). */
function entrypoint(): string[] {
  const final = FINAL_STAGE;
  const command = execForm(final.instructions.find((i) => i.keyword === 'ENTRYPOINT')!);
  const workdir = final.instructions.find((i) => i.keyword === 'WORKDIR')!.args;
  assert.equal(command[1], `${workdir}/dist/cli/main.js`);
  return [process.execPath, 'src/cli/main.ts', ...command.slice(2)];
}

interface Running {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves once `pattern` appears in the output. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
}

function start(argv: string[], env: Record<string, string>): Running {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('TS_TRITON_') && !k.startsWith('OTEL_')),
  );
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return {
    child,
    output: () => output,
    waitFor(pattern) {
      return within(
        new Promise<RegExpExecArray>((resolve, reject) => {
          const check = (): void => {
            const match = pattern.exec(output);
            if (match) {
              waiters.delete(check);
              resolve(match);
            }
          };
          waiters.add(check);
          child.once('exit', (code) => reject(new Error(`exited with ${code} before ${pattern}:\n${output}`)));
          check();
        }),
        20_000,
        `${pattern}`,
      );
    },
  };
}

/** A copy of the example repository, plus `slow`, which prints a line when a request starts executing. */
function modelFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'ts-triton-mnt-'));
  cpSync('examples/model-repository', root, { recursive: true });
  const slow = tagModel(7, 300).replace(
    'return requests.map',
    "process.stdout.write('slow: executing\\n');\n    return requests.map",
  );
  const dir = join(root, 'slow');
  cpSync('examples/model-repository/identity', dir, { recursive: true });
  rmSync(join(dir, 'model.ts'));
  writeFileSync(join(dir, 'model.mjs'), slow);
  return root;
}

/** Replaces `--<flag>=<declared>` by a free port; returns the port. */
async function mapPort(args: string[], flag: string, declared: string): Promise<number> {
  const i = args.indexOf(`--${flag}=${declared}`);
  assert.ok(i >= 0, `the args declare --${flag}=${declared}`);
  const port = await freePort();
  args[i] = `--${flag}=${port}`;
  return port;
}

const infer = (url: string, model: string, body: object): Promise<Response> =>
  fetch(`${url}/v2/models/${model}/infer`, { method: 'POST', body: JSON.stringify(body) });
const identityBody = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] };
const slowBody = { inputs: [{ name: 'x', datatype: 'INT32', shape: [1], data: [0] }] };

/** Sends SIGTERM with a request in flight on `slow`: the request completes, the process exits 0. */
async function checkDrain(server: Running, url: string): Promise<void> {
  const inFlight = infer(url, 'slow', slowBody);
  await server.waitFor(/slow: executing/);
  server.child.kill('SIGTERM');
  const response = await within(inFlight, 10_000, 'the in-flight request');
  assert.equal(response.status, 200, 'the request in flight at SIGTERM completes');
  assert.deepEqual(((await response.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data, [7]);
  const [code] = (await within(once(server.child, 'exit'), 20_000, 'the exit')) as [number | null];
  assert.equal(code, 0);
  assert.match(server.output(), /Received SIGTERM, stopping/);
}

describe('deploy/: the container command, run locally', () => {
  const all = loadManifests();
  const cleanup: (() => unknown)[] = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it("KServe: the runtime's command with KServe's environment serves /mnt/models on its ports, metrics, traces and drains on SIGTERM", async () => {
    const runtime = manifest(all, 'ClusterServingRuntime', 'ts-triton');
    const grpcService = manifest(all, 'InferenceService', 'ts-triton-example-grpc');
    const container = structuredClone(runtime.spec.containers[0]) as Container;
    const args = container.args;
    const folder = modelFolder();
    cleanup.push(() => rmSync(folder, { recursive: true, force: true }));
    args[args.indexOf('/mnt/models')] = folder;
    const http = await mapPort(args, 'http-port', '8080');
    const h2c = grpcService.spec.predictor.model.ports.find((p: { name: string }) => p.name === 'h2c')
      .containerPort as number;
    const grpc = await mapPort(args, 'grpc-port', String(h2c));
    const metricsPort = await mapPort(args, 'metrics-port', runtime.spec.annotations['prometheus.kserve.io/port']);
    const receiver: OtlpReceiver = await startOtlpReceiver();
    cleanup.push(() => receiver.close());
    const url = args.findIndex((a) => a.startsWith('--trace-config=opentelemetry,url='));
    args[url] = `--trace-config=opentelemetry,url=${receiver.url}`;
    // What Knative and KServe add to the predictor container.
    const knative = {
      PORT: String(http),
      K_SERVICE: 'ts-triton-example-predictor',
      K_REVISION: 'ts-triton-example-predictor-00001',
      K_CONFIGURATION: 'ts-triton-example-predictor',
    };
    const server = start([...entrypoint(), ...args], { ...IMAGE_ENV, ...knative, ...kubeletEnv(container.env) });
    cleanup.push(() => server.child.exitCode === null && server.child.kill('SIGKILL'));
    await server.waitFor(/Started Metrics Service at [^\n]*:(\d+)/);
    assert.match(server.output(), new RegExp(`Started HTTPService at 0\\.0\\.0\\.0:${http}\\b`));
    assert.match(server.output(), new RegExp(`Started GRPCInferenceService at 0\\.0\\.0\\.0:${grpc}\\b`));
    const base = `http://127.0.0.1:${http}`;

    for (const path of ['/v2/health/live', '/v2/health/ready'])
      assert.equal((await fetch(`${base}${path}`)).status, 200, path);
    const client = new TestGrpcClient(grpc);
    try {
      assert.equal((await client.call('serverLive', {})).live, true);
      assert.equal((await client.call('serverReady', {})).ready, true);
    } finally {
      client.close();
    }

    // trace rate=100: one request in a hundred is traced.
    for (let i = 0; i < 100; i++) assert.equal((await infer(base, 'identity', identityBody)).status, 200);
    const metrics = await (
      await fetch(`http://127.0.0.1:${metricsPort}${runtime.spec.annotations['prometheus.kserve.io/path']}`)
    ).text();
    // The two series the HPA's prometheus-adapter rule divides.
    assert.match(metrics, /^nv_inference_request_success\{model="identity",version="1"\} 100$/m);
    assert.match(metrics, /^nv_inference_queue_duration_us\{model="identity",version="1"\} \d+$/m);
    const [span] = await receiver.waitForSpans(1, 10_000);
    assert.equal(span!.resource['service.name'], 'ts-triton');
    assert.equal(span!.resource['k8s.pod.name'], POD['metadata.name']);
    assert.equal(span!.resource['k8s.node.name'], POD['spec.nodeName']);
    assert.equal(span!.resource['k8s.namespace.name'], POD['metadata.namespace']);

    await checkDrain(server, base);
  });

  it("Kubernetes: the Deployment's command answers its probes on its named ports and drains on SIGTERM", async () => {
    const deployment = manifest(all, 'Deployment', 'ts-triton');
    const pod = deployment.spec.template;
    const container = structuredClone(pod.spec.containers[0]) as Container & {
      ports: { name: string; containerPort: number }[];
      livenessProbe: { httpGet: { path: string; port: string } };
      readinessProbe: { httpGet: { path: string; port: string } };
      startupProbe: { httpGet: { path: string; port: string } };
    };
    const args = container.args;
    const folder = modelFolder();
    cleanup.push(() => rmSync(folder, { recursive: true, force: true }));
    args[args.indexOf('/models')] = folder;
    const ports: Record<string, number> = {};
    for (const [name, flag] of [
      ['http', 'http-port'],
      ['grpc', 'grpc-port'],
      ['metrics', 'metrics-port'],
    ] as const) {
      const declared = container.ports.find((p) => p.name === name)!.containerPort;
      assert.equal(flagValue(args, flag), String(declared), `--${flag} is the port named ${name}`);
      ports[name] = await mapPort(args, flag, String(declared));
    }
    args.splice(
      args.findIndex((a) => a.startsWith('--trace-config=opentelemetry,url=')),
      1,
    );
    const server = start([...entrypoint(), ...args], { ...IMAGE_ENV, ...kubeletEnv(container.env) });
    cleanup.push(() => server.child.exitCode === null && server.child.kill('SIGKILL'));
    await server.waitFor(/Started Metrics Service/);
    for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
      const { path, port } = probe.httpGet;
      assert.equal((await fetch(`http://127.0.0.1:${ports[port]}${path}`)).status, 200, `${path} on ${port}`);
    }
    const annotations = pod.metadata.annotations as Record<string, string>;
    const declaredMetrics = container.ports.find((p) => p.name === 'metrics')!.containerPort;
    assert.equal(Number(annotations['prometheus.io/port']), declaredMetrics);
    const metrics = await fetch(`http://127.0.0.1:${ports.metrics}${annotations['prometheus.io/path']}`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /^# TYPE nv_inference_queue_duration_us counter$/m);
    await checkDrain(server, `http://127.0.0.1:${ports.http}`);
  });
});
