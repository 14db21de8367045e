import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { ErrorCode, TritonError } from '../../src/errors.ts';
import { setLogSink, type LogSink } from '../../src/logger.ts';
import { readCxxInteger } from '../../src/protocol/cxx-integer.ts';
import { DEFAULT_SERVICE_NAME } from '../../src/tracing/otel-resource.ts';
import {
  DEFAULT_OTLP_TRACES_URL,
  parseTraceConfig,
  parseTraceMode,
  type TraceConfig,
} from '../../src/tracing/trace-config.ts';
import {
  combineTraceLevels,
  parseTraceLevel,
  traceLevelIsOff,
  traceLevelNames,
} from '../../src/protocol/trace-levels.ts';

const NO_ENV: Record<string, string | undefined> = {};
const OTEL = 'mode=opentelemetry';

/** Parses with an empty environment unless one is given. */
function parse(entries: readonly string[], env = NO_ENV): TraceConfig {
  return parseTraceConfig(entries, env);
}

/** Asserts that parsing throws INVALID_ARG with exactly `message`. */
function assertRejects(entries: readonly string[], message: string, env = NO_ENV): void {
  assert.throws(
    () => parseTraceConfig(entries, env),
    (error: unknown) => {
      assert.ok(error instanceof TritonError);
      assert.equal(error.code, ErrorCode.INVALID_ARG);
      assert.equal(error.message, message);
      return true;
    },
  );
}

let warnings: string[] = [];
let previousSink: LogSink | undefined;

beforeEach(() => {
  warnings = [];
  previousSink = setLogSink((level, message) => {
    if (level === 'warn') warnings.push(message);
  });
});

afterEach(() => {
  if (previousSink !== undefined) setLogSink(previousSink);
});

describe('defaults', () => {
  it('gives Triton defaults for no entries', () => {
    const config = parse([]);
    assert.deepEqual(config.levels, { timestamps: false, tensors: false });
    assert.equal(config.rate, 1000);
    assert.equal(config.count, -1);
    assert.equal(config.mode, 'triton');
    assert.equal(config.file, '');
    assert.equal(config.logFrequency, 0);
    assert.deepEqual(config.settingsEcho, []);
    assert.deepEqual(traceLevelNames(config.levels), ['OFF']);
  });

  it('gives OpenTelemetry defaults in opentelemetry mode', () => {
    const config = parse([OTEL]);
    assert.equal(config.mode, 'opentelemetry');
    assert.deepEqual(config.otel, {
      url: DEFAULT_OTLP_TRACES_URL,
      urlGiven: false,
      resourceEntries: [],
      resourceAttributes: { 'service.name': DEFAULT_SERVICE_NAME },
      bspMaxQueueSize: 2048,
      bspScheduleDelayMillis: 5000,
      bspMaxExportBatchSize: 512,
      exporter: {
        exporters: ['otlp'],
        protocol: 'http/protobuf',
        url: DEFAULT_OTLP_TRACES_URL,
        urlSource: 'default',
        headers: {},
        compression: 'none',
        timeoutMillis: 3000,
      },
      sdkDisabled: false,
      spanKinds: 'triton',
      detail: 'full',
      honorSampled: false,
      tensorPreview: 0,
      events: true,
    });
    assert.deepEqual(config.settingsEcho, [
      ['bsp_max_queue_size', '2048'],
      ['bsp_schedule_delay', '5000'],
      ['bsp_max_export_batch_size', '512'],
    ]);
    assert.equal(DEFAULT_OTLP_TRACES_URL, 'http://localhost:4318/v1/traces');
    assert.equal(DEFAULT_SERVICE_NAME, 'triton-inference-server');
  });
});

