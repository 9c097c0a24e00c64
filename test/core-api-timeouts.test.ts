// Every balancer API call is bounded by apiTimeoutMs (connect + whole response), against real sockets that hang:
// an endpoint that accepts and never answers, and one that sends the headers then stalls the body. The real AWS SDK
// client with its default settings (whose requestTimeout only warns) is what the library is given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { DescribeInstanceHealthCommand, ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { boundCalls } from '../src/balancers/boundedClient.js';
import { createElbClient } from '../src/balancers/elbClient.js';
import { ApiCallTimeoutError, NotInServiceError } from '../src/balancers/errors.js';
import { EXIT_CODES } from '../src/exitCodes.js';
import { createGracefulElb } from '../src/gracefulElb.js';
import { isRetryableAwsError } from '../src/retry.js';
import { isLifecycleMessage } from '../src/lifecycleMessage.js';
import { forkInstance, startCoreElb } from './helpers/coreElb.js';
import { captureLogger, fakeProcess } from './helpers/capture.js';
import { FIXTURE_APP } from './helpers/fork.js';
import { startStallingApi, type StallMode } from './helpers/stallingApi.js';

const ID = 'i-0123456789abcdef0';
const HANGS: StallMode[] = ['silent', 'headers-then-stall'];
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

/** The SDK client as a caller would build it: default request handler, no timeout of its own. */
function plainClient(endpoint: string): ElasticLoadBalancingClient {
  return new ElasticLoadBalancingClient({ region: 'us-east-1', endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
}

function setEnv(t: { after(fn: () => void): void }, vars: Record<string, string>): void {
  for (const [name, value] of Object.entries(vars)) {
    const saved = process.env[name];
    process.env[name] = value;
    t.after(() => {
      if (saved === undefined) delete process.env[name];
      else process.env[name] = saved;
    });
  }
}

async function healthyServer(): Promise<Server> {
  const server = createServer((req, res) => res.writeHead(req.url === '/ping' ? 200 : 404).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

for (const mode of HANGS) {
  test(`one call against an API that ${mode === 'silent' ? 'never answers' : 'sends headers then stalls'}: ApiCallTimeoutError after apiTimeoutMs, retryable`, async (t) => {
    const api = await startStallingApi(mode);
    t.after(() => api.close());
    const client = plainClient(api.url);
    t.after(() => client.destroy());
    const started = Date.now();
    const error = await boundCalls(client, 500)
      .send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'web' }))
      .then(() => undefined, (e: unknown) => e);
    const elapsed = Date.now() - started;
    t.diagnostic(`${mode}: one call rejected after ${elapsed} ms (apiTimeoutMs 500)`);
    assert.ok(error instanceof ApiCallTimeoutError, `got ${String(error)}`);
    assert.equal(error.code, 'ERR_GRACEFUL_ELB_API_TIMEOUT');
    assert.equal(error.action, 'DescribeInstanceHealth');
    assert.ok(isRetryableAwsError(error), 'retried like a network error');
    assert.ok(elapsed >= 450 && elapsed < 5000, `rejected after ${elapsed} ms`);
    assert.equal(api.received[mode], 1);
  });

  test(`the library's own client (${mode}): bounded too, and a caller's abort still ends the call at once`, async (t) => {
    const api = await startStallingApi(mode);
    t.after(() => api.close());
    // The library's client reads the endpoint and credentials from the SDK's standard chain, as in production.
    setEnv(t, { AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING: api.url, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey });
    const raw = createElbClient({ region: 'us-east-1', apiTimeoutMs: 400 }) as ElasticLoadBalancingClient;
    t.after(() => raw.destroy());
    const client = boundCalls(raw, 400);
    await assert.rejects(client.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'web' })), (e: unknown) => e instanceof Error && /TimeoutError|ApiCallTimeoutError/.test(e.name));
    const controller = new AbortController();
    const pending = client.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'web' }), { abortSignal: controller.signal });
    controller.abort();
    await assert.rejects(pending, (e: unknown) => e instanceof Error && e.name === 'AbortError');
  });
}

const TARGET_GROUP = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/0123456789abcdef';
const NEVER_JOINING: Array<[string, StallMode, Record<string, unknown>]> = [
  ['a Classic ELB, API never answers', 'silent', { elbName: 'web' }],
  ['a Classic ELB, API sends headers then stalls', 'headers-then-stall', { elbName: 'web' }],
  ['a target group (its settings are read with retries), API never answers', 'silent', { targetGroupArn: TARGET_GROUP }],
  ['discovery, API never answers', 'silent', { discover: true, stateFile: '/nonexistent/graceful-elb-test/membership.json' }],
];

