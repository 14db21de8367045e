/**
 * Every HTTP endpoint of the KServe v2 / Triton protocol, over real sockets
 * (triton-protocol.md §3, pytriton.md §4).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DynamicBatcher,
  type InferFunc,
  ModelConfig,
  NDArray,
  type Parameters,
  QueuePolicy,
  type Request,
  Tensor,
  Triton,
  withParameters,
} from '../../src/index.ts';
import type { DataType } from '../../src/tensor/dtype.ts';
import { VERSION } from '../../src/version.ts';

const LOCAL = { httpPort: 0, httpAddress: '127.0.0.1', allowGrpc: false, allowMetrics: false };

/** What an infer function saw of one request. */
interface Seen {
  readonly id: string;
  readonly parameters: Parameters;
  readonly requestedOutputNames: readonly string[];
  readonly data: Record<string, { dtype: string; shape: readonly number[]; values: unknown[] }>;
}

const seen: Seen[] = [];

function record(request: Request): void {
  const data: Seen['data'] = {};
  for (const [name, array] of Object.entries(request.data)) {
    data[name] = {
      dtype: array.dtype,
      shape: [...array.shape],
      values: array.dtype === 'BYTES' ? array.toStrings() : array.toArray(),
    };
  }
  seen.push({
    id: request.id,
    parameters: { ...request.parameters },
    requestedOutputNames: [...request.requestedOutputNames],
    data,
  });
}

const lastSeen = (): Seen => {
  const last = seen.at(-1);
  assert.ok(last, 'the infer function was not called');
  return last;
};

/** `twin`: double = 2x, neg = -x; records every request. */
const twin: InferFunc = (requests) =>
  requests.map((request) => {
    record(request);
    const x = request.data.x!;
    const values = x.toArray() as number[];
    return {
      double: NDArray.from(
        values.map((v) => v * 2),
        'FP32',
        x.shape,
      ),
      neg: NDArray.from(
        values.map((v) => -v),
        'FP32',
        x.shape,
      ),
    };
  });

/** The seed's passthrough model (examples/passthrough), recording what it sees. */
const passthrough: InferFunc = async (requests) => {
  const responses = [];
  for (const request of requests) {
    record(request);
    const { sleep: seconds, error } = request.data;
    if (error!.toArray().some(Boolean)) throw new Error('Requested Error');
    await sleep(Math.max(...(seconds!.toArray() as number[])) * 1000);
    responses.push({ sleep: seconds!, error: error! });
  }
  return responses;
};

const identity: InferFunc = (requests) =>
  requests.map((request) => {
    record(request);
    return { y: request.data.x! };
  });

const JSON_TYPES: readonly DataType[] = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP32',
  'FP64',
  'BYTES',
];

