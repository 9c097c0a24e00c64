import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrafficRecorder } from '../src/demo/trafficRecorder.js';

test('counts per bucket and in total: sent, 2xx per instance, non-2xx by status, errors by code', () => {
  let now = 10_000;
  const recorder = new TrafficRecorder({ bucketMs: 1000, now: () => now });
  recorder.sent();
  recorder.response(200, 'i-a');
  recorder.sent();
  recorder.response(204, 'i-b');
  now += 1500;
  recorder.sent();
  recorder.response(502, undefined);
  recorder.sent();
  recorder.error('ECONNRESET');
  recorder.routed('i-a', 3);
  now += 2000; // bucket 2 stays empty
  recorder.sent();
  recorder.response(200, undefined);

  const { buckets, totals } = recorder.snapshot();
  assert.equal(buckets.length, 4);
  assert.deepEqual(buckets[0], { startMs: 0, sent: 2, ok: 2, non2xx: 0, errors: 0, servedBy: { 'i-a': 1, 'i-b': 1 }, routedTo: {} });
  assert.deepEqual(buckets[1], { startMs: 1000, sent: 2, ok: 0, non2xx: 1, errors: 1, servedBy: {}, routedTo: { 'i-a': 3 } });
  assert.deepEqual(buckets[2], { startMs: 2000, sent: 0, ok: 0, non2xx: 0, errors: 0, servedBy: {}, routedTo: {} });
  assert.equal(buckets[3]?.ok, 1);
  assert.deepEqual(totals, {
    sent: 5,
    ok: 3,
    non2xx: 1,
    errors: 1,
    statuses: { '502': 1 },
    errorCodes: { ECONNRESET: 1 },
    servedBy: { 'i-a': 1, 'i-b': 1 },
    unattributed: 1,
    routedTo: { 'i-a': 3 },
  });
  assert.equal(recorder.failures, 2);
});

test('lastCompleteBucket is the bucket that just ended, empty ones included', () => {
  let now = 0;
  const recorder = new TrafficRecorder({ bucketMs: 500, now: () => now });
  assert.equal(recorder.lastCompleteBucket(), undefined);
  recorder.sent();
  now = 600;
  assert.equal(recorder.lastCompleteBucket()?.sent, 1);
  now = 1100;
  assert.deepEqual(recorder.lastCompleteBucket(), { startMs: 500, sent: 0, ok: 0, non2xx: 0, errors: 0, servedBy: {}, routedTo: {} });
});

test('snapshots are copies', () => {
  const recorder = new TrafficRecorder({ bucketMs: 1000 });
  recorder.response(200, 'i-a');
  const snap = recorder.snapshot();
  recorder.response(200, 'i-a');
  assert.equal(snap.totals.ok, 1);
  assert.throws(() => new TrafficRecorder({ bucketMs: 0 }), RangeError);
});