for (const [setup, mode, options] of NEVER_JOINING) {
  test(`hanging API from the start with ${setup}: ready rejects with NEVER_IN_SERVICE within inServiceTimeoutMs, calls retried on timeouts`, async (t) => {
    const api = await startStallingApi(mode);
    t.after(() => api.close());
    const server = await healthyServer();
    t.after(() => server.close());
    const client = plainClient(api.url);
    t.after(() => client.destroy());
    const v2 = new ElasticLoadBalancingV2Client({ region: 'us-east-1', endpoint: api.url, credentials: CREDENTIALS, maxAttempts: 1 });
    t.after(() => v2.destroy());
    const { logger, lines } = captureLogger();
    const handle = createGracefulElb(
      { server, ...options, instanceId: ID, region: 'us-east-1', client, elbv2Client: v2, logger, apiTimeoutMs: 500, inServiceTimeoutMs: 3000, retryBaseMs: 50, retryMaxDelayMs: 200, pollIntervalMs: 200, probeIntervalMs: 50, signals: [] },
      { env: {}, process: fakeProcess() },
    );
    t.after(() => handle.close());
    const started = Date.now();
    await assert.rejects(handle.ready, (e: unknown) => e instanceof NotInServiceError && e.code === 'ERR_GRACEFUL_ELB_NEVER_IN_SERVICE');
    const elapsed = Date.now() - started;
    t.diagnostic(`${setup}: ready rejected after ${elapsed} ms (inServiceTimeoutMs 3000)`);
    assert.ok(elapsed < 3000 + 5000, `ready rejected after ${elapsed} ms`);
    assert.equal(handle.state, 'failed');
    assert.ok(api.received[mode] >= 2, `${api.received[mode]} calls met the hanging API`);
    const retries = lines.filter((l) => l.msg === 'balancer API call failed; retrying');
    assert.ok(retries.length >= 2, `${retries.length} retries logged`);
    assert.ok(retries.every((l) => (l.err as { code?: string } | undefined)?.code === 'ERR_GRACEFUL_ELB_API_TIMEOUT'), 'each retry was after a timeout');
  });
}

test('the InService poll hangs after a good registration: ready rejects by inServiceTimeoutMs with the timeout as cause', async (t) => {
  const server = await healthyServer();
  t.after(() => server.close());
  const lb = await startCoreElb();
  t.after(() => lb.close());
  const api = await startStallingApi('pass', lb.endpoint);
  t.after(() => api.close());
  const client = plainClient(api.url);
  t.after(() => client.destroy());
  const handle = createGracefulElb(
    { server, elbName: 'web', instanceId: ID, region: 'us-east-1', client, logger: false, apiTimeoutMs: 400, inServiceTimeoutMs: 2500, pollIntervalMs: 100, probeIntervalMs: 50, signals: [] },
    { env: {}, process: fakeProcess() },
  );
  t.after(() => handle.close());
  handle.on('state', (state) => {
    if (state === 'joining') api.mode = 'silent';
  });
  const started = Date.now();
  const error = await handle.ready.then(() => undefined, (e: unknown) => e);
  const elapsed = Date.now() - started;
  t.diagnostic(`poll hang: ready rejected after ${elapsed} ms (inServiceTimeoutMs 2500)`);
  assert.ok(error instanceof NotInServiceError, `got ${String(error)}`);
  assert.match(error.message, /within 2500 ms/, 'the error names the whole bound, not what was left of it');
  assert.ok(elapsed < 2500 + 5000);
  let cause: unknown = error.cause;
  while (cause instanceof Error && !(cause instanceof ApiCallTimeoutError)) cause = cause.cause;
  assert.ok(cause instanceof ApiCallTimeoutError, 'the last poll timed out');
  assert.ok(api.received.pass >= 1 && api.received.silent >= 2, `calls: ${JSON.stringify(api.received)}`);
});

test('SIGTERM while the API hangs: ends within drainSeconds + graceMs, the failed leave logged, exit 4, LEAVE_FAILED over IPC', async (t) => {
  const lb = await startCoreElb();
  t.after(() => lb.close());
  const api = await startStallingApi('pass', lb.endpoint);
  t.after(() => api.close());
  const drainSeconds = 3;
  const graceMs = 1000;
  const app = forkInstance(
    lb,
    FIXTURE_APP,
    ID,
    {
      AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING: api.url,
      FIXTURE_OPTIONS: JSON.stringify({ drainSeconds, graceMs, quietMs: 200, apiTimeoutMs: 500, retryBaseMs: 50, pollIntervalMs: 200, probeIntervalMs: 100 }),
    },
    (l) => l.fixture === 'listening',
  );
  t.after(() => app.kill());
  await app.line((l) => l.fixture === 'ready', 30_000, 'ready');
  api.mode = 'silent';
  const signalAt = Date.now();
  app.child.kill('SIGTERM');
  const exit = await app.exited;
  const elapsed = exit.at - signalAt;
  t.diagnostic(`exit ${exit.code} ${elapsed} ms after SIGTERM (drainSeconds ${drainSeconds} + graceMs ${graceMs})`);
  assert.equal(exit.code, EXIT_CODES.leaveFailed, app.stderr());
  assert.ok(elapsed < drainSeconds * 1000 + graceMs + 3000, `exited ${elapsed} ms after SIGTERM`);
  const failure = app.lines.find((l) => l.phase === 'deregister' && l.level === 50 && l.balancer === 'elb/web');
  assert.ok(failure, 'the failed leave is logged with the balancer');
  const exitLine = app.lines.find((l) => l.phase === 'exit');
  assert.deepEqual(exitLine?.notLeft, ['elb/web']);
  assert.match(String(exitLine?.msg), /could not leave elb\/web/);
  const closed = app.messages.filter(isLifecycleMessage).find((m) => m.state === 'closed');
  assert.equal(closed?.error?.code, 'ERR_GRACEFUL_ELB_LEAVE_FAILED');
  assert.ok(api.received.silent >= 1);
});
