// The parts that sit on the app's server: health probe (http and https), traffic tracker, keep-alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, get as httpsGet } from 'node:https';
import type { AddressInfo } from 'node:net';
import { HealthCheckFailedError } from '../src/lifecycleErrors.js';
import { probeHealth } from '../src/healthProbe.js';
import { raiseKeepAlive } from '../src/keepAlive.js';
import { trackTraffic } from '../src/trafficTracker.js';
import { waitFor } from './helpers/waitFor.js';

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

test('traffic tracker: counts requests in flight, not health checks; times requests after the signal; 503 after the signal', async (t) => {
  let release: (() => void) | undefined;
  const server = await listen(
    createServer((req, res) => {
      if (req.url === '/slow') release = () => res.end('slow');
      else res.end('fast');
    }),
    t,
  );
  let clock = 1000;
  const tracker = trackTraffic({ server, healthPath: '/ping', now: () => clock });
  t.after(() => tracker.close());
  await request(server, '/ping');
  await request(server, '/before');
  assert.equal(tracker.lastRequestAt, undefined, 'requests before the signal are not timed');
  const slow = request(server, '/slow');
  await waitFor('/slow in flight', () => tracker.inFlight === 1, 10_000);
  assert.equal(tracker.openRequests()[0]?.url, '/slow');
  clock = 2000;
  tracker.startDraining();
  clock = 2500;
  assert.deepEqual(tracker.openRequests(), [{ method: 'GET', url: '/slow', ageMs: 500, streaming: false }], 'a request running at the signal is aged from the signal');
  // A listener added after the tracker still runs after it; the health route answers 503 without reaching the app.
  let lateListenerCalls = 0;
  server.on('request', () => lateListenerCalls++);
  const health = await request(server, '/ping');
  assert.deepEqual([health.status, health.body, health.connection], [503, 'draining', 'close']);
  assert.equal(lateListenerCalls, 0);
  assert.equal(tracker.lastRequestAt, undefined, 'health checks are not traffic');
  const fast = await request(server, '/x');
  assert.equal(fast.connection, 'close');
  assert.equal(lateListenerCalls, 1);
  assert.equal(tracker.lastRequestAt, 2500);
  release!();
  assert.equal((await slow).connection, 'close', 'a request running at the signal also closes its connection');
  assert.equal(tracker.inFlight, 0);
  assert.equal(tracker.cutAfterSignal, 0);
});

test('traffic tracker: before the signal nothing runs per request (no emit wrapper, no listener on request or response)', async (t) => {
  const seen = (req: IncomingMessage, res: ServerResponse): string =>
    JSON.stringify([Object.prototype.hasOwnProperty.call((req.socket as unknown as { server: Server }).server, 'emit'), ...['close', 'finish'].map((e) => res.listenerCount(e)), ...['close', 'end', 'data'].map((e) => req.listenerCount(e))]);
  const counts: Record<string, string> = {};
  const handler = (name: string) => (req: IncomingMessage, res: ServerResponse) => {
    counts[name] = seen(req, res);
    res.end();
  };
  const plain = await listen(createServer(handler('plain')), t);
  const tracked = await listen(createServer(handler('tracked')), t);
  const tracker = trackTraffic({ server: tracked, healthPath: '/ping' });
  t.after(() => tracker.close());
  await request(plain, '/x');
  await request(tracked, '/x');
  assert.ok(counts.plain !== undefined);
  assert.equal(counts.tracked, counts.plain);
  tracker.startDraining();
  await request(tracked, '/x');
  assert.notEqual(counts.tracked, counts.plain, 'after the signal the tracker does see each request');
});

test('traffic tracker: requests cut by closing the connections after the signal are counted, before and after it', async (t) => {
  const server = await listen(createServer(() => undefined), t);
  const tracker = trackTraffic({ server, healthPath: '/ping' });
  t.after(() => tracker.close());
  const settle = (path: string): Promise<string> => request(server, path).then(() => 'answered', (e: Error) => e.message);
  const before = settle('/hangs-from-before');
  await waitFor('first request in flight', () => tracker.inFlight === 1, 10_000);
  tracker.startDraining();
  const after = settle('/hangs-from-after');
  await waitFor('second request in flight', () => tracker.inFlight === 2, 10_000);
  server.closeAllConnections();
  assert.deepEqual(await Promise.all([before, after]), ['socket hang up', 'socket hang up']);
  await waitFor('both cuts counted', () => tracker.cutAfterSignal === 2, 10_000);
  assert.equal(tracker.inFlight, 0);
});

test('traffic tracker: https requests in flight are counted on the TLS sockets', async (t) => {
  let release: (() => void) | undefined;
  const server = await listen(createHttpsServer(tls, (_req, res) => (release = () => res.end('ok'))), t);
  const tracker = trackTraffic({ server, healthPath: '/ping' });
  t.after(() => tracker.close());
  const { port } = server.address() as AddressInfo;
  const done = new Promise<number>((resolve, reject) => {
    httpsGet({ host: '127.0.0.1', port, path: '/work', agent: false, rejectUnauthorized: false }, (res) => {
      res.resume().on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
  await waitFor('https request in flight', () => tracker.inFlight === 1, 10_000);
  release!();
  assert.equal(await done, 200);
  await waitFor('https request answered', () => tracker.inFlight === 0, 10_000);
});

test('traffic tracker close() removes its listeners and puts emit back', async (t) => {
  const server = await listen(createServer((_req, res) => res.end('x')), t);
  const connectionListeners = server.listenerCount('connection');
  const tracker = trackTraffic({ server, healthPath: '/ping' });
  assert.equal(server.listenerCount('connection'), connectionListeners + 1);
  assert.ok(!Object.prototype.hasOwnProperty.call(server, 'emit'), 'no emit wrapper before the signal');
  tracker.startDraining();
  assert.ok(Object.prototype.hasOwnProperty.call(server, 'emit'));
  assert.equal((await request(server, '/ping')).status, 503);
  tracker.close();
  assert.ok(!Object.prototype.hasOwnProperty.call(server, 'emit'));
  assert.equal(server.listenerCount('connection'), connectionListeners);
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
