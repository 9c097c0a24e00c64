// The soak's parts: its plan of deployments, its leak checks, and the census that finds the fleet's processes
// in /proc (a real child process carrying the marker in its environment, and one that does not).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { baselineCensus, takeCensus, type Census } from '../bench/processCensus.js';
import { soakPlan } from '../bench/soakPlan.js';
import { soakChecks, type SoakDeployment } from '../bench/soakRunner.js';

test('the plan alternates the configurations and puts a failed revision every fifth deployment', () => {
  const plan = soakPlan(20);
  assert.equal(plan.length, 20);
  assert.deepEqual(plan.slice(0, 5).map((p) => p.strategyLabel), ['CodeDeployDefault.OneAtATime', 'CodeDeployDefault.HalfAtATime', 'min-healthy=1', 'min-healthy=66%', 'CodeDeployDefault.OneAtATime']);
  assert.deepEqual(plan.map((p, i) => (p.scenario === 'failed-revision' ? i + 1 : 0)).filter(Boolean), [5, 10, 15, 20]);
  assert.ok(plan.every((p) => p.strategy.kind !== 'AllAtOnce'), 'no configuration takes every instance out at once');
  assert.throws(() => soakPlan(0), RangeError);
});

const census = (fleetFds: number[], fleetRssKiB: number, elb: Partial<Census['localElb']> = {}): Census => ({
  localElb: { rssKiB: 100_000, heapUsedKiB: 20_000, fds: 30, activeResources: 5, activeResourcesByKind: { TCPSocketWrap: 3, Timeout: 2 }, ...elb },
  fleet: fleetFds.map((fds, i) => ({ pid: 100 + i, command: 'node', rssKiB: fleetRssKiB, fds })),
});
const deployment = (n: number, ok = true): SoakDeployment => ({ n, scenario: 'deploy', strategy: 'OneAtATime', status: 'Succeeded', sent: 10_000, failed: ok ? 0 : 3, deploymentMs: 20_000, ok, report: 'x' });

test('the leak checks pass on a steady census and name what grew', () => {
  const steady = soakChecks({ deployments: [deployment(1), deployment(2)], sent: 200_000, failed: 0, minRequests: 200_000, instances: 3, census: { before: census([20, 20], 50_000), after: census([21, 20], 52_000) } });
  assert.deepEqual(steady.filter((c) => !c.ok), []);

  const leaky = soakChecks({
    deployments: [deployment(1), deployment(2, false)],
    sent: 150_000,
    failed: 3,
    minRequests: 200_000,
    instances: 3,
    census: { before: census([20, 20], 50_000), after: census([20, 20, 20], 90_000, { fds: 80, heapUsedKiB: 80_000, activeResources: 40, activeResourcesByKind: { TCPSocketWrap: 2, Timeout: 37, FSReqCallback: 1 } }) },
  });
  assert.deepEqual(
    leaky.filter((c) => !c.ok).map((c) => c.name),
    [
      'every deployment kept its promise',
      'zero failed requests',
      'at least 200,000 requests',
      'fleet process count unchanged',
      'fleet open fds unchanged',
      'fleet RSS not growing',
      'local ELB open fds unchanged',
      'local ELB heap not growing (after GC)',
      'local ELB handles unchanged',
    ],
  );
  assert.equal(leaky.find((c) => c.name === 'fleet process count unchanged')?.detail, '2 → 3 (supervisors and apps of 3 instances)');
  assert.equal(leaky.find((c) => c.name === 'local ELB handles unchanged')?.detail, '5 → 40 (Timeout +35, TCPSocketWrap −1, FSReqCallback +1)');
});

test('the census finds the processes carrying the marker, with their RSS and open fds', async (t) => {
  const marker = `/tmp/graceful-elb-soak-census-${process.pid}`;
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { env: { ...process.env, GRACEFUL_ELB_STATE_DIR: marker }, stdio: 'ignore' });
  const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  t.after(() => {
    child.kill('SIGKILL');
    other.kill('SIGKILL');
  });
  await Promise.all([once(child, 'spawn'), once(other, 'spawn')]);
  const found = takeCensus(marker);
  assert.deepEqual(found.fleet.map((p) => p.pid), [child.pid]);
  assert.ok(found.fleet[0]!.rssKiB > 1000 && found.fleet[0]!.fds >= 3, JSON.stringify(found.fleet[0]));
  assert.ok(found.localElb.fds > 3 && found.localElb.rssKiB > 10_000 && found.localElb.heapUsedKiB > 1000);
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.deepEqual(takeCensus(marker).fleet, [], 'a process that exited is no longer counted');
});

test('the baseline takes the fleet of the first census and the local ELB at its highest, kind by kind', () => {
  const a = census([20, 20], 50_000, { fds: 30, heapUsedKiB: 21_000, activeResources: 50, activeResourcesByKind: { TCPSocketWrap: 30, Timeout: 20 } });
  const b = census([25, 25], 60_000, { fds: 34, heapUsedKiB: 20_000, activeResources: 48, activeResourcesByKind: { TCPSocketWrap: 20, Timeout: 27, Immediate: 1 } });
  const baseline = baselineCensus([a, b]);
  assert.deepEqual(baseline.fleet, a.fleet);
  assert.deepEqual(baseline.localElb, { rssKiB: 100_000, heapUsedKiB: 21_000, fds: 34, activeResources: 50, activeResourcesByKind: { TCPSocketWrap: 30, Timeout: 27, Immediate: 1 } });
  assert.throws(() => baselineCensus([]), RangeError);
});
