/**
 * The exporter settings of OpenTelemetry mode: every `OTEL_EXPORTER_OTLP_*` / `OTEL_EXPORTER_OTLP_TRACES_*`
 * variable, `OTEL_TRACES_EXPORTER`, `OTEL_SDK_DISABLED`, the `opentelemetry,<setting>` entries, their
 * precedence and the messages for bad values.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ErrorCode, type TritonError } from '../../src/errors.ts';
import { parseTraceConfig } from '../../src/tracing/trace-config.ts';

const OTEL = ['mode=opentelemetry'];

const exporter = (entries: string[], env: Record<string, string> = {}) =>
  parseTraceConfig([...OTEL, ...entries.map((entry) => `opentelemetry,${entry}`)], env).otel.exporter;

/** Asserts that parsing fails with INVALID_ARG and a message starting `Bad option: "<label>".`, matching `reason`. */
function assertBadOption(parse: () => unknown, label: string, reason: RegExp): void {
  assert.throws(parse, (error: TritonError) => {
    assert.equal(error.code, ErrorCode.INVALID_ARG);
    const [first, second] = error.message.split('\n');
    assert.equal(first, `Bad option: "${label}".`);
    assert.match(second ?? '', reason);
    return true;
  });
}

const dir = mkdtempSync(join(tmpdir(), 'ts-triton-exporter-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const pemFile = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('exporter endpoint', () => {
  it('defaults to OTLP/HTTP protobuf at localhost:4318/v1/traces, 3 s timeout, no compression, no headers', () => {
    assert.deepEqual(exporter([]), {
      exporters: ['otlp'],
      protocol: 'http/protobuf',
      url: 'http://localhost:4318/v1/traces',
      urlSource: 'default',
      headers: {},
      compression: 'none',
      timeoutMillis: 3000,
    });
  });

  it('appends v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT for the HTTP protocols, with or without a trailing slash', () => {
    assert.equal(
      exporter([], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).url,
      'http://collector:4318/v1/traces',
    );
    assert.equal(
      exporter([], { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c:4318/base/' }).url,
      'https://c:4318/base/v1/traces',
    );
    const json = exporter(['protocol=http/json'], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' });
    assert.equal(json.url, 'http://c:4318/v1/traces');
    assert.equal(json.urlSource, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  });

  it('uses OTEL_EXPORTER_OTLP_ENDPOINT as given for gRPC, and localhost:4317 by default', () => {
    assert.equal(exporter(['protocol=grpc'], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317' }).url, 'http://c:4317');
    assert.equal(exporter(['protocol=grpc']).url, 'http://localhost:4317');
  });

  it('uses OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, over the generic one', () => {
    const settings = exporter([], {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://generic:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://specific:4318/custom/path',
    });
    assert.equal(settings.url, 'http://specific:4318/custom/path');
    assert.equal(settings.urlSource, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  });

  it('uses opentelemetry,url over both variables (scheme-less, as Triton accepts, means http://)', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://generic:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://specific:4318',
    };
    const settings = exporter(['url=localhost:10000/v1/traces'], env);
    assert.equal(settings.url, 'http://localhost:10000/v1/traces');
    assert.equal(settings.urlSource, 'trace config');
  });

  it('refuses an endpoint that is not an http(s) URL, naming the variable', () => {
    assertBadOption(
      () => exporter([], { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }),
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      /http:\/\/ or https:\/\/ URL.*got "collector:4318"/,
    );
    assertBadOption(
      () => exporter([], { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }),
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      /got "not a url"/,
    );
  });
});

describe('exporter protocol, compression, timeout', () => {
  it('reads the protocol: entry over OTEL_EXPORTER_OTLP_TRACES_PROTOCOL over OTEL_EXPORTER_OTLP_PROTOCOL', () => {
    assert.equal(exporter([], { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).protocol, 'grpc');
    assert.equal(
      exporter([], { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' }).protocol,
      'http/json',
    );
    assert.equal(
      exporter(['protocol=http/protobuf'], { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }).protocol,
      'http/protobuf',
    );
    assert.equal(exporter(['protocol=grpc', 'protocol=http/json']).protocol, 'http/json', 'the last entry wins');
  });

  it('refuses an unknown protocol, naming the entry or variable', () => {
    assertBadOption(
      () => exporter([], { OTEL_EXPORTER_OTLP_PROTOCOL: 'http' }),
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      /one of grpc, http\/protobuf, http\/json, got "http"/,
    );
    assertBadOption(() => exporter(['protocol=thrift']), '--trace-config opentelemetry,protocol', /got "thrift"/);
  });

  it('reads compression and timeout with the same precedence', () => {
    const env = {
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '7000',
    };
    assert.deepEqual(pick(exporter([], env)), { compression: 'gzip', timeoutMillis: 7000 });
    assert.deepEqual(pick(exporter(['compression=none', 'timeout=250'], env)), {
      compression: 'none',
      timeoutMillis: 250,
    });
    assert.deepEqual(pick(exporter([], { OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'GZIP' })), {
      compression: 'gzip',
      timeoutMillis: 3000,
    });
  });

  it('refuses bad compression and timeout values, naming the variable', () => {
    assertBadOption(
      () => exporter([], { OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' }),
      'OTEL_EXPORTER_OTLP_COMPRESSION',
      /one of none, gzip, got "zstd"/,
    );
    assertBadOption(
      () => exporter([], { OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '0' }),
      'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
      /positive whole number of milliseconds, got "0"/,
    );
    assertBadOption(
      () => exporter([], { OTEL_EXPORTER_OTLP_TIMEOUT: '10s' }),
      'OTEL_EXPORTER_OTLP_TIMEOUT',
      /got "10s"/,
    );
    assertBadOption(() => exporter(['timeout=-5']), '--trace-config opentelemetry,timeout', /got "-5"/);
  });
});

const pick = ({ compression, timeoutMillis }: { compression: string; timeoutMillis: number }) => ({
  compression,
  timeoutMillis,
});

describe('exporter headers', () => {
  it('merges OTEL_EXPORTER_OTLP_HEADERS and OTEL_EXPORTER_OTLP_TRACES_HEADERS, the traces-specific value winning, values percent-decoded', () => {
    const settings = exporter([], {
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=generic, x-tenant = a%20b',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'api-key=specific,x-only=1=2',
    });
    assert.deepEqual(settings.headers, { 'api-key': 'specific', 'x-tenant': 'a b', 'x-only': '1=2' });
  });

  it('refuses a header without a name or with a line break, naming the variable', () => {
    assertBadOption(
      () => exporter([], { OTEL_EXPORTER_OTLP_HEADERS: 'novalue' }),
      'OTEL_EXPORTER_OTLP_HEADERS',
      /key=value pairs.*got "novalue"/,
    );
    assertBadOption(
      () => exporter([], { OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'a=b%0Dc' }),
      'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
      /header a contains a line break/,
    );
    assertBadOption(
      () => exporter([], { OTEL_EXPORTER_OTLP_HEADERS: 'a=%zz' }),
      'OTEL_EXPORTER_OTLP_HEADERS',
      /not valid percent-encoding/,
    );
  });
});

describe('exporter TLS files', () => {
  it('reads the certificate, client certificate and key files, entry over variables', () => {
    const ca = pemFile('ca.pem', 'CA');
    const other = pemFile('other.pem', 'OTHER');
    const cert = pemFile('cert.pem', 'CERT');
    const key = pemFile('key.pem', 'KEY');
    const settings = exporter([`certificate=${ca}`], {
      OTEL_EXPORTER_OTLP_CERTIFICATE: other,
      OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE: cert,
      OTEL_EXPORTER_OTLP_CLIENT_KEY: key,
    });
    assert.equal(settings.certificate, 'CA');
    assert.equal(settings.clientCertificate, 'CERT');
    assert.equal(settings.clientKey, 'KEY');
    assert.equal(exporter([], { OTEL_EXPORTER_OTLP_CERTIFICATE: other }).certificate, 'OTHER');
  });

  it('refuses a file it cannot read, naming the variable, and a certificate without its key', () => {
    const missing = join(dir, 'missing.pem');
    assertBadOption(
      () => exporter([], { OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: missing }),
      'OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE',
      /cannot read .*missing\.pem/,
    );
    assertBadOption(
      () => exporter([`client_key=${missing}`]),
      '--trace-config opentelemetry,client_key',
      /cannot read/,
    );
    assert.throws(
      () => exporter([], { OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: pemFile('lonely.pem', 'C') }),
      /a client certificate needs its key/,
    );
  });
});

describe('OTEL_TRACES_EXPORTER and OTEL_SDK_DISABLED', () => {
  it('reads otlp, console, both, and none', () => {
    assert.deepEqual(exporter([], { OTEL_TRACES_EXPORTER: 'otlp' }).exporters, ['otlp']);
    assert.deepEqual(exporter([], { OTEL_TRACES_EXPORTER: 'console' }).exporters, ['console']);
    assert.deepEqual(exporter([], { OTEL_TRACES_EXPORTER: 'otlp, console' }).exporters, ['otlp', 'console']);
    assert.deepEqual(exporter([], { OTEL_TRACES_EXPORTER: 'none' }).exporters, []);
  });

  it('refuses other exporters, naming the variable', () => {
    assertBadOption(
      () => exporter([], { OTEL_TRACES_EXPORTER: 'zipkin' }),
      'OTEL_TRACES_EXPORTER',
      /otlp, console .* or none, got "zipkin"/,
    );
    assertBadOption(
      () => exporter([], { OTEL_TRACES_EXPORTER: 'none,otlp' }),
      'OTEL_TRACES_EXPORTER',
      /got "none,otlp"/,
    );
  });

  it('reads OTEL_SDK_DISABLED as a boolean and refuses anything else', () => {
    const disabled = (value: string) => parseTraceConfig(OTEL, { OTEL_SDK_DISABLED: value }).otel.sdkDisabled;
    assert.equal(disabled('true'), true);
    assert.equal(disabled('TRUE'), true);
    assert.equal(disabled('false'), false);
    assert.equal(parseTraceConfig(OTEL, {}).otel.sdkDisabled, false);
    assertBadOption(() => disabled('yes'), 'OTEL_SDK_DISABLED', /true or false, got "yes"/);
  });

  it('reads nothing of the OTEL_* variables in triton mode', () => {
    const config = parseTraceConfig(['mode=triton'], {
      OTEL_EXPORTER_OTLP_PROTOCOL: 'bogus',
      OTEL_SDK_DISABLED: 'maybe',
    });
    assert.equal(config.otel.exporter.protocol, 'http/protobuf');
    assert.equal(config.otel.sdkDisabled, false);
  });

  it('echoes the exporter entries in the settings API like any other opentelemetry setting', () => {
    const config = parseTraceConfig([...OTEL, 'opentelemetry,protocol=grpc', 'opentelemetry,timeout=100'], {});
    assert.deepEqual(config.settingsEcho.slice(0, 2), [
      ['protocol', 'grpc'],
      ['timeout', '100'],
    ]);
  });
});
