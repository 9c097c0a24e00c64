// The parts that sit on the app's server: health probe (http and https), traffic tracker, keep-alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { HealthCheckFailedError } from '../src/errors.js';
import { probeHealth } from '../src/healthProbe.js';
import { raiseKeepAlive } from '../src/keepAlive.js';
import { trackTraffic } from '../src/trafficTracker.js';

const tls = { key: readFileSync(new URL('./fixtures/tls/key.pem', import.meta.url)), cert: readFileSync(new URL('./fixtures/tls/cert.pem', import.meta.url)) };

async function listen<S extends Server>(server: S, t: { after(fn: () => unknown): void }): Promise<S> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => (server.closeAllConnections(), server.close()));
  return server;
}

function request(server: Server, path: string): Promise<{ status: number; body: string; connection: string | undefined }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
    }).on('error', reject);
  });
}

test('health probe over https on the loopback, certificate for another host accepted', async (t) => {
  const server = await listen(createHttpsServer(tls, (req, res) => res.writeHead(req.url === '/ping' ? 200 : 404).end()), t);
  const result = await probeHealth({ server, path: '/ping', intervalMs: 50, timeoutMs: 2000, requestTimeoutMs: 500 });
  assert.equal(result.status, 200);
  assert.match(result.url, /^https:\/\/127\.0\.0\.1:\d+\/ping$/);
});

test('health probe: waits for 2xx, then reports attempts; bounded when it never comes', async (t) => {
  let calls = 0;
  const server = await listen(createServer((_req, res) => res.writeHead(++calls < 3 ? 503 : 204).end()), t);
  const ok = await probeHealth({ server, path: '/ping', intervalMs: 20, timeoutMs: 5000, requestTimeoutMs: 500 });
  assert.equal(ok.attempts, 3);
  assert.equal(ok.status, 204);

  const bad = await listen(createServer((_req, res) => res.writeHead(500).end()), t);
  const started = Date.now();
  await assert.rejects(
    probeHealth({ server: bad, path: '/ping', intervalMs: 20, timeoutMs: 300, requestTimeoutMs: 100 }),
    (e: unknown) => e instanceof HealthCheckFailedError && e.lastStatus === 500,
  );
  assert.ok(Date.now() - started < 3000);
});

test('traffic tracker: counts requests in flight and the last one, not health checks; 503 after the signal', async (t) => {
  let release: (() => void) | undefined;
  const server = await listen(
    createServer((req, res) => {
      if (req.url === '/slow') release = () => res.end('slow');
      else res.end('fast');
    }),
    t,
  );
  const tracker = trackTraffic({ server, healthPath: '/ping' });
  t.after(() => tracker.close());
  await request(server, '/ping');
  assert.equal(tracker.lastRequestAt, undefined, 'health checks are not traffic');
  const slow = request(server, '/slow');
  await new Promise<void>((resolve) => {
    const check = (): void => (tracker.inFlight === 1 ? resolve() : void setTimeout(check, 5));
    check();
  });
  assert.equal(tracker.openRequests()[0]?.url, '/slow');
  tracker.startDraining();
  // A listener added after the tracker still runs after it; the health route answers 503 without reaching the app.
  let lateListenerCalls = 0;
  server.on('request', () => lateListenerCalls++);
  const health = await request(server, '/ping');
  assert.deepEqual([health.status, health.body, health.connection], [503, 'draining', 'close']);
  assert.equal(lateListenerCalls, 0);
  const fast = await request(server, '/x');
  assert.equal(fast.connection, 'close');
  assert.equal(lateListenerCalls, 1);
  release!();
  assert.equal((await slow).connection, 'close', 'a request running at the signal also closes its connection');
  assert.equal(tracker.inFlight, 0);
  assert.equal(tracker.cutAfterSignal, 0);
});

test('traffic tracker close() puts emit back', async (t) => {
  const server = await listen(createServer((_req, res) => res.end('x')), t);
  const tracker = trackTraffic({ server, healthPath: '/ping' });
  assert.ok(Object.prototype.hasOwnProperty.call(server, 'emit'));
  tracker.close();
  assert.ok(!Object.prototype.hasOwnProperty.call(server, 'emit'));
  assert.equal((await request(server, '/ping')).status, 200);
});

test('keep-alive: raised above the idle timeout only where Node defaults remain', () => {
  const plain = createServer();
  const change = raiseKeepAlive(plain, 60);
  assert.equal(plain.keepAliveTimeout, 65_000);
  assert.equal(plain.headersTimeout, 66_000);
  assert.deepEqual(change.keepAliveTimeout, { from: 5000, to: 65_000 });

  const configured = createServer({ keepAliveTimeout: 72_000 });
  configured.headersTimeout = 80_000;
  const none = raiseKeepAlive(configured, 60);
  assert.equal(configured.keepAliveTimeout, 72_000);
  assert.equal(configured.headersTimeout, 80_000);
  assert.deepEqual(none, { keepAliveTimeout: undefined, headersTimeout: undefined });

  const long = createServer();
  raiseKeepAlive(long, 400);
  assert.equal(long.keepAliveTimeout, 405_000);
  assert.equal(long.headersTimeout, long.requestTimeout, 'never above requestTimeout');
});