describe('global settings', () => {
  it('reads rate, count and mode', () => {
    const config = parse(['rate=6', 'count=3', 'mode=OpenTelemetry']);
    assert.equal(config.rate, 6);
    assert.equal(config.count, 3);
    assert.equal(config.mode, 'opentelemetry');
  });

  it('lets the last value of a repeated setting win', () => {
    const config = parse(['rate=6', 'rate=0', 'mode=opentelemetry', 'mode=TRITON']);
    assert.equal(config.rate, 0);
    assert.equal(config.mode, 'triton');
  });

  it('reads numbers with std::stoi leniency', () => {
    assert.equal(parse(['rate= +12abc']).rate, 12);
    assert.equal(parse(['count=-1']).count, -1);
    assert.equal(parse(['count=2147483647']).count, 2147483647);
  });

  it("keeps rate as Triton's uint32", () => {
    assert.equal(parse(['rate=-1']).rate, 4294967295);
  });

  it('ignores unknown global settings', () => {
    assert.equal(parse(['colour=blue', 'Rate=3']).rate, 1000);
  });

  it('warns about every unknown setting, naming it and the closest valid one, and keeps accepting it', () => {
    const config = parse([
      'levl=TIMESTAMPS',
      'mode=opentelemetry',
      'opentelemetry,ulr=http://c:4318/v1/traces',
      'triton,fiel=x',
    ]);
    assert.equal(traceLevelIsOff(config.levels), true);
    assert.equal(config.otel.urlGiven, false);
    assert.deepEqual(warnings.slice(0, 3), [
      "--trace-config levl=TIMESTAMPS: unknown global trace setting 'levl' is ignored (as Triton does); did you mean 'level'? Valid: level, rate, count, mode",
      "--trace-config opentelemetry,ulr=http://c:4318/v1/traces: unknown opentelemetry trace setting 'ulr' is ignored (as Triton does); did you mean 'url'? Valid: url, resource, bsp_max_queue_size, bsp_schedule_delay, bsp_max_export_batch_size, protocol, compression, timeout, certificate, client_certificate, client_key, span_kinds, detail, honor_sampled, tensor_preview, events",
      "--trace-config triton,fiel=x: unknown triton trace setting 'fiel' is ignored (as Triton does); did you mean 'file'? Valid: file, log-frequency",
    ]);
  });

  it('rejects a rate that is not a number', () => {
    assertRejects(['rate=abc'], 'Bad option: "--trace-config rate".\nInvalid option value. Got abc');
  });

  it('rejects a rate beyond int32', () => {
    assertRejects(
      ['rate=10000000000'],
      'Bad option: "--trace-config rate".\nProvided option value is out of bound. Got 10000000000',
    );
    assertRejects(
      ['rate=2147483648'],
      'Bad option: "--trace-config rate".\nProvided option value is out of bound. Got 2147483648',
    );
  });

  it('rejects a bad count', () => {
    assertRejects(['count=x1'], 'Bad option: "--trace-config count".\nInvalid option value. Got x1');
  });

  it('rejects a bad mode value with the lowercased value', () => {
    assertRejects(
      ['mode=Zipkin'],
      'Bad option: "--trace-config mode".\ninvalid value for trace mode option: zipkin. ' +
        'Available options are "triton" and "opentelemetry"',
    );
  });

  it('reports the first bad global setting in the order given', () => {
    assertRejects(['count=x', 'rate=y'], 'Bad option: "--trace-config count".\nInvalid option value. Got x');
  });
});

