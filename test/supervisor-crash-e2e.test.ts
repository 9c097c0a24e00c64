// Two instances of an app that needs 4 s to boot, each under `graceful-elb start`, behind the local ELB with an
// AWS-like health check scaled down by 2 (interval 5 s instead of 10, unhealthy threshold 2: the check notices a dead
// instance after 10 s, still well after the app is back, as on AWS), ~200 req/s through its listener. One instance
// dies: by an uncaught exception (the library leaves and drains before it exits) or by `kill -9` (the supervisor
// deregisters it before restarting it). The failed requests are counted and reported.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { LocalElb } from '@graceful-elb/local';
import { startFleetElb } from './helpers/coreElb.js';
import { oneRequest } from './helpers/load.js';
import { readLines, readState, repoRoot, runCli, tempStateDir } from './helpers/supervisorHarness.js';
import { autocannon, type AutocannonInstance, type AutocannonResult } from './helpers/autocannon.js';
import { waitFor } from './helpers/waitFor.js';


const APP = join(repoRoot, 'test', 'fixtures', 'slow-boot-app.mjs');
const RATE = 200;
const HEALTH_CHECK = { intervalSeconds: 5, timeoutSeconds: 2, healthyThreshold: 2, unhealthyThreshold: 2 };
const PROPAGATION_MS = 1000;

interface Instance {
  id: string;
  stateDir: string;
  /** The port the app process running now printed; 0 until it has. */
  port: number;
}

async function startFleet(t: TestContext): Promise<{ lb: LocalElb; url: string; instances: Instance[] }> {
  const instances: Instance[] = [];
  for (const id of ['i-0c4a5h0000000000a', 'i-0c4a5h0000000000b']) instances.push({ id, stateDir: tempStateDir(t), port: 0 });
  const lb = await startFleetElb({
    instances: {},
    healthCheck: HEALTH_CHECK,
    connectionDrainingSeconds: 30,
    propagationDelayMs: PROPAGATION_MS,
  });
  // Stopped while the balancer still answers (a quick, clean leave), and only then the balancer closed.
  t.after(async () => {
    await Promise.all(instances.map((instance) => runCli(['stop', '--state-dir', instance.stateDir], { env: envOf(lb, instance) })));
    await lb.close();
  });
  for (const instance of instances) {
    const started = await runCli(['start', '--state-dir', instance.stateDir, APP], { env: envOf(lb, instance) });
    assert.equal(started.code, 0, started.stderr);
    followPort(t, lb, instance);
  }
  for (const instance of instances) {
    try {
      await waitFor(`${instance.id} in service`, () => readState(instance.stateDir)?.lifecycle?.state === 'in-service', 60_000);
    } catch (error) {
      const logs = ['supervisor.log', 'app.out.log', 'app.err.log'].map((f) => `${f}:\n${readLines(join(instance.stateDir, 'app', f)).slice(-15).join('\n')}`);
      throw new Error(`${(error as Error).message}\n${logs.join('\n')}`, { cause: error });
    }
  }
  const listener = lb.listeners.find((l) => l.balancer === 'web');
  assert.ok(listener);
  return { lb, url: listener.url, instances };
}

function envOf(lb: LocalElb, instance: Instance): NodeJS.ProcessEnv {
  // Port 0: each app process binds an ephemeral port itself (none is found first and bound later, which another process
  // could take in between); the balancer learns it from the app's log (followPort).
  return { ...lb.env, GRACEFUL_ELB_INSTANCE_ID: instance.id, PORT: '0', BOOT_MS: '4000', GRACEFUL_ELB_DRAIN_SECONDS: '20' };
}

/**
 * Points the balancer at the port the instance's app printed, and again at the port of every restarted process (the
 * supervisor appends their lines to the same app.out.log). On EC2 the restarted app binds the same port; here each
 * process gets its own, learned before its health route can pass (the app prints it as it starts listening).
 */
function followPort(t: TestContext, lb: LocalElb, instance: Instance): void {
  const log = join(instance.stateDir, 'app', 'app.out.log');
  const timer = setInterval(() => {
    const line = readLines(log).filter((l) => l.startsWith('slow-boot-app listening on ')).at(-1);
    const port = line === undefined ? 0 : Number(/listening on (\d+)/.exec(line)?.[1] ?? 0);
    if (port !== 0 && port !== instance.port) {
      instance.port = port;
      lb.setInstanceAddress(instance.id, `127.0.0.1:${port}`);
    }
  }, 20);
  t.after(() => clearInterval(timer));
}

/** Load at RATE while `during` runs (until the dead instance is back in service); the tally and when each failure came. */
async function underLoad(url: string, during: () => Promise<void>): Promise<{ result: AutocannonResult; failedAt: number[] }> {
  let load: AutocannonInstance | undefined;
  const failedAt: number[] = [];
  const done = new Promise<AutocannonResult>((resolve, reject) => {
    load = autocannon({ url, connections: 8, overallRate: RATE, duration: 120 }, (error, result) => (error ? reject(error) : resolve(result)));
    load.on('response', (_client, status) => {
      if (status < 200 || status >= 300) failedAt.push(Date.now());
    });
    load.on('reqError', () => failedAt.push(Date.now()));
  });
  try {
    await during();
  } finally {
    load?.stop();
  }
  return { result: await done, failedAt };
}

