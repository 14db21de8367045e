/**
 * JSON nested thousands deep, and values too large to quote: no JSON endpoint answers with a 500 from an
 * exhausted stack; a 400 names the field and what it expected, and an error message never quotes a request's
 * value whole.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ModelConfig, Tensor, Triton } from '../../src/index.ts';
import { quote } from '../../src/errors.ts';

const LOCAL = { httpPort: 0, httpAddress: '127.0.0.1', allowGrpc: false, allowMetrics: false };

const deepArray = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
const deepObject = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/** Every endpoint that reads a JSON body. */
const JSON_ENDPOINTS = [
  '/v2/models/m/infer',
  '/v2/models/s/generate',
  '/v2/models/s/generate_stream',
  '/v2/repository/index',
  '/v2/repository/models/m/load',
  '/v2/repository/models/m/unload',
  '/v2/logging',
  '/v2/trace/setting',
  '/v2/models/m/trace/setting',
];

/** Bodies nesting 6,000 deep, at the top and inside fields that error messages quote. */
const DEEP_BODIES: Readonly<Record<string, string>> = {
  'a deep array': deepArray(6000),
  'a deep object': deepObject(6000),
  'a deep id': `{"id":${deepArray(6000)},"inputs":[]}`,
  'a deep parameter': `{"parameters":{"p":${deepArray(6000)}},"inputs":[]}`,
  'a deep field': `{"x":${deepObject(6000)}}`,
};

describe('deeply nested JSON', () => {
  const triton = new Triton({ config: LOCAL });
  let base = '';

  before(async () => {
    triton.bind({
      modelName: 'm',
      inferFunc: (requests) => requests.map((r) => ({ y: r.data.x! })),
      inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [-1, -1, -1] })],
      outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [-1, -1, -1] })],
      config: ModelConfig({ maxBatchSize: 0 }),
    });
    triton.bind({
      modelName: 's',
      inferFunc: (requests) => requests.map((r) => ({ y: r.data.x! })),
      inputs: [Tensor({ name: 'x', dtype: 'BYTES', shape: [1] })],
      outputs: [Tensor({ name: 'y', dtype: 'BYTES', shape: [1] })],
    });
    await triton.run();
    base = `http://127.0.0.1:${triton.httpPort}`;
  });
  after(() => triton.stop());

  it('data nested as deep as a tensor needs is still accepted', async () => {
    const body = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2, 1], data: [[[1], [2]]] }] };
    const response = await fetch(`${base}/v2/models/m/infer`, { method: 'POST', body: JSON.stringify(body) });
    assert.equal(response.status, 200, await response.clone().text());
    assert.deepEqual(((await response.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data, [1, 2]);
  });

  it('an error message quotes at most about 100 characters of a large value', async () => {
    const huge = { id: Array.from({ length: 100_000 }, (_, i) => i), inputs: [] };
    const response = await fetch(`${base}/v2/models/m/infer`, { method: 'POST', body: JSON.stringify(huge) });
    const { error } = (await response.json()) as { error: string };
    assert.equal(response.status, 400);
    assert.match(error, /^Unable to parse 'id': expected a string, got \[0,1,2,3,.*…$/);
    assert.ok(error.length < 200, `${error.length} characters`);
    const longString = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1, 1], data: ['z'.repeat(1_000_000)] }] };
    const second = await fetch(`${base}/v2/models/m/infer`, { method: 'POST', body: JSON.stringify(longString) });
    const text = await second.text();
    assert.equal(second.status, 400);
    assert.ok(text.length < 400, `${text.length} characters`);
  });

  it('a deep value where a string or number belongs is named as such', async () => {
    const cases: [string, string, string][] = [
      ['/v2/models/m/infer', DEEP_BODIES['a deep id']!, "Unable to parse 'id': expected a string, got [[[[…]]]]"],
      [
        '/v2/models/m/infer',
        DEEP_BODIES['a deep parameter']!,
        "Unable to parse 'parameters': parameter 'p' must be a string, number or boolean, got [[[[…]]]]",
      ],
      [
        '/v2/models/s/generate',
        `{"q":${deepObject(6000)}}`,
        `parameter 'q' must be a string, number or boolean (it names no input of the model), got {"a":{"a":{"a":{…}}}}`,
      ],
      [
        '/v2/models/s/generate',
        DEEP_BODIES['a deep array']!,
        'Unable to parse the generate request: expected a JSON object',
      ],
    ];
    for (const [path, body, error] of cases) {
      const response = await fetch(base + path, { method: 'POST', body });
      assert.equal(response.status, 400);
      assert.deepEqual(await response.json(), { error });
    }
  });

  for (const path of JSON_ENDPOINTS) {
    it(`POST ${path}: never a 5xx, and a 400 says what is wrong in a few words`, async () => {
      for (const [what, body] of Object.entries(DEEP_BODIES)) {
        const response = await fetch(base + path, { method: 'POST', body });
        const text = await response.text();
        assert.ok(response.status === 200 || response.status === 400, `${what}: ${response.status} ${text}`);
        if (response.status === 400) {
          const { error } = JSON.parse(text) as { error: string };
          assert.doesNotMatch(error, /call stack/);
          assert.ok(error.length < 200, `${what}: ${error}`);
        }
      }
    });
  }
});

describe('quote', () => {
  it('writes small values as JSON.stringify does', () => {
    for (const value of ['abc', 'with "quotes"', 1.5, true, null, [1, [2, [3]]], { a: 1, b: [true, 'x'] }, []]) {
      assert.equal(quote(value), JSON.stringify(value));
    }
    assert.equal(quote(undefined), 'undefined');
  });

  it('cuts long values and elides deep nesting', () => {
    assert.equal(quote('x'.repeat(500)), `"${'x'.repeat(99)}…`);
    assert.equal(quote([[[[[1]]]]]), '[[[[…]]]]');
    assert.equal(quote({ a: { b: { c: { d: 1 } } } }), '{"a":{"b":{"c":{…}}}}');
    const deep = JSON.parse(deepArray(100_000)) as unknown;
    assert.equal(quote(deep), '[[[[…]]]]');
    const long = quote(Array.from({ length: 1_000_000 }, () => 7));
    assert.ok(long.length === 101 && long.endsWith('…'), long);
  });
});