describe('trace level', () => {
  const aliases: [string, string][] = [
    ['false', 'OFF'],
    ['off', 'OFF'],
    ['true', 'TIMESTAMPS'],
    ['on', 'TIMESTAMPS'],
    ['min', 'TIMESTAMPS'],
    ['max', 'TIMESTAMPS'],
    ['timestamps', 'TIMESTAMPS'],
    ['tensors', 'TENSORS'],
  ];

  for (const [alias, name] of aliases) {
    it(`reads ${alias} in any case as ${name}`, () => {
      assert.equal(parseTraceLevel(alias), name);
      assert.equal(parseTraceLevel(alias.toUpperCase()), name);
      const mixed = alias.charAt(0).toUpperCase() + alias.slice(1);
      assert.equal(parseTraceLevel(mixed), name);
    });
  }

  it('sets the level from the config', () => {
    assert.deepEqual(parse(['level=TIMESTAMPS']).levels, { timestamps: true, tensors: false });
    assert.deepEqual(parse(['level=tensors']).levels, { timestamps: false, tensors: true });
  });

  it('ORs repeated levels', () => {
    const config = parse(['level=TENSORS', 'level=max']);
    assert.deepEqual(config.levels, { timestamps: true, tensors: true });
    assert.deepEqual(traceLevelNames(config.levels), ['TIMESTAMPS', 'TENSORS']);
  });

  it('turns tracing off when OFF appears anywhere', () => {
    assert.deepEqual(parse(['level=TIMESTAMPS', 'level=OFF']).levels, { timestamps: false, tensors: false });
    assert.deepEqual(parse(['level=false', 'level=TENSORS']).levels, { timestamps: false, tensors: false });
  });

  it('rejects an unknown level with the lowercased value', () => {
    assertRejects(
      ['level=VERBOSE'],
      'Bad option: "--trace-config level".\ninvalid value for trace level option: verbose',
    );
    assert.throws(() => parseTraceLevel('Nope'), { message: 'invalid value for trace level option: nope' });
  });

  it('names levels as the settings API does', () => {
    assert.deepEqual(traceLevelNames({ timestamps: false, tensors: false }), ['OFF']);
    assert.deepEqual(traceLevelNames({ timestamps: true, tensors: false }), ['TIMESTAMPS']);
    assert.deepEqual(traceLevelNames({ timestamps: false, tensors: true }), ['TENSORS']);
    assert.deepEqual(traceLevelNames({ timestamps: true, tensors: true }), ['TIMESTAMPS', 'TENSORS']);
  });

  it('combines names and tells off from on', () => {
    assert.equal(traceLevelIsOff(combineTraceLevels([])), true);
    assert.equal(traceLevelIsOff(combineTraceLevels(['TENSORS', 'OFF'])), true);
    assert.equal(traceLevelIsOff(combineTraceLevels(['TENSORS'])), false);
  });
});

describe('entry format', () => {
  it('rejects a comma at position 0', () => {
    assertRejects(
      [',file=x'],
      'Bad option: "--trace-config".\nNo trace mode specified. --trace-config option format is ' +
        '<trace mode>,<setting>=<value> or <setting>=<value>. Got ,file=x',
    );
  });

  it('rejects an unknown mode prefix with the lowercased value', () => {
    assertRejects(
      ['Jaeger,url=x'],
      'Bad option: "--trace-config".\ninvalid value for trace mode option: jaeger. ' +
        'Available options are "triton" and "opentelemetry"',
    );
  });

  const malformed = ['rate', 'triton,file', '=5', 'rate=', 'triton,=x', 'triton,file='];
  for (const arg of malformed) {
    it(`rejects "${arg}" with the format message`, () => {
      assertRejects(
        [arg],
        `Bad option: "--trace-config".\n--trace-config option format is '<trace mode>,<setting>=<value>'. Got ${arg}`,
      );
    });
  }

  it('splits the setting at the first "=" after the comma', () => {
    const config = parse([OTEL, 'opentelemetry,resource=service.name=svc=1']);
    assert.deepEqual(config.otel.resourceEntries, ['service.name=svc=1']);
    assert.equal(config.otel.resourceAttributes['service.name'], 'svc=1');
  });

  it('accepts a mode prefix in any case', () => {
    assert.equal(parse(['TRITON,file=/tmp/t.json']).file, '/tmp/t.json');
  });

  it('reports format errors before value errors', () => {
    assertRejects(
      ['rate=abc', 'oops'],
      'Bad option: "--trace-config".\n--trace-config option format is \'<trace mode>,<setting>=<value>\'. Got oops',
    );
  });
});

