/**
 * The TraceSetting RPC (triton-protocol.md §1.3): the same settings, rules and messages as the HTTP trace
 * settings API, in `map<string, SettingValue{repeated string value}>`; Triton's `trace_endpoint_test.py`
 * scenarios over gRPC.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { TraceSettingResponse } from './gen/grpc_service_pb.js';
import { type GrpcServer, identityModel, rejectsWith, startServer, Status } from './helpers.ts';

/** The settings map as `{key: values}`. */
function values(response: TraceSettingResponse): Record<string, string[]> {
  return Object.fromEntries(Object.entries(response.settings).map(([key, v]) => [key, [...v.value]]));
}

/** A settings request map from `{key: values}`. */
const settingsOf = (entries: Record<string, string[]>) =>
  Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, { value: v }]));

async function startTraced(traceConfig: string[]): Promise<{ server: GrpcServer; dir: string; file: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-triton-grpc-'));
  const file = path.join(dir, 'global_unittest.log');
  const server = await startServer(
    (triton) => {
      for (const modelName of ['simple', 'other']) {
        triton.bind(identityModel(modelName));
      }
    },
    { traceConfig: traceConfig.map((e) => e.replace('{file}', file)) },
  );
  return { server, dir, file };
}

describe('TraceSetting over gRPC (triton mode)', () => {
  let server: GrpcServer;
  let dir: string;
  let file: string;
  let initial: Record<string, string[]>;

  beforeEach(async () => {
    ({ server, dir, file } = await startTraced(['triton,file={file}', 'level=TIMESTAMPS', 'rate=1']));
    initial = {
      trace_level: ['TIMESTAMPS'],
      trace_rate: ['1'],
      trace_count: ['-1'],
      log_frequency: ['0'],
      trace_file: [file],
      trace_mode: ['triton'],
    };
  });
  afterEach(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const traceSetting = (modelName: string, settings: Record<string, string[]> = {}) =>
    server.client.call('traceSetting', { modelName, settings: settingsOf(settings) });
  const get = async (modelName = '') => values(await traceSetting(modelName));
  const post = async (modelName: string, settings: Record<string, string[]>) =>
    values(await traceSetting(modelName, settings));

  it('1. reads the global and a model setting (both the initial values), as HTTP GET does', async () => {
    assert.deepEqual(await get(), initial);
    assert.deepEqual(await get('simple'), initial);
    const http = (await (await fetch(`${server.http}/v2/trace/setting`)).json()) as Record<string, string | string[]>;
    assert.deepEqual(
      await get(),
      Object.fromEntries(Object.entries(http).map(([k, v]) => [k, Array.isArray(v) ? v : [v]])),
    );
  });

  it('2. an unknown model: INVALID_ARGUMENT', () =>
    rejectsWith(traceSetting('does-not-exist'), Status.INVALID_ARGUMENT, 'Request for unknown model : does-not-exist'));

  it('3. trace_file can not be updated: UNIMPLEMENTED, nothing changes', async () => {
    await rejectsWith(
      traceSetting('simple', { trace_file: ['model.log'] }),
      Status.UNIMPLEMENTED,
      'trace file location can not be updated through network protocol',
    );
    assert.deepEqual(await get('simple'), initial);
  });

  it('4. a global level update shows in the model setting', async () => {
    const updated = await post('', { trace_level: ['TIMESTAMPS', 'TENSORS'] });
    assert.deepEqual(updated.trace_level, ['TIMESTAMPS', 'TENSORS']);
    assert.deepEqual((await get('simple')).trace_level, ['TIMESTAMPS', 'TENSORS']);
  });

  it('5. a key with no value clears it back to the global (or configured) value', async () => {
    await post('simple', { trace_rate: ['12'], log_frequency: ['34'] });
    await post('', { trace_rate: ['56'], trace_count: ['78'], trace_level: ['OFF'] });
    const global = await post('', { trace_rate: [], trace_count: [] });
    assert.deepEqual(global, {
      ...initial,
      trace_level: ['OFF'],
      trace_rate: ['1'],
      trace_count: ['-1'],
      log_frequency: ['0'],
    });
    assert.deepEqual(await get('simple'), {
      ...initial,
      trace_level: ['OFF'],
      trace_rate: ['12'],
      log_frequency: ['34'],
    });
    const model = await post('simple', { trace_rate: [], trace_level: [] });
    assert.deepEqual(model, { ...initial, trace_level: ['OFF'], trace_rate: ['1'], log_frequency: ['34'] });
    assert.deepEqual(await get(), global);
  });

  it('a gRPC update shows in HTTP GET, and an HTTP update in the RPC', async () => {
    await post('other', { trace_rate: ['7'] });
    const http = (await (await fetch(`${server.http}/v2/models/other/trace/setting`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(http.trace_rate, '7');
    const posted = await fetch(`${server.http}/v2/trace/setting`, {
      method: 'POST',
      body: JSON.stringify({ trace_count: '5' }),
    });
    assert.equal(posted.status, 200);
    assert.deepEqual((await get()).trace_count, ['5']);
  });

  for (const key of ['trace_rate', 'trace_count', 'log_frequency']) {
    it(`more than one value for ${key}: INVALID_ARGUMENT, nothing changes`, async () => {
      await rejectsWith(
        traceSetting('', { [key]: ['1', '2'] }),
        Status.INVALID_ARGUMENT,
        `expect only 1 value for '${key}'`,
      );
      assert.deepEqual(await get(), initial);
    });
  }

  it("values are checked with the HTTP API's messages", async () => {
    await rejectsWith(
      traceSetting('', { trace_rate: ['abc'] }),
      Status.INVALID_ARGUMENT,
      "Unable to parse 'trace_rate', got: abc",
    );
    await rejectsWith(
      traceSetting('', { trace_rate: ['10000000000'] }),
      Status.INVALID_ARGUMENT,
      "Unable to parse 'trace_rate', value is out of range [ 0, 4294967295 ], got: 10000000000",
    );
    await rejectsWith(
      traceSetting('', { trace_count: ['-2'] }),
      Status.INVALID_ARGUMENT,
      "Unable to parse 'trace_count'. Expecting value >= -1, got:-2",
    );
    await rejectsWith(
      traceSetting('', { trace_level: ['OFF', 'TIMESTAMPS'] }),
      Status.INVALID_ARGUMENT,
      "Expect only one trace level 'OFF' is specified",
    );
    assert.deepEqual(await get(), initial);
  });

  it('unknown keys are ignored', async () => {
    assert.deepEqual(await post('', { trace_mode: ['opentelemetry'], url: ['x'] }), initial);
  });
});

describe('TraceSetting over gRPC (OpenTelemetry mode)', () => {
  it('answers the mode entries, a repeated key as several values', async () => {
    const { server, dir } = await startTraced([
      'mode=opentelemetry',
      'opentelemetry,url=http://127.0.0.1:9/v1/traces',
      'opentelemetry,resource=a=1',
      'opentelemetry,resource=b=2',
    ]);
    try {
      const settings = values(await server.client.call('traceSetting', {}));
      assert.deepEqual(settings.trace_mode, ['opentelemetry']);
      assert.deepEqual(settings.url, ['http://127.0.0.1:9/v1/traces']);
      assert.deepEqual(settings.resource, ['a=1', 'b=2']);
      assert.equal(settings.trace_file, undefined);
      assert.equal(settings.log_frequency, undefined);
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
