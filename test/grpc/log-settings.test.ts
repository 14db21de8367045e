/**
 * LogSettings over gRPC (triton-protocol.md §3.14, §4): the settings of `GET|POST /v2/logging` as Triton's
 * `SettingValue` map (bool_param, uint32_param, string_param), with the HTTP API's rules and messages.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { logSettings, updateLogSettings } from '../../src/logger.ts';
import type { LogSettingsRequest_SettingValue, LogSettingsResponse_SettingValue } from './gen/grpc_service_pb.js';
import { type GrpcServer, rejectsWith, startServer, Status } from './helpers.ts';

type SettingInit = Pick<LogSettingsRequest_SettingValue, 'parameterChoice'>;

const bool = (value: boolean): SettingInit => ({ parameterChoice: { case: 'boolParam', value } });
const uint = (value: number): SettingInit => ({ parameterChoice: { case: 'uint32Param', value } });
const str = (value: string): SettingInit => ({ parameterChoice: { case: 'stringParam', value } });

/** The settings as `{key: [member, value]}`. */
function read(
  settings: Record<string, LogSettingsResponse_SettingValue>,
): Record<string, [string | undefined, unknown]> {
  return Object.fromEntries(
    Object.entries(settings).map(([k, v]) => [k, [v.parameterChoice.case, v.parameterChoice.value]]),
  );
}

describe('LogSettings over gRPC', () => {
  let server: GrpcServer;
  const initial = logSettings();
  before(async () => {
    server = await startServer(() => {});
  });
  after(async () => {
    updateLogSettings(initial);
    await server.stop();
  });

  const call = (settings: Record<string, SettingInit>) => server.client.call('logSettings', { settings });

  it('an empty request reads the settings of HTTP GET /v2/logging', async () => {
    const { settings } = await call({});
    const http = (await (await fetch(`${server.http}/v2/logging`)).json()) as Record<string, unknown>;
    assert.deepEqual(read(settings), {
      log_file: ['stringParam', http.log_file],
      log_info: ['boolParam', http.log_info],
      log_warning: ['boolParam', http.log_warning],
      log_error: ['boolParam', http.log_error],
      log_verbose_level: ['uint32Param', http.log_verbose_level],
      log_format: ['stringParam', http.log_format],
    });
  });

  it('updates the settings and answers with them', async () => {
    const { settings } = await call({
      log_warning: bool(false),
      log_verbose_level: uint(2),
      log_format: str('ISO8601'),
    });
    assert.deepEqual(read(settings).log_warning, ['boolParam', false]);
    assert.deepEqual(read(settings).log_verbose_level, ['uint32Param', 2]);
    assert.deepEqual(read(settings).log_format, ['stringParam', 'ISO8601']);
    assert.deepEqual(read(settings).log_info, ['boolParam', initial.info], 'settings not given are left as they are');
    assert.deepEqual(logSettings(), { ...initial, warning: false, verboseLevel: 2, format: 'ISO8601' });
    const http = (await (await fetch(`${server.http}/v2/logging`)).json()) as Record<string, unknown>;
    assert.equal(http.log_verbose_level, 2);
    await call({
      log_warning: bool(initial.warning),
      log_verbose_level: uint(initial.verboseLevel),
      log_format: str(initial.format),
    });
    assert.deepEqual(logSettings(), initial);
  });

  it('a setting with no value is left as it is', async () => {
    const { settings } = await call({ log_error: { parameterChoice: { case: undefined } } });
    assert.deepEqual(read(settings).log_error, ['boolParam', initial.error]);
  });

  it("log_file: UNIMPLEMENTED with Triton's message", () =>
    rejectsWith(
      call({ log_file: str('/tmp/x.log') }),
      Status.UNIMPLEMENTED,
      'log file location can not be updated through network protocol',
    ));

  it('an unknown log_format: UNAVAILABLE with the message of HTTP', async () => {
    const http = await fetch(`${server.http}/v2/logging`, {
      method: 'POST',
      body: JSON.stringify({ log_format: 'xml' }),
    });
    const { error } = (await http.json()) as { error: string };
    assert.equal(error, 'invalid argument for --log_format, got: xml');
    await rejectsWith(call({ log_format: str('xml') }), Status.UNAVAILABLE, error);
    assert.deepEqual(logSettings(), initial);
  });

  it('a value of the wrong member: INVALID_ARGUMENT', async () => {
    await rejectsWith(call({ log_info: uint(1) }), Status.INVALID_ARGUMENT, /'log_info'/);
    await rejectsWith(call({ log_verbose_level: bool(true) }), Status.INVALID_ARGUMENT, /'log_verbose_level'/);
  });
});
