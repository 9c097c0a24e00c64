import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fullJitterDelayMs, isRetryableAwsError, retry } from '../src/retry.js';

const policy = { maxAttempts: 4, baseMs: 100, maxDelayMs: 1000 };

test('full jitter: uniformly between 0 and min(cap, base × 2^attempt)', () => {
  assert.equal(fullJitterDelayMs(0, policy, () => 0), 0);
  assert.equal(fullJitterDelayMs(0, policy, () => 0.999), 99);
  assert.equal(fullJitterDelayMs(3, policy, () => 0.5), 400);
  assert.equal(fullJitterDelayMs(10, policy, () => 0.999), 999, 'capped by maxDelayMs');
  for (let i = 0; i < 200; i++) {
    const d = fullJitterDelayMs(2, policy);
    assert.ok(d >= 0 && d < 400);
  }
});

const err = (fields: Record<string, unknown>) => Object.assign(new Error('x'), fields);
// [error, retryable]
const CLASSIFY: Array<[string, unknown, boolean]> = [
  ['Throttling (Query protocol code)', err({ name: 'Throttling', $metadata: { httpStatusCode: 400 } }), true],
  ['ThrottlingException', err({ name: 'ThrottlingException' }), true],
  ['RequestLimitExceeded', err({ name: 'RequestLimitExceeded' }), true],
  ['HTTP 500', err({ name: 'InternalFailure', $metadata: { httpStatusCode: 500 } }), true],
  ['HTTP 503', err({ name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } }), true],
  ['connection refused', err({ code: 'ECONNREFUSED' }), true],
  ['socket reset', err({ code: 'ECONNRESET' }), true],
  ['SDK timeout', err({ name: 'TimeoutError' }), true],
  ['wrapped network error', err({ cause: err({ code: 'ECONNRESET' }) }), true],
  ['LoadBalancerNotFound (400)', err({ name: 'AccessPointNotFoundException', $metadata: { httpStatusCode: 400 } }), false],
  ['AccessDenied (403)', err({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }), false],
  ['abort', err({ name: 'AbortError' }), false],
  ['not an object', 'boom', false],
];
for (const [name, error, retryable] of CLASSIFY) {
  test(`isRetryableAwsError: ${name} → ${retryable}`, () => assert.equal(isRetryableAwsError(error), retryable));
}

test('retry: throttled twice, then success; waits reported with their attempt numbers', async () => {
  const waits: number[] = [];
  let calls = 0;
  const result = await retry(
    async () => {
      calls++;
      if (calls <= 2) throw err({ name: 'Throttling' });
      return 'ok';
    },
    policy,
    { onRetry: ({ attempt }) => waits.push(attempt), random: () => 0.1 },
  );
  assert.equal(result, 'ok');
  assert.equal(calls, 3);
  assert.deepEqual(waits, [1, 2]);
});

test('retry: gives up after maxAttempts with the last error', async () => {
  let calls = 0;
  await assert.rejects(
    retry(async () => {
      calls++;
      throw err({ name: 'Throttling', attempt: calls });
    }, policy, { random: () => 0 }),
    (e: unknown) => (e as { attempt: number }).attempt === 4,
  );
  assert.equal(calls, 4);
});

test('retry: a non-retryable error is thrown at once', async () => {
  let calls = 0;
  await assert.rejects(retry(async () => { calls++; throw err({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }); }, policy), /x/);
  assert.equal(calls, 1);
});

test('retry: an abort ends the wait between attempts', async () => {
  const controller = new AbortController();
  const started = Date.now();
  const p = retry(async () => { throw err({ name: 'Throttling' }); }, { maxAttempts: 10, baseMs: 60_000, maxDelayMs: 60_000 }, { signal: controller.signal, random: () => 0.99 });
  setTimeout(() => controller.abort(), 50);
  await assert.rejects(p, (e: unknown) => (e as Error).name === 'AbortError');
  assert.ok(Date.now() - started < 5000);
});