describe('HTTP endpoints', () => {
  const triton = new Triton({ config: LOCAL });
  let base = '';

  const get = (path: string): Promise<Response> => fetch(base + path);
  const post = (path: string, body?: unknown): Promise<Response> =>
    fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });

  /** Asserts a 200 JSON response and returns its raw text. */
  async function okText(response: Response): Promise<string> {
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.equal(response.headers.get('content-type'), 'application/json');
    return text;
  }

  async function okJson(response: Response): Promise<any> {
    return JSON.parse(await okText(response));
  }

  async function assertError(response: Response, status: number, error: string): Promise<void> {
    assert.equal(response.status, status);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.equal(await response.text(), JSON.stringify({ error }));
  }

  before(async () => {
    triton.bind({
      modelName: 'twin',
      inferFunc: [twin, twin],
      inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [2] })],
      outputs: [
        Tensor({ name: 'double', dtype: 'FP32', shape: [2] }),
        Tensor({ name: 'neg', dtype: 'FP32', shape: [2] }),
      ],
      config: ModelConfig({
        maxBatchSize: 16,
        batcher: DynamicBatcher({
          maxQueueDelayMicroseconds: 100,
          preferredBatchSize: [8, 4],
          preserveOrdering: true,
          priorityLevels: 2,
          defaultPriorityLevel: 2,
          defaultQueuePolicy: QueuePolicy({
            timeoutAction: 'DELAY',
            defaultTimeoutMicroseconds: 5_000_000,
            allowTimeoutOverride: true,
            maxQueueSize: 100,
          }),
          priorityQueuePolicy: { 1: QueuePolicy({ maxQueueSize: 30 }) },
        }),
      }),
    });
    triton.bind({
      modelName: 'nobatch',
      inferFunc: identity,
      inputs: [
        Tensor({ name: 'x', dtype: 'INT32', shape: [2, -1] }),
        Tensor({ name: 'text', dtype: 'BYTES', shape: [1], optional: true }),
      ],
      outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [2, -1] })],
      config: ModelConfig({ maxBatchSize: 0 }),
    });
    triton.bind({
      modelName: 'passthrough',
      inferFunc: passthrough,
      inputs: [
        Tensor({ name: 'sleep', dtype: 'FP32', shape: [1] }),
        Tensor({ name: 'error', dtype: 'BOOL', shape: [1] }),
      ],
      outputs: [
        Tensor({ name: 'sleep', dtype: 'FP32', shape: [1] }),
        Tensor({ name: 'error', dtype: 'BOOL', shape: [1] }),
      ],
      config: ModelConfig({ maxBatchSize: 128 }),
    });
    triton.bind({
      modelName: 'with-params',
      inferFunc: (requests) =>
        requests.map((r) => withParameters({ y: r.data.x! }, { answer: 42, note: 'hi "there"', ok: true, ratio: 0.5 })),
      inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [-1] })],
      outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [-1] })],
      config: ModelConfig({ maxBatchSize: 0 }),
    });
    triton.bind({
      modelName: 'wide',
      inferFunc: (requests) =>
        requests.map(() => ({
          u: new BigUint64Array([0n, 18446744073709551615n]),
          i: new BigInt64Array([-9223372036854775808n, 9223372036854775807n]),
        })),
      inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [-1] })],
      outputs: [
        Tensor({ name: 'u', dtype: 'UINT64', shape: [-1] }),
        Tensor({ name: 'i', dtype: 'INT64', shape: [-1] }),
      ],
      config: ModelConfig({ maxBatchSize: 0 }),
    });
    for (const version of [1, 2]) {
      triton.bind({
        modelName: 'multi',
        modelVersion: version,
        inferFunc: (requests) => requests.map(() => ({ v: NDArray.from([version], 'INT32') })),
        inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
        outputs: [Tensor({ name: 'v', dtype: 'INT32', shape: [1] })],
        config: ModelConfig({ maxBatchSize: 0 }),
      });
    }
    for (const dtype of JSON_TYPES) {
      triton.bind({
        modelName: `id_${dtype}`,
        inferFunc: identity,
        inputs: [Tensor({ name: 'x', dtype, shape: [-1] })],
        outputs: [Tensor({ name: 'y', dtype, shape: [-1] })],
        config: ModelConfig({ maxBatchSize: 0 }),
      });
    }
    await triton.run();
    base = `http://127.0.0.1:${triton.httpPort}`;
  });

  after(() => triton.stop());

  describe('server metadata and health', () => {
    it('GET /v2 gives name, version and extensions', async () => {
      const body = await okJson(await get('/v2'));
      assert.deepEqual(Object.keys(body), ['name', 'version', 'extensions']);
      assert.equal(body.name, 'triton');
      assert.equal(body.version, VERSION);
      assert.ok(Array.isArray(body.extensions));
      for (const extension of ['model_configuration', 'schedule_policy', 'parameters', 'trace']) {
        assert.ok(body.extensions.includes(extension), `missing extension ${extension}`);
      }
      assert.equal(new Set(body.extensions).size, body.extensions.length);
    });

    it('GET /v2 lists extensions in the order Triton does', async () => {
      const TRITON_ORDER = [
        'classification',
        'sequence',
        'model_repository',
        'model_repository(unload_dependents)',
        'schedule_policy',
        'model_configuration',
        'system_shared_memory',
        'cuda_shared_memory',
        'binary_tensor_data',
        'parameters',
        'statistics',
        'trace',
        'logging',
      ];
      const { extensions } = (await (await get('/v2')).json()) as { extensions: string[] };
      const known = extensions.filter((e) => TRITON_ORDER.includes(e));
      assert.deepEqual(
        known,
        [...known].sort((a, b) => TRITON_ORDER.indexOf(a) - TRITON_ORDER.indexOf(b)),
      );
    });

    for (const path of ['/v2/health/live', '/v2/health/ready']) {
      it(`GET ${path} is 200 with an empty body`, async () => {
        const response = await get(path);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('content-length'), '0');
        assert.equal(await response.text(), '');
      });
    }

    it('ignores the query string', async () => {
      assert.equal((await get('/v2/health/ready?verbose=1')).status, 200);
      assert.equal((await okJson(await get('/v2/models/twin?x=y'))).name, 'twin');
    });
  });

  describe('model metadata, readiness and configuration', () => {
    it('GET /v2/models/{m} prepends -1 to shapes when the model batches', async () => {
      for (const path of ['/v2/models/passthrough', '/v2/models/passthrough/versions/1']) {
        assert.deepEqual(await okJson(await get(path)), {
          name: 'passthrough',
          versions: ['1'],
          platform: 'ts-triton',
          inputs: [
            { name: 'sleep', datatype: 'FP32', shape: [-1, 1] },
            { name: 'error', datatype: 'BOOL', shape: [-1, 1] },
          ],
          outputs: [
            { name: 'sleep', datatype: 'FP32', shape: [-1, 1] },
            { name: 'error', datatype: 'BOOL', shape: [-1, 1] },
          ],
        });
      }
    });

    it('GET /v2/models/{m} keeps the shapes as declared with maxBatchSize 0', async () => {
      assert.deepEqual(await okJson(await get('/v2/models/nobatch')), {
        name: 'nobatch',
        versions: ['1'],
        platform: 'ts-triton',
        inputs: [
          { name: 'x', datatype: 'INT32', shape: [2, -1] },
          { name: 'text', datatype: 'BYTES', shape: [1] },
        ],
        outputs: [{ name: 'y', datatype: 'INT32', shape: [2, -1] }],
      });
    });

    it('lists every version without /versions, only the requested one with it', async () => {
      assert.deepEqual((await okJson(await get('/v2/models/multi'))).versions, ['1', '2']);
      assert.deepEqual((await okJson(await get('/v2/models/multi/versions/1'))).versions, ['1']);
      assert.deepEqual((await okJson(await get('/v2/models/multi/versions/2'))).versions, ['2']);
    });

    it('GET /v2/models/{m}/ready is 200 with an empty body', async () => {
      for (const path of [
        '/v2/models/twin/ready',
        '/v2/models/twin/versions/1/ready',
        '/v2/models/multi/versions/2/ready',
      ]) {
        const response = await get(path);
        assert.equal(response.status, 200, path);
        assert.equal(await response.text(), '');
      }
    });

    it('model ready, metadata and config of an unknown model or version are 404', async () => {
      for (const suffix of ['', '/ready', '/config']) {
        await assertError(await get(`/v2/models/nope${suffix}`), 404, "Request for unknown model: 'nope' is not found");
        await assertError(
          await get(`/v2/models/twin/versions/3${suffix}`),
          404,
          "Request for unknown model: 'twin' version 3 is not found",
        );
      }
    });

    it('GET /v2/models/{m}/config uses Triton field names and enums', async () => {
      for (const path of ['/v2/models/twin/config', '/v2/models/twin/versions/1/config']) {
        const config = await okJson(await get(path));
        assert.equal(config.name, 'twin');
        assert.equal(config.max_batch_size, 16);
        assert.deepEqual(
          config.input.map((t: any) => [t.name, t.data_type, t.dims]),
          [['x', 'TYPE_FP32', [2]]],
        );
        assert.deepEqual(
          config.output.map((t: any) => [t.name, t.data_type, t.dims]),
          [
            ['double', 'TYPE_FP32', [2]],
            ['neg', 'TYPE_FP32', [2]],
          ],
        );
        assert.deepEqual(config.dynamic_batching, {
          preferred_batch_size: [4, 8],
          max_queue_delay_microseconds: 100,
          preserve_ordering: true,
          priority_levels: 2,
          default_priority_level: 2,
          default_queue_policy: {
            timeout_action: 'DELAY',
            default_timeout_microseconds: 5_000_000,
            allow_timeout_override: true,
            max_queue_size: 100,
          },
          priority_queue_policy: {
            '1': {
              timeout_action: 'REJECT',
              default_timeout_microseconds: 0,
              allow_timeout_override: false,
              max_queue_size: 30,
            },
          },
        });
        assert.equal(config.instance_group.length, 1);
        assert.equal(config.instance_group[0].count, 2, 'one instance per infer function');
        assert.equal(config.instance_group[0].kind, 'KIND_CPU');
        assert.deepEqual(config.model_transaction_policy, { decoupled: false });
      }
    });

    it('config of a non-batching model: max_batch_size 0, no dynamic_batching, TYPE_STRING for BYTES', async () => {
      const config = await okJson(await get('/v2/models/nobatch/config'));
      assert.equal(config.max_batch_size, 0);
      assert.equal('dynamic_batching' in config, false);
      assert.deepEqual(
        config.input.map((t: any) => [t.name, t.data_type, t.dims, t.optional]),
        [
          ['x', 'TYPE_INT32', [2, -1], false],
          ['text', 'TYPE_STRING', [1], true],
        ],
      );
      assert.equal(config.instance_group[0].count, 1);
    });

    it('config of every JSON datatype names its TYPE_ enum', async () => {
      for (const dtype of JSON_TYPES) {
        const config = await okJson(await get(`/v2/models/id_${dtype}/config`));
        const expected = dtype === 'BYTES' ? 'TYPE_STRING' : `TYPE_${dtype}`;
        assert.equal(config.input[0].data_type, expected);
        assert.equal(config.output[0].data_type, expected);
      }
    });
  });

  describe('JSON inference', () => {
    const twinBody = (data: unknown, extra: object = {}) => ({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 2], data }],
      ...extra,
    });
    const TWIN_OUTPUTS =
      '"outputs":[{"name":"double","datatype":"FP32","shape":[2,2],"data":[2,4,6,8]},' +
      '{"name":"neg","datatype":"FP32","shape":[2,2],"data":[-1,-2,-3,-4]}]';

    it('takes flat data and answers with every output in declaration order', async () => {
      const text = await okText(await post('/v2/models/twin/infer', twinBody([1, 2, 3, 4])));
      assert.equal(text, `{"model_name":"twin","model_version":"1",${TWIN_OUTPUTS}}`);
      assert.deepEqual(lastSeen().data.x, { dtype: 'FP32', shape: [2, 2], values: [1, 2, 3, 4] });
      assert.deepEqual(lastSeen().requestedOutputNames, ['double', 'neg']);
      assert.equal(lastSeen().id, '');
    });

    it('takes nested data', async () => {
      const text = await okText(
        await post(
          '/v2/models/twin/infer',
          twinBody([
            [1, 2],
            [3, 4],
          ]),
        ),
      );
      assert.equal(text, `{"model_name":"twin","model_version":"1",${TWIN_OUTPUTS}}`);
      assert.deepEqual(lastSeen().data.x!.shape, [2, 2]);
    });

    it('the versioned URL serves the same', async () => {
      const text = await okText(await post('/v2/models/twin/versions/1/infer', twinBody([1, 2, 3, 4])));
      assert.equal(text, `{"model_name":"twin","model_version":"1",${TWIN_OUTPUTS}}`);
    });

    it('without a version the highest version serves; with one, that version', async () => {
      const body = { inputs: [{ name: 'x', datatype: 'INT32', shape: [1], data: [0] }] };
      assert.equal(
        await okText(await post('/v2/models/multi/infer', body)),
        '{"model_name":"multi","model_version":"2","outputs":[{"name":"v","datatype":"INT32","shape":[1],"data":[2]}]}',
      );
      assert.equal(
        await okText(await post('/v2/models/multi/versions/1/infer', body)),
        '{"model_name":"multi","model_version":"1","outputs":[{"name":"v","datatype":"INT32","shape":[1],"data":[1]}]}',
      );
    });

    it('answers only the requested outputs', async () => {
      const text = await okText(
        await post('/v2/models/twin/infer', twinBody([1, 2, 3, 4], { outputs: [{ name: 'neg' }] })),
      );
      assert.equal(
        text,
        '{"model_name":"twin","model_version":"1","outputs":[{"name":"neg","datatype":"FP32","shape":[2,2],"data":[-1,-2,-3,-4]}]}',
      );
      assert.deepEqual(lastSeen().requestedOutputNames, ['neg']);
    });

    it('echoes the id first, and the infer function sees it', async () => {
      const text = await okText(await post('/v2/models/twin/infer', twinBody([1, 2, 3, 4], { id: 'req-42' })));
      assert.equal(text, `{"id":"req-42","model_name":"twin","model_version":"1",${TWIN_OUTPUTS}}`);
      assert.equal(lastSeen().id, 'req-42');
    });

    it('leaves out an empty id', async () => {
      const text = await okText(await post('/v2/models/twin/infer', twinBody([1, 2, 3, 4], { id: '' })));
      assert.equal(text, `{"model_name":"twin","model_version":"1",${TWIN_OUTPUTS}}`);
    });

    it('passes custom request parameters to the infer function, without reserved keys', async () => {
      const parameters = {
        priority: 1,
        timeout: 1_000_000,
        sequence_id: 0,
        binary_data_output: false,
        my_param: 'x',
        count: 3,
        flag: true,
        ratio: 0.25,
      };
      await okText(await post('/v2/models/twin/infer', twinBody([1, 2, 3, 4], { parameters })));
      assert.deepEqual(lastSeen().parameters, { my_param: 'x', count: 3, flag: true, ratio: 0.25 });
      await okText(await post('/v2/models/twin/infer', twinBody([1, 2, 3, 4])));
      assert.deepEqual(lastSeen().parameters, {});
    });

    it('sends response parameters set with withParameters', async () => {
      const text = await okText(
        await post('/v2/models/with-params/infer', {
          id: 'p',
          inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }],
        }),
      );
      assert.equal(
        text,
        '{"id":"p","model_name":"with-params","model_version":"1",' +
          '"parameters":{"answer":42,"note":"hi \\"there\\"","ok":true,"ratio":0.5},' +
          '"outputs":[{"name":"y","datatype":"FP32","shape":[1],"data":[1]}]}',
      );
    });

    it('non-batching models take the shape as declared (wildcards included) and optional inputs may be left out', async () => {
      const text = await okText(
        await post('/v2/models/nobatch/infer', {
          inputs: [
            {
              name: 'x',
              datatype: 'INT32',
              shape: [2, 3],
              data: [
                [1, 2, 3],
                [4, 5, 6],
              ],
            },
          ],
        }),
      );
      assert.equal(
        text,
        '{"model_name":"nobatch","model_version":"1","outputs":[{"name":"y","datatype":"INT32","shape":[2,3],"data":[1,2,3,4,5,6]}]}',
      );
      assert.deepEqual(Object.keys(lastSeen().data), ['x']);
      await okText(
        await post('/v2/models/nobatch/infer', {
          inputs: [
            { name: 'x', datatype: 'INT32', shape: [2, 0], data: [] },
            { name: 'text', datatype: 'BYTES', shape: [1], data: ['hi'] },
          ],
        }),
      );
      assert.deepEqual(lastSeen().data.text, { dtype: 'BYTES', shape: [1], values: ['hi'] });
    });

    it('64-bit outputs are written exactly over their whole range', async () => {
      const text = await okText(
        await post('/v2/models/wide/infer', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [0] }] }),
      );
      assert.equal(
        text,
        '{"model_name":"wide","model_version":"1","outputs":[' +
          '{"name":"u","datatype":"UINT64","shape":[2],"data":[0,18446744073709551615]},' +
          '{"name":"i","datatype":"INT64","shape":[2],"data":[-9223372036854775808,9223372036854775807]}]}',
      );
    });

    describe('every JSON datatype round trips', () => {
      const CASES: ReadonlyArray<{ dtype: DataType; data: unknown[]; text: string; values?: unknown[] }> = [
        { dtype: 'BOOL', data: [true, false, true], text: '[true,false,true]', values: [true, false, true] },
        { dtype: 'UINT8', data: [0, 1, 255], text: '[0,1,255]' },
        { dtype: 'UINT16', data: [0, 65535], text: '[0,65535]' },
        { dtype: 'UINT32', data: [0, 4294967295], text: '[0,4294967295]' },
        {
          dtype: 'UINT64',
          data: [0, 9007199254740991],
          text: '[0,9007199254740991]',
          values: [0n, 9007199254740991n],
        },
        { dtype: 'INT8', data: [-128, 0, 127], text: '[-128,0,127]' },
        { dtype: 'INT16', data: [-32768, 32767], text: '[-32768,32767]' },
        { dtype: 'INT32', data: [-2147483648, 2147483647], text: '[-2147483648,2147483647]' },
        {
          dtype: 'INT64',
          data: [-9007199254740991, 0, 9007199254740991],
          text: '[-9007199254740991,0,9007199254740991]',
          values: [-9007199254740991n, 0n, 9007199254740991n],
        },
        {
          dtype: 'FP32',
          data: [0.1, -1.5, 0.001, 1e-7, 16777216, 3.14159, 0],
          text: '[0.1,-1.5,0.001,1e-7,16777216,3.14159,0]',
        },
        {
          dtype: 'FP64',
          data: [0.1, -2.5, 1.7976931348623157e308, 5e-324, 0.30000000000000004],
          text: '[0.1,-2.5,1.7976931348623157e+308,5e-324,0.30000000000000004]',
          values: [0.1, -2.5, 1.7976931348623157e308, 5e-324, 0.30000000000000004],
        },
        {
          dtype: 'BYTES',
          data: ['héllo', '日本語', '🎉', '', 'quote " and \\ and \n'],
          text: '["héllo","日本語","🎉","","quote \\" and \\\\ and \\n"]',
          values: ['héllo', '日本語', '🎉', '', 'quote " and \\ and \n'],
        },
      ];
      for (const { dtype, data, text, values } of CASES) {
        it(dtype, async () => {
          const response = await post(`/v2/models/id_${dtype}/infer`, {
            inputs: [{ name: 'x', datatype: dtype, shape: [data.length], data }],
          });
          assert.equal(
            await okText(response),
            `{"model_name":"id_${dtype}","model_version":"1","outputs":[{"name":"y","datatype":"${dtype}","shape":[${data.length}],"data":${text}}]}`,
          );
          const x = lastSeen().data.x!;
          assert.equal(x.dtype, dtype);
          assert.deepEqual(x.shape, [data.length]);
          if (values) assert.deepEqual(x.values, values);
          else if (dtype !== 'FP32') assert.deepEqual(x.values, data);
        });
      }

      it('BYTES keeps multi-byte UTF-8 byte for byte', async () => {
        const response = await fetch(`${base}/v2/models/id_BYTES/infer`, {
          method: 'POST',
          headers: { 'accept-encoding': 'identity' },
          body: Buffer.from(
            JSON.stringify({ inputs: [{ name: 'x', datatype: 'BYTES', shape: [1], data: ['ß→🎉'] }] }),
            'utf8',
          ),
        });
        const bytes = Buffer.from(await response.arrayBuffer());
        assert.equal(response.status, 200);
        assert.ok(bytes.includes(Buffer.from('"data":["ß→🎉"]', 'utf8')), bytes.toString('utf8'));
        assert.equal(Number(response.headers.get('content-length')), bytes.length);
      });
    });
  });

  describe('generate extension', () => {
    const SEED_RESPONSE = '{"model_name":"passthrough","model_version":"1","sleep":0.001,"error":false}';

    it("answers the seed's passthrough request exactly", async () => {
      const text = await okText(await post('/v2/models/passthrough/generate', { sleep: 0.001, error: false }));
      assert.equal(text, SEED_RESPONSE);
      const { data, parameters } = lastSeen();
      assert.equal(data.sleep!.dtype, 'FP32');
      assert.deepEqual(data.sleep!.shape, [1, 1]);
      assert.equal(data.sleep!.values[0], Math.fround(0.001));
      assert.deepEqual(data.error, { dtype: 'BOOL', shape: [1, 1], values: [false] });
      assert.deepEqual(parameters, {});
    });

    it('the versioned URL serves the same', async () => {
      assert.equal(
        await okText(await post('/v2/models/passthrough/versions/1/generate', { sleep: 0.001, error: false })),
        SEED_RESPONSE,
      );
    });

    it('extra top-level keys become request parameters; id is echoed, not a parameter', async () => {
      const text = await okText(
        await post('/v2/models/passthrough/generate', {
          id: 'gen-1',
          sleep: 0,
          error: false,
          temperature: 0.5,
          stream: false,
          prompt: 'hello',
          max_tokens: 16,
        }),
      );
      assert.equal(text, '{"id":"gen-1","model_name":"passthrough","model_version":"1","sleep":0,"error":false}');
      assert.deepEqual(lastSeen().parameters, { temperature: 0.5, stream: false, prompt: 'hello', max_tokens: 16 });
      assert.equal(lastSeen().id, 'gen-1');
    });

    it('members of the nested parameters object map to inputs or to request parameters', async () => {
      const text = await okText(
        await post('/v2/models/passthrough/generate', {
          sleep: 0.25,
          parameters: { error: false, top_k: 3, mode: 'fast' },
        }),
      );
      assert.equal(text, '{"model_name":"passthrough","model_version":"1","sleep":0.25,"error":false}');
      assert.deepEqual(lastSeen().parameters, { top_k: 3, mode: 'fast' });
      assert.deepEqual(lastSeen().data.error!.values, [false]);
      assert.deepEqual(lastSeen().data.sleep!.values, [0.25]);
    });

    it('a 1-D array fills the -1 dimensions; multi-element outputs are flat arrays', async () => {
      const text = await okText(await post('/v2/models/twin/generate', { x: [1.5, 2] }));
      assert.equal(text, '{"model_name":"twin","model_version":"1","double":[3,4],"neg":[-1.5,-2]}');
      assert.deepEqual(lastSeen().data.x!.shape, [1, 2]);
    });

    it('response parameters become top-level keys', async () => {
      const text = await okText(await post('/v2/models/with-params/generate', { x: 2 }));
      assert.equal(
        text,
        '{"model_name":"with-params","model_version":"1","y":2,"answer":42,"note":"hi \\"there\\"","ok":true,"ratio":0.5}',
      );
    });

    it('generate_stream sends one SSE event with the same JSON', async () => {
      const response = await post('/v2/models/passthrough/generate_stream', { sleep: 0.001, error: false });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      assert.equal(await response.text(), `data: ${SEED_RESPONSE}\n\n`);
    });

    it('generate_stream echoes the id', async () => {
      const response = await post('/v2/models/passthrough/versions/1/generate_stream', {
        id: 's',
        sleep: 0,
        error: false,
      });
      assert.equal(
        await response.text(),
        'data: {"id":"s","model_name":"passthrough","model_version":"1","sleep":0,"error":false}\n\n',
      );
    });
  });

  describe('model repository', () => {
    it('POST /v2/repository/index lists every model as READY', async () => {
      const index = (await okJson(await post('/v2/repository/index'))) as Array<Record<string, string>>;
      for (const entry of index) assert.deepEqual(Object.keys(entry), ['name', 'version', 'state']);
      const entries = index.map((e) => `${e.name}/${e.version}/${e.state}`).sort();
      const expected = [
        'twin/1/READY',
        'nobatch/1/READY',
        'passthrough/1/READY',
        'with-params/1/READY',
        'wide/1/READY',
        'multi/1/READY',
        'multi/2/READY',
        ...JSON_TYPES.map((d) => `id_${d}/1/READY`),
      ].sort();
      assert.deepEqual(entries, expected);
    });

    it('POST /v2/repository/index accepts a body', async () => {
      const index = await okJson(await post('/v2/repository/index', { ready: true }));
      assert.ok(index.some((e: any) => e.name === 'passthrough' && e.version === '1' && e.state === 'READY'));
    });

    it('GET /v2/repository/index is 405', async () => {
      await assertError(await get('/v2/repository/index'), 405, 'Method Not Allowed');
    });
  });

  describe('routing', () => {
    for (const path of [
      '/',
      '/v1',
      '/v2/',
      '/v2/nope',
      '/v2/models',
      '/v2/models/',
      '/v2/models/twin/nope',
      '/v2/models/twin/versions/x',
      '/v2/models/twin/versions/1/infer/x',
      '/v2/health',
      '/v2/health/alive',
    ]) {
      it(`GET ${path} is 404 {"error":"Not Found"}`, async () => {
        await assertError(await get(path), 404, 'Not Found');
      });
    }

    it('an unknown route is 404 for POST too', async () => {
      await assertError(await post('/v2/models/twin/infer/extra', {}), 404, 'Not Found');
    });

    const WRONG: ReadonlyArray<[string, string]> = [
      ['POST', '/v2'],
      ['POST', '/v2/health/live'],
      ['PUT', '/v2/health/ready'],
      ['DELETE', '/v2/models/twin'],
      ['POST', '/v2/models/twin/ready'],
      ['POST', '/v2/models/twin/config'],
      ['GET', '/v2/models/twin/infer'],
      ['GET', '/v2/models/twin/versions/1/infer'],
      ['GET', '/v2/models/passthrough/generate'],
      ['GET', '/v2/models/passthrough/generate_stream'],
      ['PUT', '/v2/repository/index'],
    ];
    for (const [method, path] of WRONG) {
      it(`${method} ${path} is 405 {"error":"Method Not Allowed"}`, async () => {
        await assertError(await fetch(base + path, { method }), 405, 'Method Not Allowed');
      });
    }
  });
});
