// The parts behind docs/leaving.md, one by one: crash listeners and who owns a crash, upgrade tracking that never
// changes how the server treats an `Upgrade:` request, the membership a supervisor trusts, and the lifecycle telling
// the supervisor (over IPC) which balancers to leave for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppCrashedError, installCrashHandlers, nodeFlagsOf, type CrashSource } from '../src/crashHandlers.js';
import { EXIT_CODES } from '../src/exitCodes.js';
import { createGracefulElb } from '../src/gracefulElb.js';
import { isLifecycleMessage, parseJoinedBalancers } from '../src/lifecycleMessage.js';
import { trackUpgrades } from '../src/longLivedConnections.js';
import { classicClient, startCoreElb } from './helpers/coreElb.js';
import { captureLogger, fakeProcess } from './helpers/capture.js';
import { waitFor } from './helpers/waitFor.js';

const ID = 'i-0123456789abcdef1';

function crashSource(): CrashSource & EventEmitter {
  return new EventEmitter() as CrashSource & EventEmitter;
}

test('a crash with only our listener is ours (AppCrashedError with the thrown value as cause); with an app listener it is the app’s', () => {
  const source = crashSource();
  const crashes: AppCrashedError[] = [];
  const leftToApp: string[] = [];
  const handlers = installCrashHandlers({ source, nodeFlags: [], onCrash: (e) => crashes.push(e), onLeftToApp: (event) => leftToApp.push(event) });
  const thrown = new Error('boom');
  source.emit('uncaughtException', thrown);
  source.emit('unhandledRejection', 'a string reason');
  assert.deepEqual(
    crashes.map((e) => [e.code, e.event, e.cause]),
    [
      ['ERR_GRACEFUL_ELB_APP_CRASHED', 'uncaughtException', thrown],
      ['ERR_GRACEFUL_ELB_APP_CRASHED', 'unhandledRejection', 'a string reason'],
    ],
  );
  // The app adds its own listener after gracefulElb(): decided at the crash, so it is the app's now.
  const own = (): void => undefined;
  source.on('uncaughtException', own);
  source.emit('uncaughtException', new Error('handled by the app'));
  assert.deepEqual(leftToApp, ['uncaughtException']);
  assert.equal(crashes.length, 2);
  handlers.remove();
  assert.equal(source.listenerCount('uncaughtException'), 1, 'only the app’s listener is left');
  assert.equal(source.listenerCount('unhandledRejection'), 0);
});

for (const flags of [['--unhandled-rejections=warn'], ['--unhandled-rejections', 'none'], nodeFlagsOf([], '--max-old-space-size=512 --unhandled-rejections=warn-with-error-code')]) {
  test(`Node started with ${flags.join(' ')}: rejections do not crash, so no rejection listener; exceptions still handled`, () => {
    const source = crashSource();
    installCrashHandlers({ source, nodeFlags: flags, onCrash: () => undefined, onLeftToApp: () => undefined });
    assert.equal(source.listenerCount('unhandledRejection'), 0);
    assert.equal(source.listenerCount('uncaughtException'), 1);
  });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function upgradeRequest(port: number): Promise<{ status: number | undefined; upgraded: boolean; destroy(): void }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { connection: 'upgrade', upgrade: 'websocket' } });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode, upgraded: false, destroy: () => req.destroy() });
    });
    req.on('upgrade', (_res, socket) => resolve({ status: 101, upgraded: true, destroy: () => socket.destroy() }));
    req.on('error', reject);
    req.end();
  });
}

