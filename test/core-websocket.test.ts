// Long-lived connections in a real app behind the local ELB, real SIGTERM: a WebSocket gets a proper close (1001)
// during the drain when the app listens for `draining` (examples/websocket.mjs); when it does not, the socket and an
// SSE stream count in the drain, are cut at its end, and the cut is logged by kind.
// The local ELB's listener does not proxy upgrades (a Classic ELB HTTP listener does not either): the WebSocket and
// the stream connect to the app directly, as a balancer node's connection would; HTTP load goes through the listener.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { get } from 'node:http';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { LocalElb } from '@graceful-elb/local';
import { forkInstance, startCoreElbWithStable } from './helpers/coreElb.js';
import type { Forked } from './helpers/fork.js';
import { startLoad } from './helpers/load.js';
import { waitFor } from './helpers/waitFor.js';

const built = existsSync(fileURLToPath(new URL('../dist/index.js', import.meta.url)));
const ID = 'i-0e0a0b0c0d0e0f0aa';
const STABLE = 'i-0e0a0b0c0d0e0f0bb';
const isListening = (l: Record<string, unknown>): boolean => typeof l.msg === 'string' && l.msg.endsWith('listening');

async function behindBalancer(t: { after(fn: () => unknown): void }, script: string, env: Record<string, string>): Promise<{ lb: LocalElb; app: Forked; port: number }> {
  assert.ok(built, 'dist/ is missing: run `npm run build` first');
  const lb = await startCoreElbWithStable(t, STABLE);
  const app = forkInstance(lb, script, ID, { PORT: '0', ...env }, isListening);
  t.after(() => app.kill());
  const listening = await app.line(isListening, 20_000, 'listening');
  await app.line((l) => l.phase === 'ready', 20_000, 'ready');
  return { lb, app, port: listening.port as number };
}

function openSocket(port: number): Promise<{ ws: WebSocket; closed: Promise<{ code: number; at: number }> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  const closed = new Promise<{ code: number; at: number }>((resolve) => ws.once('close', (code) => resolve({ code, at: Date.now() })));
  ws.on('error', () => undefined); // a cut socket also errors; its close code says what happened
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, closed }));
    ws.once('error', reject);
  });
}

test('examples/websocket.mjs: on SIGTERM the app closes its WebSocket with 1001 during the drain; nothing cut, exit 0', async (t) => {
  const { lb, app, port } = await behindBalancer(t, fileURLToPath(new URL('../examples/websocket.mjs', import.meta.url)), { GRACEFUL_ELB_DRAIN_SECONDS: '20' });
  const { ws, closed } = await openSocket(port);
  const echoed = new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
  ws.send('hello');
  assert.equal(await echoed, 'hello');

  const load = startLoad(lb.listeners.find((l) => l.balancer === 'web')!.port, ['/']);
  t.after(() => load.stop());
  await waitFor('load through the balancer', () => load.result.ok >= 20, 10_000);
  const signalAt = Date.now();
  app.child.kill('SIGTERM');
  const close = await closed;
  const exit = await app.exited;
  load.stop();
  const result = await load.done;

  assert.equal(close.code, 1001, 'a close frame with "going away"');
  assert.ok(close.at < exit.at, 'closed during the drain, before the process ended');
  assert.equal(exit.code, 0, app.stderr());
  const draining = app.lines.find((l) => l.phase === 'draining' && l.msg === 'draining');
  assert.deepEqual(draining?.open, { websocket: 1, upgrade: 0, stream: 0, request: 0 }, 'the drain counted the WebSocket');
  assert.equal(app.lines.find((l) => l.phase === 'drained')?.drain, 'drained', 'the drain ended once the socket closed, not at drainSeconds');
  assert.ok(!app.lines.some((l) => (l.phase === 'closed' || l.phase === 'closing') && l.level === 50), 'nothing left open, nothing cut');
  assert.equal(result.failed, 0, result.errors.slice(0, 5).join('; '));
  t.diagnostic(`WebSocket closed with ${close.code} ${close.at - signalAt} ms after SIGTERM; exit ${exit.at - signalAt} ms after; ${result.ok} requests through the balancer, 0 failed`);
});

test('an app that ignores `draining`: its WebSocket and SSE stream count in the drain, are cut at drainSeconds and logged by kind, exit 1', async (t) => {
  const { app, port } = await behindBalancer(t, fileURLToPath(new URL('./fixtures/ws-app.mjs', import.meta.url)), { GRACEFUL_ELB_DRAIN_SECONDS: '2' });
  const { closed } = await openSocket(port);
  let sseEnded = false;
  let sseStarted = false;
  const sse = new Promise<void>((resolve) =>
    get({ host: '127.0.0.1', port, path: '/events', agent: false }, (res) => {
      res.once('data', () => (sseStarted = true));
      res.resume();
      res.on('close', () => ((sseEnded = true), resolve()));
    }).on('error', () => ((sseEnded = true), resolve())),
  );
  await waitFor('the first event of the stream', () => sseStarted, 5000);
  const signalAt = Date.now();
  app.child.kill('SIGTERM');
  const close = await closed;
  await sse;
  const exit = await app.exited;

  assert.equal(close.code, 1006, 'cut without a close frame');
  assert.ok(sseEnded);
  assert.ok(close.at - signalAt >= 1800, `the WebSocket kept the drain open until drainSeconds (cut after ${close.at - signalAt} ms)`);
  assert.deepEqual(app.lines.find((l) => l.phase === 'draining' && l.msg === 'draining')?.open, { websocket: 1, upgrade: 0, stream: 1, request: 0 });
  assert.equal(app.lines.find((l) => l.phase === 'drained')?.drain, 'deadline');
  // Reported by kind when the drain ends, before the grace (which the stream, never ending, runs out).
  const left = app.lines.find((l) => l.phase === 'closing' && l.level === 50);
  assert.deepEqual(left?.open, { websocket: 1, upgrade: 0, stream: 1, request: 0 });
  assert.match(String(left?.msg), /the drain ended with 1 websocket, 1 stream still open/);
  assert.equal(exit.code, 1);
});
