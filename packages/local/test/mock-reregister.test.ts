import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeregisterTargetsCommand, DescribeTargetHealthCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { demoBalancerConfig, DEMO_BALANCERS } from '../src/demo/balancerConfig.js';
import { startLocalElb } from '../src/mock/localElb.js';
import { waitFor } from '../../../test/helpers/waitFor.js';
import { clientsFor, startBackend } from './mock-helpers.js';

// What a rolling deployment does behind an ALB: the new process registers while the old registration still drains.
// On AWS that RegisterTargets is a fresh registration (draining → initial → healthy) and the target is routed to
// again once healthy; every request meanwhile goes to a target that answers.

test('a target registered again while draining reads initial, then healthy, and is routed to again; no request fails', async (t) => {
  const ids = ['i-0de00000000000001', 'i-0de00000000000002'];
  const old = await startBackend('old');
  const other = await startBackend('other');
  const config = demoBalancerConfig(30, 'alb');
  config.targetGroups![0]!.targets = ids.map((id) => ({ id }));
  const lb = await startLocalElb({ config, listenerPorts: 'ephemeral', propagationDelayMs: 200, instances: { [ids[0]!]: old.address, [ids[1]!]: other.address }, imds: { requireToken: false }, logger: false });
  const fresh = await startBackend('new');
  t.after(async () => {
    await lb.close();
    await Promise.all([old.close(), other.close(), fresh.close()]);
  });
  const { v2 } = clientsFor(lb);
  const TargetGroupArn = lb.status().targetGroups[0]!.arn;
  const state = async (id: string): Promise<string | undefined> =>
    (await v2.send(new DescribeTargetHealthCommand({ TargetGroupArn, Targets: [{ Id: id }] }))).TargetHealthDescriptions?.[0]?.TargetHealth?.State;
  const url = lb.listeners.find((l) => l.balancer === DEMO_BALANCERS.alb.listener)!.url;
  const statuses: number[] = [];
  const send = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i += 1) statuses.push((await fetch(`${url}/work`, { signal: AbortSignal.timeout(10_000) })).status);
  };

  await waitFor('both targets healthy', async () => (await state(ids[0]!)) === 'healthy' && (await state(ids[1]!)) === 'healthy');
  await v2.send(new DeregisterTargetsCommand({ TargetGroupArn, Targets: [{ Id: ids[0]! }] }));
  assert.equal(await state(ids[0]!), 'draining');
  await waitFor('the draining target no longer routed', () => lb.status().targetGroups[0]!.targets.find((m) => m.instanceId === ids[0])?.routing === false);
  await send(20);
  // The old process exits; the new one listens (same instance, new address) and registers while the delay runs.
  await old.close();
  lb.setInstanceAddress(ids[0]!, fresh.address);
  await v2.send(new RegisterTargetsCommand({ TargetGroupArn, Targets: [{ Id: ids[0]! }] }));
  assert.equal(await state(ids[0]!), 'initial', 'a registration during the delay starts over as AWS does');
  await send(20);
  await waitFor('the re-registered target healthy', async () => (await state(ids[0]!)) === 'healthy');
  await waitFor('the re-registered target routed to', async () => {
    await send(4);
    return fresh.requests > 0;
  });
  assert.ok(statuses.every((s) => s === 200), `every request answered 200, got ${JSON.stringify(statuses.filter((s) => s !== 200))}`);
  assert.equal(old.requests, 0, 'nothing reached the old process after it was draining');
});