describe('triton mode', () => {
  it('reads file and log-frequency', () => {
    const config = parse(['triton,file=/tmp/t.json', 'triton,log-frequency=2']);
    assert.equal(config.file, '/tmp/t.json');
    assert.equal(config.logFrequency, 2);
    assert.deepEqual(config.settingsEcho, []);
  });

  it('rejects a bad log-frequency', () => {
    assertRejects(
      ['triton,log-frequency=often'],
      'Bad option: "--trace-config triton,log-frequency".\nInvalid option value. Got often',
    );
  });

  it('echoes unknown triton settings but not file or log-frequency', () => {
    const config = parse(['triton,file=f', 'triton,colour=blue']);
    assert.deepEqual(config.settingsEcho, [['colour', 'blue']]);
  });

  it('neither reads nor validates opentelemetry settings or environment', () => {
    const config = parse(['opentelemetry,bsp_max_queue_size=abc', 'opentelemetry,url=http://x'], {
      OTEL_BSP_MAX_QUEUE_SIZE: 'junk',
      OTEL_SERVICE_NAME: 'env-svc',
    });
    assert.equal(config.otel.url, DEFAULT_OTLP_TRACES_URL);
    assert.equal(config.otel.urlGiven, false);
    assert.equal(config.otel.bspMaxQueueSize, 2048);
    assert.deepEqual(config.otel.resourceAttributes, { 'service.name': DEFAULT_SERVICE_NAME });
    assert.deepEqual(config.settingsEcho, []);
  });
});

describe('opentelemetry mode', () => {
  it('reads the url and remembers that it was given', () => {
    const config = parse([OTEL, 'opentelemetry,url=localhost:10000/v1/traces']);
    assert.equal(config.otel.url, 'localhost:10000/v1/traces');
    assert.equal(config.otel.urlGiven, true);
    assert.deepEqual(config.settingsEcho[0], ['url', 'localhost:10000/v1/traces']);
  });

  it('reads the bsp settings and echoes them as parsed numbers', () => {
    const config = parse([
      'opentelemetry,bsp_max_export_batch_size=1',
      OTEL,
      'opentelemetry,bsp_max_queue_size=007',
      'opentelemetry,bsp_schedule_delay=0',
    ]);
    assert.equal(config.otel.bspMaxQueueSize, 7);
    assert.equal(config.otel.bspScheduleDelayMillis, 0);
    assert.equal(config.otel.bspMaxExportBatchSize, 1);
    assert.deepEqual(config.settingsEcho, [
      ['bsp_max_export_batch_size', '1'],
      ['bsp_max_queue_size', '7'],
      ['bsp_schedule_delay', '0'],
    ]);
  });

  it('echoes given settings in order, then the bsp settings not given', () => {
    const config = parse([
      OTEL,
      'opentelemetry,resource=a=1',
      'opentelemetry,url=http://c/v1/traces',
      'opentelemetry,bsp_schedule_delay=10',
      'opentelemetry,resource=a=2',
    ]);
    assert.deepEqual(config.settingsEcho, [
      ['resource', 'a=1'],
      ['url', 'http://c/v1/traces'],
      ['bsp_schedule_delay', '10'],
      ['resource', 'a=2'],
      ['bsp_max_queue_size', '2048'],
      ['bsp_max_export_batch_size', '512'],
    ]);
  });

  it('falls back to the OTEL_BSP_* environment for settings not given', () => {
    const env = {
      OTEL_BSP_MAX_QUEUE_SIZE: '10',
      OTEL_BSP_SCHEDULE_DELAY: '20',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '5',
    };
    const config = parse([OTEL, 'opentelemetry,bsp_schedule_delay=7'], env);
    assert.equal(config.otel.bspMaxQueueSize, 10);
    assert.equal(config.otel.bspScheduleDelayMillis, 7);
    assert.equal(config.otel.bspMaxExportBatchSize, 5);
  });

  const bspSettings: [string, string][] = [
    ['bsp_max_queue_size', 'OTEL_BSP_MAX_QUEUE_SIZE'],
    ['bsp_schedule_delay', 'OTEL_BSP_SCHEDULE_DELAY'],
    ['bsp_max_export_batch_size', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'],
  ];
  for (const [setting, envName] of bspSettings) {
    it(`rejects a bad ${setting} given on the command line`, () => {
      assertRejects(
        [OTEL, `opentelemetry,${setting}=many`],
        `Bad option: "--trace-config opentelemetry,${setting}".\nInvalid option value. Got many`,
      );
    });

    it(`rejects a bad ${envName}`, () => {
      assertRejects([OTEL], `Bad option: "${envName}".\nInvalid option value. Got many`, { [envName]: 'many' });
    });

    it(`ignores ${envName} when ${setting} is given`, () => {
      const config = parse([OTEL, `opentelemetry,${setting}=3`], { [envName]: 'many' });
      assert.ok(config.settingsEcho.some(([key, value]) => key === setting && value === '3'));
    });
  }

  it('rejects bsp values outside uint32', () => {
    assertRejects(
      [OTEL, 'opentelemetry,bsp_max_queue_size=4294967296'],
      'Bad option: "--trace-config opentelemetry,bsp_max_queue_size".\n' +
        'Provided option value is out of bound. Got 4294967296',
    );
    assertRejects(
      [OTEL, 'opentelemetry,bsp_schedule_delay=-1'],
      'Bad option: "--trace-config opentelemetry,bsp_schedule_delay".\nProvided option value is out of bound. Got -1',
    );
    assert.equal(parse([OTEL, 'opentelemetry,bsp_max_queue_size=4294967295']).otel.bspMaxQueueSize, 4294967295);
  });

  it('treats a set but empty OTEL_BSP_* variable as a bad value, as Triton does', () => {
    assertRejects([OTEL], 'Bad option: "OTEL_BSP_MAX_QUEUE_SIZE".\nInvalid option value. Got ', {
      OTEL_BSP_MAX_QUEUE_SIZE: '',
    });
  });

  it('ignores triton settings with a warning', () => {
    const config = parse([OTEL, 'triton,file=/tmp/t.json', 'triton,log-frequency=junk']);
    assert.equal(config.file, '');
    assert.equal(config.logFrequency, 0);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0] ?? '', /triton,file/);
    assert.match(warnings[1] ?? '', /triton,log-frequency/);
  });

  it('keeps the TENSORS level (tensor summaries on the model span) without a warning', () => {
    const config = parse([OTEL, 'level=TENSORS']);
    assert.equal(config.levels.tensors, true);
    assert.deepEqual(warnings, []);
  });

  it('warns that tensor_preview has no effect when the level is not TENSORS', () => {
    const config = parse([OTEL, 'level=TIMESTAMPS', 'opentelemetry,tensor_preview=4']);
    assert.equal(config.otel.tensorPreview, 4);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /opentelemetry,tensor_preview applies only to requests traced at level TENSORS/);
  });

  it('does not warn in triton mode', () => {
    parse(['level=TENSORS', 'triton,file=/tmp/t.json']);
    assert.deepEqual(warnings, []);
  });
});