test('upgrade tracking: no listener of ours while the app has none (an Upgrade request stays a plain request); counted while it has', async (t) => {
  const server = createServer((_req, res) => res.end('plain'));
  const tracker = trackUpgrades(server);
  t.after(() => (tracker.close(), server.close()));
  const port = await listen(server);
  assert.equal(server.listenerCount('upgrade'), 0);
  const plain = await upgradeRequest(port);
  assert.deepEqual([plain.status, plain.upgraded], [200, false], 'answered by the request handler, as without the library');
  plain.destroy();

  const appUpgrade = (_req: unknown, socket: import('node:stream').Duplex): void => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    // As a WebSocket library does: read, and end our side when the client ends its own (HTTP sockets are half-open).
    socket.resume();
    socket.on('end', () => socket.end());
  };
  server.on('upgrade', appUpgrade);
  assert.equal(server.listenerCount('upgrade'), 2, 'ours in front of the app’s');
  const upgraded = await upgradeRequest(port);
  assert.equal(upgraded.upgraded, true);
  await waitFor('the upgraded socket counted', () => tracker.open === 1, 5000);
  assert.deepEqual(tracker.byProtocol(), { websocket: 1, upgrade: 0 });
  upgraded.destroy();
  await waitFor('the closed socket forgotten', () => tracker.open === 0, 5000);

  server.off('upgrade', appUpgrade);
  assert.equal(server.listenerCount('upgrade'), 0, 'ours goes with the app’s last');
});

test('parseJoinedBalancers: a well-formed membership is copied; anything malformed reads as none', () => {
  const good = {
    instanceId: ID,
    region: 'eu-west-1',
    elbNames: ['web'],
    targetGroups: [{ targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/tg/0123456789abcdef', port: 8080 }],
    apiTimeoutMs: 5000,
    retry: { maxAttempts: 6, baseMs: 200, maxDelayMs: 5000 },
  };
  assert.deepEqual(parseJoinedBalancers(good), good);
  for (const bad of [null, 'web', { ...good, instanceId: 1 }, { ...good, elbNames: [1] }, { ...good, targetGroups: [{ targetGroupArn: 'x', port: 'y' }] }, { ...good, apiTimeoutMs: 0 }, { ...good, retry: undefined }]) {
    assert.equal(parseJoinedBalancers(bad), undefined, JSON.stringify(bad));
  }
});

test('over IPC: the balancers to leave before registering, none once left; a second crash during the shutdown exits 70 at once', async (t) => {
  const server = createServer((req, res) => res.end(req.url === '/ping' ? 'pong' : 'ok'));
  const port = await listen(server);
  t.after(() => server.close());
  const lb = await startCoreElb({ connectionDrainingSeconds: 30, instances: { [ID]: `127.0.0.1:${port}` } });
  t.after(() => lb.close());
  const client = classicClient(lb);
  t.after(() => client.destroy());
  const proc = fakeProcess();
  const source = crashSource();
  const { logger, lines } = captureLogger();
  const exits: number[] = [];
  const handle = createGracefulElb(
    { server, elbName: 'web', instanceId: ID, region: 'eu-west-1', client, logger, drainSeconds: 20, crashDrainSeconds: 10, quietMs: 200, pollIntervalMs: 100, probeIntervalMs: 50, apiTimeoutMs: 3000, exit: (c) => exits.push(c) },
    { env: { ...lb.env }, process: proc, crashSource: source, nodeFlags: [] },
  );
  t.after(() => handle.close());
  await handle.ready;
  const registering = proc.sent.filter(isLifecycleMessage).find((m) => m.state === 'registering');
  assert.deepEqual(registering?.membership, {
    instanceId: ID,
    region: 'eu-west-1',
    elbNames: ['web'],
    targetGroups: [],
    apiTimeoutMs: 3000,
    retry: { maxAttempts: 6, baseMs: 200, maxDelayMs: 5000 },
  });

  source.emit('uncaughtException', new Error('first'));
  await waitFor('draining', () => proc.sent.filter(isLifecycleMessage).some((m) => m.state === 'draining'), 10_000);
  const draining = proc.sent.filter(isLifecycleMessage).find((m) => m.state === 'draining');
  assert.deepEqual([draining?.membership?.elbNames, draining?.membership?.targetGroups], [[], []], 'left: nothing for the supervisor to do');
  // Draining, bounded by crashDrainSeconds (10 s): a second error must not wait for it.
  source.emit('uncaughtException', new Error('second'));
  await waitFor('the forced exit', () => exits.length > 0, 5000);
  assert.deepEqual(exits, [EXIT_CODES.crashed]);
  assert.deepEqual(lines.filter((l) => l.phase === 'crash' && l.level === 60).map((l) => (l.err as { message: string }).message), ['first', 'second']);
  assert.equal(source.listenerCount('uncaughtException'), 0, 'listeners removed at exit');
});
