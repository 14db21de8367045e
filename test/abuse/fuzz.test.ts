/**
 * A short run of `npm run fuzz`: malformed HTTP requests on every endpoint and malformed gRPC messages on every
 * RPC, against a server in its own process. No crash, no unexplained 5xx (gRPC: INTERNAL, UNKNOWN, DATA_LOSS),
 * and every rejection carries a message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatFuzzReport, fuzzFailed, runFuzz } from '../../bench/reliability/fuzz.ts';

describe('fuzz (short run)', () => {
  it('1,000 malformed HTTP requests and 400 malformed gRPC messages: no crash, no unexplained 5xx', async () => {
    const report = await runFuzz({ http: 1000, grpc: 400, seed: 14 });
    const text = formatFuzzReport(report);
    assert.equal(report.crash, undefined, text);
    assert.ok(!fuzzFailed(report), text);
    assert.equal(report.http.sent, 1000);
    assert.equal(report.grpc.sent, 400);
    assert.equal(report.http.rejectedWithoutMessage, 0, text);
    assert.equal(report.grpc.rejectedWithoutMessage, 0, text);
    assert.ok(report.http.rejected > 100 && report.grpc.rejected > 50, text);
  });
});
