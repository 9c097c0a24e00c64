import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { IdentityError } from '../src/lifecycleErrors.js';
import { resolveIdentity, type IdentityInput } from '../src/identity.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fork, FIXTURE_APP } from './helpers/fork.js';
import { startStallingApi } from './helpers/stallingApi.js';

const TOKEN = 'test-token-123';

/** IMDSv2 as AWS serves it when tokens are required: PUT /latest/api/token first, 401 without the token. */
async function startImds(t: { after(fn: () => unknown): void }): Promise<{ endpoint: string; requests: string[] }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!(ttl >= 1 && ttl <= 21600)) return void res.writeHead(400).end();
      return void res.writeHead(200, { 'content-type': 'text/plain' }).end(TOKEN);
    }
    if (req.headers['x-aws-ec2-metadata-token'] !== TOKEN) return void res.writeHead(401).end();
    if (req.url === '/latest/meta-data/instance-id') return void res.end('i-0abc1234def567890');
    if (req.url === '/latest/meta-data/placement/region') return void res.end('eu-west-1');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

/** A port that accepts connections and never answers (a firewall or a hung IMDS). */
async function startBlackHole(t: { after(fn: () => unknown): void }): Promise<string> {
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A port nobody listens on. */
async function closedPort(): Promise<string> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

const base: IdentityInput = { instanceId: undefined, region: undefined, clientGiven: false, imdsTimeoutMs: 1000, env: {} };

test('IMDSv2 token flow: instance id and region, no double slash in the paths', async (t) => {
  const imds = await startImds(t);
  const id = await resolveIdentity({ ...base, env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint } });
  assert.deepEqual(id, { kind: 'aws', instanceId: 'i-0abc1234def567890', region: 'eu-west-1', source: 'imds' });
  assert.ok(imds.requests.includes('PUT /latest/api/token'));
  assert.ok(imds.requests.includes('GET /latest/meta-data/instance-id'));
  assert.ok(!imds.requests.some((r) => r.includes('//')), imds.requests.join(', '));
});

test('AWS_REGION wins over IMDS for the region', async (t) => {
  const imds = await startImds(t);
  const id = await resolveIdentity({ ...base, env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint, AWS_REGION: 'ap-south-1' } });
  assert.equal(id.kind === 'aws' && id.region, 'ap-south-1');
  assert.ok(!imds.requests.some((r) => r.includes('placement')));
});

test('overrides skip IMDS entirely, even when IMDS would hang', async (t) => {
  const hole = await startBlackHole(t);
  const started = Date.now();
  const id = await resolveIdentity({ ...base, instanceId: 'i-override', env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: hole, AWS_REGION: 'us-west-2' } });
  assert.deepEqual(id, { kind: 'aws', instanceId: 'i-override', region: 'us-west-2', source: 'override' });
  assert.ok(Date.now() - started < 500);
});

/** An IMDS that answers the token request's headers, then never sends the body. */
async function stallingImds(t: { after(fn: () => unknown): void }): Promise<string> {
  const api = await startStallingApi('headers-then-stall');
  t.after(() => api.close());
  return api.url;
}

for (const [name, endpoint] of [
  ['closed port', closedPort],
  ['port that accepts and never answers', startBlackHole],
  ['headers sent, then the body stalls', stallingImds],
] as const) {
  test(`IMDS absent (${name}) with a balancer endpoint configured: IdentityError within about 2 s`, async (t) => {
    const imds = await endpoint(t);
    const started = Date.now();
    await assert.rejects(
      resolveIdentity({ ...base, env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds, AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING: 'http://127.0.0.1:9' } }),
      (e: unknown) => e instanceof IdentityError && e.code === 'ERR_GRACEFUL_ELB_IDENTITY' && /GRACEFUL_ELB_INSTANCE_ID/.test(e.message) && e.cause !== undefined,
    );
    const took = Date.now() - started;
    t.diagnostic(`IMDS ${name}: error after ${took} ms`);
    assert.ok(took < 3000, `took ${took} ms`);
  });
}

test('off EC2 with no hint of a balancer: the no-balancer mode, within about 2 s', async (t) => {
  const hole = await startBlackHole(t);
  const started = Date.now();
  // An explicit IMDS endpoint means "a balancer is expected"; here IMDS is disabled and nothing else is set.
  const id = await resolveIdentity({ ...base, env: { AWS_EC2_METADATA_DISABLED: 'true' } });
  assert.equal(id.kind, 'none');
  assert.ok(Date.now() - started < 2500);
  // With the IMDS endpoint set, the same failure is an error instead.
  await assert.rejects(resolveIdentity({ ...base, env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: hole } }), IdentityError);
});

test('a caller-provided client counts as a hint: IMDS failure is an error, not the no-balancer mode', async () => {
  await assert.rejects(resolveIdentity({ ...base, clientGiven: true, env: { AWS_EC2_METADATA_DISABLED: 'true' } }), IdentityError);
});

test('an abort ends a hanging IMDS read at once', async (t) => {
  const hole = await startBlackHole(t);
  const controller = new AbortController();
  const started = Date.now();
  const pending = resolveIdentity({ ...base, imdsTimeoutMs: 30_000, signal: controller.signal, env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: hole } });
  setTimeout(() => controller.abort(), 100);
  await assert.rejects(pending, (e: unknown) => (e as Error).name === 'AbortError');
  assert.ok(Date.now() - started < 2000);
});

test('an instance id but no region anywhere: ready rejects with IdentityError naming AWS_REGION and IMDS, not the SDK\'s "Region is missing"', async (t) => {
  // A HOME without ~/.aws: the SDK's profile chain has no region either. IMDS is off, AWS_REGION unset.
  const home = mkdtempSync(join(tmpdir(), 'graceful-elb-home-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const app = fork(FIXTURE_APP, { HOME: home, GRACEFUL_ELB_INSTANCE_ID: 'i-0abc1234def567890', AWS_EC2_METADATA_DISABLED: 'true', FIXTURE_OPTIONS: JSON.stringify({ signals: [] }) });
  t.after(() => app.kill());
  const failed = await app.line((l) => l.fixture === 'ready-failed', 20_000, 'ready to reject');
  assert.equal(failed.code, 'ERR_GRACEFUL_ELB_IDENTITY');
  const logged = app.lines.find((l) => l.phase === 'region' && l.level === 50);
  const message = String((logged?.err as { message?: unknown } | undefined)?.message);
  assert.match(message, /AWS_REGION/);
  assert.match(message, /IMDS/);
});