const failedOf = (r: AutocannonResult): number => r.errors + r.timeouts + r.non2xx;

const spanMs = (times: number[]): number => (times.length > 0 ? Math.max(...times) - Math.min(...times) : 0);

async function backInService(lb: LocalElb, instance: Instance, oldPid: number): Promise<void> {
  await waitFor(
    'the restarted app in service',
    () => {
      const state = readState(instance.stateDir);
      return state?.app.process?.pid !== oldPid && state?.lifecycle?.state === 'in-service';
    },
    90_000,
  );
  const routedAtRejoin = lb.status().instances[instance.id]?.routed ?? 0;
  await waitFor('traffic to the restarted app', () => (lb.status().instances[instance.id]?.routed ?? 0) > routedAtRejoin + 20, 30_000);
}

test('an uncaught exception under ~200 req/s with a 4 s boot: at most the crashing requests fail', async (t) => {
  const { lb, url, instances } = await startFleet(t);
  const victim = instances[0]!;
  const oldPid = readState(victim.stateDir)?.app.process?.pid ?? 0;
  const { result, failedAt } = await underLoad(url, async () => {
    await waitFor('load on both instances', () => instances.every((i) => (lb.status().instances[i.id]?.routed ?? 0) > 50), 20_000);
    // The crash comes from a request to the app itself (that one request is lost), not through the balancer.
    void oneRequest(victim.port, '/crash');
    await backInService(lb, victim, oldPid);
  });
  const state = readState(victim.stateDir);
  t.diagnostic(
    `uncaught exception: ${result.requests.total} requests, ${failedOf(result)} failed (errors ${result.errors}, non-2xx ${result.non2xx}, timeouts ${result.timeouts}) ` +
      `over ${spanMs(failedAt)} ms; exit ${JSON.stringify(state?.lastExit)}`,
  );
  assert.ok(result.requests.total > 1000, `only ${result.requests.total} requests`);
  assert.ok(failedOf(result) <= 20, `${failedOf(result)} failed requests`);
  assert.equal(state?.app.restarts, 1);
});

test('kill -9 under ~200 req/s: the supervisor deregisters the dead app before restarting it; failures bounded by the propagation window', async (t) => {
  const { lb, url, instances } = await startFleet(t);
  const victim = instances[0]!;
  const oldPid = readState(victim.stateDir)?.app.process?.pid ?? 0;
  let killedAt = 0;
  const { result, failedAt } = await underLoad(url, async () => {
    await waitFor('load on both instances', () => instances.every((i) => (lb.status().instances[i.id]?.routed ?? 0) > 50), 20_000);
    killedAt = Date.now();
    process.kill(oldPid, 'SIGKILL');
    await backInService(lb, victim, oldPid);
  });
  const failed = failedOf(result);
  const supervisorLog = readLines(join(victim.stateDir, 'app', 'supervisor.log'))
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string; time: number });
  const deregistered = supervisorLog.find((l) => l.msg === 'deregistered the dead app from elb/web');
  const deregister = lb.calls().find((c) => c.action === 'DeregisterInstancesFromLoadBalancer' && c.instanceIds.includes(victim.id));
  const restarted = supervisorLog.find((l) => l.msg === 'app restarted');
  t.diagnostic(
    `kill -9: ${result.requests.total} requests, ${failed} failed, the last ${failedAt.length > 0 ? Math.max(...failedAt) - killedAt : 0} ms after the kill; deregistered ${deregister ? deregister.at - killedAt : '?'} ms after the kill ` +
      `(propagation ${PROPAGATION_MS} ms: at ${RATE / 2} req/s per instance the window costs about ${RATE / 2} requests)`,
  );
  assert.ok(deregistered, 'the supervisor logged the deregistration');
  assert.ok(deregister && deregister.status === 200);
  assert.ok(restarted && restarted.time >= deregistered.time, 'restarted only after the deregistration');
  // Requests routed to the dead port until the deregistration reaches every balancer node: the propagation delay plus
  // the moments to notice the exit and make the call; generous for a busy machine, far below the boot window (4 s+).
  const windowMs = PROPAGATION_MS + 1500;
  assert.ok(failed <= (RATE / 2) * (windowMs / 1000), `${failed} failed requests, more than the propagation window allows`);
  const lastFailureMs = failedAt.length > 0 ? Math.max(...failedAt) - killedAt : 0;
  assert.ok(lastFailureMs <= windowMs, `failures went on ${lastFailureMs} ms after the kill: longer than the propagation window (the boot takes 4 s)`);
  assert.equal(readState(victim.stateDir)?.app.restarts, 1);
});
