import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pickWorkPath, spread, startLoad } from '../src/demo/loadGenerator.js';
import { TrafficRecorder, instanceFromHeaders } from '../src/demo/trafficRecorder.js';
import { waitFor } from '../../../test/helpers/waitFor.js';

const MIX = [
  { ms: 2, weight: 70 },
  { ms: 50, weight: 25 },
  { ms: 300, weight: 5 },
];

interface Backend {
  url: string;
  server: Server;
  paths: string[];
  closeHeaders: number;
  connections: number;
  mode: 'ok' | '503' | 'reset' | 'close' | 'hangup';
}

async function backend(t: { after: (fn: () => Promise<void>) => void }): Promise<Backend> {
  const state = { paths: [] as string[], closeHeaders: 0, connections: 0, mode: 'ok' as Backend['mode'] };
  const server = createServer((req, res) => {
    state.paths.push(req.url ?? '');
    if (req.headers.connection === 'close') state.closeHeaders++;
    if (state.mode === 'reset') {
      req.socket.destroy();
      return;
    }
    if (state.mode === 'hangup') {
      // A clean FIN with the request unanswered: no error reaches the client, only silence.
      req.socket.end();
      return;
    }
    if (state.mode === 'close') res.setHeader('connection', 'close');
    const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 0);
    const status = state.mode === '503' ? 503 : 200;
    setTimeout(() => {
      res.setHeader('X-Instance-Id', 'i-test');
      res.writeHead(status).end('ok');
    }, ms);
  });
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, { url, server }) as Backend;
}


const loadOptions = { ratePerKeepAliveConnection: 2, keepAliveStagger: 2, workMix: MIX, requestTimeoutSeconds: 5 };

test('pickWorkPath follows the weights; spread splits evenly', () => {
  assert.equal(pickWorkPath(MIX, () => 0), '/work?ms=2');
  assert.equal(pickWorkPath(MIX, () => 0.69), '/work?ms=2');
  assert.equal(pickWorkPath(MIX, () => 0.71), '/work?ms=50');
  assert.equal(pickWorkPath(MIX, () => 0.999), '/work?ms=300');
  assert.deepEqual(spread(10, 4), [3, 3, 2, 2]);
  assert.deepEqual(spread(3, 3), [1, 1, 1]);
});

test('instanceFromHeaders reads the header in any case', () => {
  assert.equal(instanceFromHeaders({ 'X-Instance-Id': 'i-1' }), 'i-1');
  assert.equal(instanceFromHeaders({ 'x-instance-id': ['i-2', 'i-3'] }), 'i-2');
  assert.equal(instanceFromHeaders({ other: 'x' }), undefined);
});

test('a healthy backend: mixed kept-alive and fresh connections at about the asked rate, no failures, instance recorded', async (t) => {
  const be = await backend(t);
  const recorder = new TrafficRecorder({ bucketMs: 1000 });
  const load = startLoad({ ...loadOptions, url: be.url, ratePerSecond: 80, keepAliveShare: 0.5, recorder });
  await waitFor('condition', () => recorder.snapshot().totals.ok >= 150, 20_000);
  const stats = await load.stop();
  const { totals, buckets } = recorder.snapshot();
  assert.equal(recorder.failures, 0, JSON.stringify(totals));
  assert.equal(totals.servedBy['i-test'], totals.ok);
  assert.equal(totals.sent, totals.ok + stats.inFlightAtStop, 'every request sent was answered or still in flight at stop');
  assert.equal(stats.keepAliveRate, 40);
  assert.equal(stats.freshRate, 40);
  assert.equal(stats.keepAliveConnections, 20);
  assert.ok(be.closeHeaders > 30, `fresh requests ask for Connection: close (${be.closeHeaders})`);
  assert.ok(be.connections > be.closeHeaders, 'each fresh request opened its own connection');
  assert.ok(be.paths.some((p) => p === '/work?ms=50') && be.paths.some((p) => p === '/work?ms=2'), 'durations vary');
  assert.ok(buckets.length >= 2);
  // Not a timing test: only that the rate limiter is on (unlimited, the quick backend would take thousands per second).
  const perSecond = totals.sent / buckets.length;
  assert.ok(perSecond < 200, `about 80 req/s asked, ${perSecond.toFixed(0)} sent per second`);
});

test('non-2xx answers and socket errors are both counted as failures', async (t) => {
  const be = await backend(t);
  const recorder = new TrafficRecorder({ bucketMs: 1000 });
  be.mode = '503';
  const load = startLoad({ ...loadOptions, url: be.url, ratePerSecond: 40, keepAliveShare: 0.5, recorder });
  await waitFor('condition', () => recorder.snapshot().totals.non2xx >= 10, 20_000);
  be.mode = 'reset';
  await waitFor('condition', () => recorder.snapshot().totals.errors >= 10, 20_000);
  await load.stop();
  const { totals } = recorder.snapshot();
  assert.ok((totals.statuses['503'] ?? 0) >= 10);
  assert.ok(Object.keys(totals.errorCodes).length > 0);
  assert.equal(recorder.failures, totals.non2xx + totals.errors);
  assert.equal(totals.ok, 0);
});

test('servers answering `Connection: close` cost nothing: autocannon\'s write onto the closing socket is not a request', async (t) => {
  const be = await backend(t);
  be.mode = 'close';
  const recorder = new TrafficRecorder({ bucketMs: 1000 });
  const load = startLoad({ ...loadOptions, url: be.url, ratePerSecond: 40, keepAliveShare: 1, recorder });
  await waitFor('condition', () => recorder.snapshot().totals.ok >= 40, 20_000);
  const stats = await load.stop();
  const { totals } = recorder.snapshot();
  assert.equal(recorder.failures, 0, JSON.stringify(totals));
  assert.equal(totals.sent, totals.ok + stats.inFlightAtStop);
  // Requests in flight at stop may never reach the server; nothing else counted as sent may be missing there
  // (counting the writes onto closing sockets would double the count).
  assert.ok(be.paths.length >= totals.ok && totals.sent - be.paths.length <= stats.keepAliveConnections, `${be.paths.length} seen, ${totals.sent} sent`);
});

test('a request the server hangs up on without an answer is counted as lost', async (t) => {
  const be = await backend(t);
  be.mode = 'hangup';
  const recorder = new TrafficRecorder({ bucketMs: 1000 });
  const load = startLoad({ ...loadOptions, url: be.url, ratePerSecond: 20, keepAliveShare: 1, recorder });
  await waitFor('condition', () => recorder.failures >= 5, 20_000);
  await load.stop();
  const { totals } = recorder.snapshot();
  assert.ok((totals.errorCodes.lost ?? 0) + (totals.errorCodes.ECONNRESET ?? 0) >= 5, JSON.stringify(totals));
  assert.equal(totals.ok, 0);
});
