/**
 * HTTP compression of `/infer` and `/generate` (triton-protocol.md §3.9): gzip and deflate request bodies, the 501 for other
 * codings, the decompressed size limit, and response compression chosen from Accept-Encoding q-values.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deflateSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import { type InferFunc, ModelConfig, Tensor, Triton } from '../../src/index.ts';
import { responseCoding } from '../../src/frontends/http/compression.ts';
import { binaryBody, postRaw, type RawResponse, splitBinaryResponse, tensorBytes } from '../helpers/binary-http.ts';

const MAX_INPUT = 64 * 1024;
const LOCAL = {
  httpPort: 0,
  httpAddress: '127.0.0.1',
  allowGrpc: false,
  allowMetrics: false,
  httpMaxInputSize: MAX_INPUT,
};

const identity: InferFunc = (requests) => requests.map((r) => ({ y: r.data.x! }));

const REQUEST = { inputs: [{ name: 'x', datatype: 'FP32', shape: [3], data: [1, 2.5, -3] }] };
const RESPONSE =
  '{"model_name":"id","model_version":"1","outputs":[{"name":"y","datatype":"FP32","shape":[3],"data":[1,2.5,-3]}]}';

describe('HTTP compression', () => {
  const triton = new Triton({ config: LOCAL });
  let port = 0;

  const infer = (body: Uint8Array | string, headers: Record<string, string> = {}): Promise<RawResponse> =>
    postRaw(port, '/v2/models/id/infer', body, headers);

  async function assertStillServing(): Promise<void> {
    const response = await infer(JSON.stringify(REQUEST));
    assert.equal(response.status, 200);
    assert.equal(response.body.toString(), RESPONSE);
  }

  function assertError(response: RawResponse, status: number, message: string | RegExp): void {
    assert.equal(response.status, status, response.body.toString());
    assert.equal(response.headers['content-type'], 'application/json');
    const { error } = JSON.parse(response.body.toString()) as { error: string };
    if (typeof message === 'string') assert.equal(error, message);
    else assert.match(error, message);
  }

  before(async () => {
    triton.bind({
      modelName: 'id',
      inferFunc: identity,
      inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [-1] })],
      outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [-1] })],
      config: ModelConfig({ maxBatchSize: 0 }),
    });
    triton.bind({
      modelName: 'gen',
      inferFunc: (requests) => requests.map((r) => ({ text_output: r.data.text_input! })),
      inputs: [Tensor({ name: 'text_input', dtype: 'BYTES', shape: [1] })],
      outputs: [Tensor({ name: 'text_output', dtype: 'BYTES', shape: [1] })],
      config: ModelConfig({ maxBatchSize: 0 }),
    });
    await triton.run();
    port = triton.httpPort!;
  });

  after(() => triton.stop());

  describe('request bodies', () => {
    it('gzip', async () => {
      const response = await infer(gzipSync(JSON.stringify(REQUEST)), { 'content-encoding': 'gzip' });
      assert.equal(response.status, 200, response.body.toString());
      assert.equal(response.body.toString(), RESPONSE);
    });

    it('deflate (zlib)', async () => {
      const response = await infer(deflateSync(JSON.stringify(REQUEST)), { 'content-encoding': 'deflate' });
      assert.equal(response.status, 200, response.body.toString());
      assert.equal(response.body.toString(), RESPONSE);
    });

    it('identity and an empty Content-Encoding are read as they are', async () => {
      for (const coding of ['identity', '']) {
        const response = await infer(JSON.stringify(REQUEST), { 'content-encoding': coding });
        assert.equal(response.status, 200, response.body.toString());
        assert.equal(response.body.toString(), RESPONSE);
      }
    });

    it('Inference-Header-Content-Length counts the decompressed body', async () => {
      const bytes = tensorBytes('FP32', [4, 5]);
      const { body, headers } = binaryBody(
        {
          inputs: [{ name: 'x', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } }],
          parameters: { binary_data_output: true },
        },
        [bytes],
      );
      const response = await infer(gzipSync(body), { ...headers, 'content-encoding': 'gzip' });
      assert.equal(response.status, 200, response.body.toString());
      assert.deepEqual(splitBinaryResponse(response).blobs.get('y'), bytes);
    });

    it('an unsupported coding is a 501 with Accept-Encoding: gzip, deflate', async () => {
      for (const coding of ['br', 'compress', 'gzip, deflate']) {
        const response = await infer(JSON.stringify(REQUEST), { 'content-encoding': coding });
        assertError(response, 501, 'Unsupported compression type');
        assert.equal(response.headers['accept-encoding'], 'gzip, deflate');
      }
      await assertStillServing();
    });

    it('a corrupt body is a 400', async () => {
      assertError(
        await infer(Buffer.from('definitely not gzip'), { 'content-encoding': 'gzip' }),
        400,
        /^unable to decompress the request body: /,
      );
      assertError(
        await infer(gzipSync(JSON.stringify(REQUEST)).subarray(0, 20), { 'content-encoding': 'gzip' }),
        400,
        /^unable to decompress/,
      );
      await assertStillServing();
    });

    it('the decompressed size is limited by httpMaxInputSize', async () => {
      const big = JSON.stringify({ ...REQUEST, padding: ' '.repeat(MAX_INPUT) });
      const compressed = gzipSync(big);
      assert.ok(compressed.length < MAX_INPUT);
      assertError(
        await infer(compressed, { 'content-encoding': 'gzip' }),
        400,
        new RegExp(
          `^request JSON size of \\d+ bytes exceeds the maximum allowed input size of ${MAX_INPUT} bytes\\. ` +
            'Use httpMaxInputSize \\(TS_TRITON_HTTP_MAX_INPUT_SIZE\\) to increase the limit\\.$',
        ),
      );
      await assertStillServing();
    });
  });

  describe('responses', () => {
    it('gzip when asked for', async () => {
      const response = await infer(JSON.stringify(REQUEST), { 'accept-encoding': 'gzip' });
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-encoding'], 'gzip');
      assert.equal(response.headers['content-type'], 'application/json');
      assert.equal(Number(response.headers['content-length']), response.body.length);
      assert.equal(gunzipSync(response.body).toString(), RESPONSE);
    });

    it('deflate (zlib) when asked for', async () => {
      const response = await infer(JSON.stringify(REQUEST), { 'accept-encoding': 'deflate' });
      assert.equal(response.headers['content-encoding'], 'deflate');
      assert.equal(inflateSync(response.body).toString(), RESPONSE);
    });

    const CHOICES: readonly [string, string | undefined][] = [
      ['gzip;q=0.5, deflate', 'deflate'],
      ['gzip;q=0.8, deflate;q=0.3', 'gzip'],
      ['deflate;q=0.2, gzip;q=0.9, identity;q=0.5', 'gzip'],
      ['identity, gzip;q=0.5', undefined],
      ['identity;q=0.5, gzip;q=0.5', undefined],
      ['gzip;q=0', undefined],
      ['br, zstd', undefined],
      ['*', undefined],
      ['gzip;q=abc, deflate;q=0.1', 'deflate'],
      [' GZIP ; q=0.7 ', 'gzip'],
    ];
    for (const [accept, expected] of CHOICES) {
      it(`Accept-Encoding ${JSON.stringify(accept)} → ${expected ?? 'identity'}`, async () => {
        const response = await infer(JSON.stringify(REQUEST), { 'accept-encoding': accept });
        assert.equal(response.status, 200);
        assert.equal(response.headers['content-encoding'], expected);
        const body =
          expected === 'gzip'
            ? gunzipSync(response.body)
            : expected === 'deflate'
              ? inflateSync(response.body)
              : response.body;
        assert.equal(body.toString(), RESPONSE);
      });
    }

    // Small responses are compressed in place, larger ones by a zlib stream on the thread pool.
    for (const count of [100, 10_000]) {
      it(`a binary response of ${count * 4} bytes: Inference-Header-Content-Length is the uncompressed JSON length`, async () => {
        await assertCompressedBinaryResponse(count);
      });
    }

    async function assertCompressedBinaryResponse(count: number): Promise<void> {
      const bytes = tensorBytes(
        'FP32',
        Array.from({ length: count }, (_, i) => i),
      );
      const { body, headers } = binaryBody(
        {
          inputs: [{ name: 'x', datatype: 'FP32', shape: [count], parameters: { binary_data_size: bytes.length } }],
          parameters: { binary_data_output: true },
        },
        [bytes],
      );
      const response = await infer(body, { ...headers, 'accept-encoding': 'gzip' });
      assert.equal(response.status, 200, response.body.toString());
      assert.equal(response.headers['content-encoding'], 'gzip');
      assert.equal(response.headers['content-type'], 'application/octet-stream');
      const plain = gunzipSync(response.body);
      const { json, blobs } = splitBinaryResponse({ ...response, body: plain });
      assert.equal(
        Number(response.headers['inference-header-content-length']),
        Buffer.byteLength(JSON.stringify(json)),
      );
      assert.deepEqual(blobs.get('y'), bytes);
      assert.ok(response.body.length < plain.length);
    }

    it('errors are not compressed', async () => {
      const response = await infer('{"inputs": 1}', { 'accept-encoding': 'gzip' });
      assert.equal(response.headers['content-encoding'], undefined);
      assertError(response, 400, "Unable to parse 'inputs': expected an array of input tensors");
    });

    it('generate responses are not compressed', async () => {
      const response = await postRaw(port, '/v2/models/gen/generate', JSON.stringify({ text_input: 'hi' }), {
        'accept-encoding': 'gzip',
      });
      assert.equal(response.status, 200, response.body.toString());
      assert.equal(response.headers['content-encoding'], undefined);
      assert.equal(response.body.toString(), '{"model_name":"gen","model_version":"1","text_output":"hi"}');
    });
  });

  describe('generate request bodies', () => {
    const GENERATED = '{"model_name":"gen","model_version":"1","text_output":"hi"}';
    const body = JSON.stringify({ text_input: 'hi' });

    it('gzip and deflate bodies are decompressed, on /generate and /generate_stream', async () => {
      for (const [coding, compressed] of [
        ['gzip', gzipSync(body)],
        ['deflate', deflateSync(body)],
      ] as const) {
        const response = await postRaw(port, '/v2/models/gen/generate', compressed, { 'content-encoding': coding });
        assert.equal(response.status, 200, response.body.toString());
        assert.equal(response.body.toString(), GENERATED);
        const events = await postRaw(port, '/v2/models/gen/generate_stream', compressed, {
          'content-encoding': coding,
        });
        assert.equal(events.status, 200, events.body.toString());
        assert.equal(events.body.toString(), `data: ${GENERATED}\n\n`);
      }
    });

    it('a coding the server cannot read is a 501 listing the ones it can', async () => {
      const response = await postRaw(port, '/v2/models/gen/generate', body, { 'content-encoding': 'br' });
      assertError(response, 501, 'Unsupported compression type');
      assert.equal(response.headers['accept-encoding'], 'gzip, deflate');
    });

    it('a corrupt or oversized compressed body is a 400', async () => {
      const corrupt = await postRaw(port, '/v2/models/gen/generate', Buffer.from('not gzip'), {
        'content-encoding': 'gzip',
      });
      assertError(corrupt, 400, /^unable to decompress the request body/);
      const bomb = gzipSync(JSON.stringify({ text_input: 'x'.repeat(MAX_INPUT * 4) }));
      const large = await postRaw(port, '/v2/models/gen/generate', bomb, { 'content-encoding': 'gzip' });
      assertError(large, 400, /exceeds the maximum allowed input size of 65536 bytes/);
    });
  });

  describe('choosing a response coding (responseCoding)', () => {
    it('picks the highest q-value, the first on a tie, identity by default', () => {
      assert.equal(responseCoding(undefined), 'identity');
      assert.equal(responseCoding(''), 'identity');
      assert.equal(responseCoding('gzip, deflate'), 'gzip');
      assert.equal(responseCoding('deflate, gzip'), 'deflate');
      assert.equal(responseCoding('gzip;q=0.5, deflate;q=0.6'), 'deflate');
      assert.equal(responseCoding('gzip;q=1.0, identity;q=1.0'), 'gzip');
      assert.equal(responseCoding('identity;q=0, gzip;q=0'), 'identity');
      assert.equal(responseCoding('gzip;level=1;q=0.4, deflate;q=0.3'), 'gzip');
    });
  });
});
