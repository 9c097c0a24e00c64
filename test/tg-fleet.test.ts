import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { createGracefulElb, type GracefulElb } from '../src/gracefulElb.js';
import { captureLogger, fakeProcess } from './helpers/capture.js';
import { closeServer, startApp, startTgLocalElb } from './helpers/tgLocalElb.js';

// Fleet scale: 100 library instances (one process, 100 real servers on port 0, 100 instance ids, 100 SDK clients)
// deploy at once against the local ELB while it answers Throttling to half of all API calls. Full-jitter retries
// with a cap must get every one of them registered and deregistered, well within the stated bounds.

const FLEET = 100;
// The stated bounds, generous for a loaded 2-core machine (measured: see the log line the test prints).
const ALL_READY_WITHIN_MS = 120_000;
const ALL_LEFT_WITHIN_MS = 60_000;
const RETRY = { retryMaxAttempts: 20, retryBaseMs: 200, retryMaxDelayMs: 3000 };

test(`fleet: ${FLEET} instances register and deregister through 50% Throttling`, async (t) => {
  // Health checks every second: 100 targets probed every 250 ms would only load the machine for nothing.
  const { lb, arns } = await startTgLocalElb();
  t.after(() => lb.close());
  const arn = arns['web-tg']!;
  const apps = await Promise.all(Array.from({ length: FLEET }, (_, i) => startApp(`app-${i}`)));
  t.after(() => Promise.all(apps.map(closeServer)));
  const clients: ElasticLoadBalancingV2Client[] = [];
  t.after(() => clients.forEach((c) => c.destroy()));
  const { logger, lines } = captureLogger();

  lb.faults.throttle({ fraction: 0.5 });
  const started = Date.now();
  const handles: GracefulElb[] = apps.map((server, i) =>
    createGracefulElb(
      {
        server,
        targetGroupArn: arn,
        instanceId: `i-0f1ee7${String(i).padStart(11, '0')}`,
        logger: logger.child({ instance: i }),
        drainSeconds: 30,
        quietMs: 500,
        graceMs: 1000,
        pollIntervalMs: 1000,
        inServiceTimeoutMs: ALL_READY_WITHIN_MS,
        signals: [],
        exit: () => undefined,
        ...RETRY,
      },
      {
        env: { ...lb.env },
        process: fakeProcess(),
        // What the library would build from the SDK chain, pointed at the local ELB: one client per instance.
        createV2Client: () => {
          const client = new ElasticLoadBalancingV2Client({
            endpoint: lb.endpoint,
            region: lb.env.AWS_REGION,
            credentials: { accessKeyId: lb.env.AWS_ACCESS_KEY_ID, secretAccessKey: lb.env.AWS_SECRET_ACCESS_KEY },
            maxAttempts: 1,
          });
          clients.push(client);
          return client;
        },
      },
    ),
  );
  t.after(() => handles.forEach((h) => h.close()));

  const ready = await Promise.allSettled(handles.map((h) => h.ready));
  const readyMs = Date.now() - started;
  const notReady = ready.flatMap((r, i) => (r.status === 'rejected' ? [`${i}: ${String(r.reason)}`] : []));
  assert.deepEqual(notReady, [], 'every instance in service');
  assert.ok(readyMs < ALL_READY_WITHIN_MS, `all ready in ${readyMs} ms`);
  const targets = lb.status().targetGroups.find((g) => g.name === 'web-tg')!.targets;
  assert.equal(targets.filter((x) => x.state === 'healthy').length, FLEET);

  const leaveStarted = Date.now();
  const summaries = await Promise.all(handles.map((h) => h.shutdown('fleet deploy')));
  const leftMs = Date.now() - leaveStarted;
  assert.deepEqual(summaries.filter((s) => s.exitCode !== 0), [], 'every instance left and closed cleanly');
  assert.ok(leftMs < ALL_LEFT_WITHIN_MS, `all left in ${leftMs} ms`);
  const after = lb.status();
  const states = after.targetGroups.find((g) => g.name === 'web-tg')!.targets.map((x) => x.state);
  assert.equal(states.filter((s) => s === 'draining').length, FLEET, 'every target deregistered (draining)');
  const throttled = after.faults.injected.throttle;
  lb.faults.clear();

  // The retries: full jitter (delays spread over [0, cap)), never above the cap, within the attempt bound.
  const retries = lines.filter((l) => l.msg === 'balancer API call failed; retrying') as unknown as Array<{ attempt: number; delayMs: number }>;
  assert.ok(retries.length > FLEET / 2, `retries happened (${retries.length})`);
  assert.ok(retries.every((r) => r.delayMs >= 0 && r.delayMs < RETRY.retryMaxDelayMs && r.attempt < RETRY.retryMaxAttempts));
  assert.ok(new Set(retries.map((r) => r.delayMs)).size > retries.length / 4, 'delays are jittered, not in lockstep');
  assert.ok(throttled > FLEET, `the local ELB throttled ${throttled} calls`);
  assert.equal(lines.filter((l) => l.level >= 50).length, 0, 'no error logged');
  console.log(JSON.stringify({ fleet: FLEET, readyMs, leftMs, throttledCalls: throttled, retries: retries.length, maxAttempt: Math.max(...retries.map((r) => r.attempt)) }));
});