describe('opentelemetry resource', () => {
  it('keeps the entries in order and lets a later one win', () => {
    const config = parse([
      OTEL,
      'opentelemetry,resource=test.key=test.value',
      'opentelemetry,resource=service.name=test_triton',
      'opentelemetry,resource=test.key=other',
    ]);
    assert.deepEqual(config.otel.resourceEntries, [
      'test.key=test.value',
      'service.name=test_triton',
      'test.key=other',
    ]);
    assert.deepEqual(config.otel.resourceAttributes, { 'service.name': 'test_triton', 'test.key': 'other' });
  });

  it('defaults service.name when no one names the service', () => {
    const config = parse([OTEL, 'opentelemetry,resource=a=b']);
    assert.deepEqual(config.otel.resourceAttributes, { 'service.name': DEFAULT_SERVICE_NAME, a: 'b' });
  });

  it('uses the whole entry as key and value when it has no "="', () => {
    const config = parse([OTEL, 'opentelemetry,resource=lonely']);
    assert.equal(config.otel.resourceAttributes['lonely'], 'lonely');
  });

  it('applies OTEL_RESOURCE_ATTRIBUTES, percent-decoded and trimmed', () => {
    const config = parse([OTEL], { OTEL_RESOURCE_ATTRIBUTES: ' team = ml%2Cinfra , ,region=eu%3D1' });
    assert.deepEqual(config.otel.resourceAttributes, {
      'service.name': DEFAULT_SERVICE_NAME,
      team: 'ml,infra',
      region: 'eu=1',
    });
  });

  it('lets OTEL_SERVICE_NAME beat OTEL_RESOURCE_ATTRIBUTES and the default', () => {
    const env = { OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attributes', OTEL_SERVICE_NAME: 'from-name' };
    assert.equal(parse([OTEL], env).otel.resourceAttributes['service.name'], 'from-name');
    const attributesOnly = { OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attributes' };
    assert.equal(parse([OTEL], attributesOnly).otel.resourceAttributes['service.name'], 'from-attributes');
  });

  it('lets resource entries beat the environment', () => {
    const env = { OTEL_RESOURCE_ATTRIBUTES: 'a=env,b=env', OTEL_SERVICE_NAME: 'env-svc' };
    const config = parse([OTEL, 'opentelemetry,resource=a=cli', 'opentelemetry,resource=service.name=cli-svc'], env);
    assert.deepEqual(config.otel.resourceAttributes, { 'service.name': 'cli-svc', a: 'cli', b: 'env' });
    assert.deepEqual(config.otel.resourceEntries, ['a=cli', 'service.name=cli-svc']);
  });

  it('ignores a blank OTEL_SERVICE_NAME', () => {
    assert.equal(
      parse([OTEL], { OTEL_SERVICE_NAME: '  ' }).otel.resourceAttributes['service.name'],
      DEFAULT_SERVICE_NAME,
    );
  });

  for (const raw of ['a=1,broken', 'a=1=2', '=value', 'a=%E0%A4%A', `k=${'v'.repeat(256)}`]) {
    it(`discards the whole OTEL_RESOURCE_ATTRIBUTES "${raw.slice(0, 20)}" with a warning`, () => {
      const config = parse([OTEL], { OTEL_RESOURCE_ATTRIBUTES: raw });
      assert.deepEqual(config.otel.resourceAttributes, { 'service.name': DEFAULT_SERVICE_NAME });
      assert.equal(warnings.length, 1);
      assert.match(warnings[0] ?? '', /OTEL_RESOURCE_ATTRIBUTES/);
    });
  }
});

describe('readCxxInteger', () => {
  const int32 = { min: -(2n ** 31n), max: 2n ** 31n - 1n };

  it('reads like std::stoi', () => {
    assert.deepEqual(readCxxInteger('42', int32), { ok: true, value: 42 });
    assert.deepEqual(readCxxInteger(' \t-7x', int32), { ok: true, value: -7 });
    assert.deepEqual(readCxxInteger('+3', int32), { ok: true, value: 3 });
    assert.deepEqual(readCxxInteger('0x10', int32), { ok: true, value: 0 });
    assert.deepEqual(readCxxInteger('1.9', int32), { ok: true, value: 1 });
  });

  it('rejects text without leading digits', () => {
    for (const text of ['', 'abc', '-', '+-1', ' ', 'x1', '\u00a01']) {
      assert.deepEqual(readCxxInteger(text, int32), { ok: false, problem: 'invalid' }, text);
    }
  });

  it('reports values outside the range', () => {
    assert.deepEqual(readCxxInteger('-2147483649', int32), { ok: false, problem: 'out-of-range' });
    assert.deepEqual(readCxxInteger('99999999999999999999999', int32), { ok: false, problem: 'out-of-range' });
    assert.deepEqual(readCxxInteger('-2147483648', int32), { ok: true, value: -2147483648 });
  });
});

describe('parseTraceMode', () => {
  it('reads both modes in any case', () => {
    assert.equal(parseTraceMode('Triton'), 'triton');
    assert.equal(parseTraceMode('OPENTELEMETRY'), 'opentelemetry');
  });
});

describe('immutability', () => {
  it('returns a deeply frozen configuration', () => {
    const config = parse([OTEL, 'level=TIMESTAMPS', 'opentelemetry,resource=a=b', 'opentelemetry,url=http://x']);
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.levels));
    assert.ok(Object.isFrozen(config.settingsEcho));
    assert.ok(config.settingsEcho.every((pair) => Object.isFrozen(pair)));
    assert.ok(Object.isFrozen(config.otel));
    assert.ok(Object.isFrozen(config.otel.resourceEntries));
    assert.ok(Object.isFrozen(config.otel.resourceAttributes));
    assert.throws(() => {
      (config as { rate: number }).rate = 1;
    }, TypeError);
  });

  it('freezes the triton-mode configuration too', () => {
    const config = parse(['triton,file=x']);
    assert.ok(Object.isFrozen(config.otel));
    assert.ok(Object.isFrozen(config.otel.resourceAttributes));
  });
});
