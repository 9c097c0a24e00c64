import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeploymentSchedule,
  deploymentRules,
  describeDeploymentConfig,
  parseDeploymentConfig,
  planBatches,
} from '../src/demo/deploymentPlan.js';
import { InvalidOptionError } from '../src/demo/errors.js';

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `i-${i + 1}`);
const sizes = (batches: string[][]): number[] => batches.map((b) => b.length);

test('parses the predefined configurations and min-healthy counts and percentages', () => {
  assert.deepEqual(parseDeploymentConfig('OneAtATime'), { kind: 'OneAtATime' });
  assert.deepEqual(parseDeploymentConfig('CodeDeployDefault.HalfAtATime'), { kind: 'HalfAtATime' });
  assert.deepEqual(parseDeploymentConfig('allatonce'), { kind: 'AllAtOnce' });
  assert.deepEqual(parseDeploymentConfig('min-healthy=2'), { kind: 'HostCount', value: 2 });
  assert.deepEqual(parseDeploymentConfig('min-healthy=66%'), { kind: 'FleetPercent', value: 66 });
  assert.equal(describeDeploymentConfig(parseDeploymentConfig('min-healthy=66%')), 'min-healthy=66%');
  assert.equal(describeDeploymentConfig({ kind: 'OneAtATime' }), 'CodeDeployDefault.OneAtATime');
});

test('bad strategies name the flag and the value', () => {
  for (const bad of ['', 'TwoAtATime', 'min-healthy=', 'min-healthy=-1', 'min-healthy=1.5', 'min-healthy=100%', 42]) {
    assert.throws(
      () => parseDeploymentConfig(bad),
      (err: unknown) => err instanceof InvalidOptionError && err.option === '--strategy' && err.code === 'ERR_GRACEFUL_ELB_INVALID_OPTION',
      `expected ${String(bad)} to be refused`,
    );
  }
  assert.throws(() => parseDeploymentConfig('TwoAtATime'), /`--strategy`.*OneAtATime.*got "TwoAtATime"/);
});

test('OneAtATime deploys one instance per batch', () => {
  assert.deepEqual(planBatches(ids(3), { kind: 'OneAtATime' }), [['i-1'], ['i-2'], ['i-3']]);
  assert.deepEqual(deploymentRules({ kind: 'OneAtATime' }, 3), { minimumHealthy: 2, batchSize: 1, minimumSucceeded: 2 });
});

test('HalfAtATime deploys up to half rounded down (at least one) and needs half rounded up to succeed', () => {
  assert.deepEqual(sizes(planBatches(ids(9), { kind: 'HalfAtATime' })), [4, 4, 1]);
  assert.deepEqual(sizes(planBatches(ids(4), { kind: 'HalfAtATime' })), [2, 2]);
  assert.deepEqual(sizes(planBatches(ids(3), { kind: 'HalfAtATime' })), [1, 1, 1]);
  assert.deepEqual(sizes(planBatches(ids(1), { kind: 'HalfAtATime' })), [1]);
  assert.equal(deploymentRules({ kind: 'HalfAtATime' }, 9).minimumSucceeded, 5);
});

test('AllAtOnce deploys everything in one batch', () => {
  assert.deepEqual(sizes(planBatches(ids(5), { kind: 'AllAtOnce' })), [5]);
});

test('min-healthy follows the CodeDeploy examples: HOST_COUNT 6 of 9 → 3 at a time, FLEET_PERCENT 40 of 9 → 5', () => {
  assert.deepEqual(sizes(planBatches(ids(9), { kind: 'HostCount', value: 6 })), [3, 3, 3]);
  assert.deepEqual(sizes(planBatches(ids(9), { kind: 'FleetPercent', value: 40 })), [5, 4]);
  assert.equal(deploymentRules({ kind: 'FleetPercent', value: 40 }, 9).minimumSucceeded, 4);
  // 66 % of 3 is 1.98, rounded up to 2 healthy: one at a time.
  assert.deepEqual(sizes(planBatches(ids(3), parseDeploymentConfig('min-healthy=66%'))), [1, 1, 1]);
});

test('a minimum that leaves nothing to deploy is refused, naming the flag', () => {
  assert.throws(() => planBatches(ids(3), { kind: 'HostCount', value: 3 }), /`--strategy`.*below the 3 instance.*got "min-healthy=3"/);
  assert.throws(() => planBatches(ids(3), { kind: 'FleetPercent', value: 99 }), /`--strategy`/);
  assert.throws(() => planBatches([], { kind: 'OneAtATime' }), (err: unknown) => err instanceof InvalidOptionError && err.option === '--instances');
});

test('OneAtATime stops at the first failed instance, the rest skipped', () => {
  const schedule = new DeploymentSchedule(ids(3), { kind: 'OneAtATime' });
  assert.deepEqual(schedule.next(), ['i-1']);
  schedule.record('i-1', false);
  assert.equal(schedule.next(), undefined);
  const outcome = schedule.outcome();
  assert.equal(outcome.status, 'Failed');
  assert.deepEqual(outcome.failed, ['i-1']);
  assert.deepEqual(outcome.skipped, ['i-2', 'i-3']);
  assert.match(outcome.reason ?? '', /fewer than 2 healthy/);
});

test('OneAtATime still succeeds when only the last instance fails, as CodeDeploy documents', () => {
  const schedule = new DeploymentSchedule(ids(3), { kind: 'OneAtATime' });
  for (let batch = schedule.next(); batch; batch = schedule.next()) {
    for (const id of batch) schedule.record(id, id !== 'i-3');
  }
  const outcome = schedule.outcome();
  assert.equal(outcome.status, 'Succeeded');
  assert.deepEqual(outcome.failed, ['i-3']);
});

test('a failure shrinks later batches to keep the minimum healthy', () => {
  const schedule = new DeploymentSchedule(ids(9), { kind: 'HalfAtATime' });
  const first = schedule.next() ?? [];
  assert.equal(first.length, 4);
  first.forEach((id, i) => schedule.record(id, i !== 0));
  assert.equal(schedule.next()?.length, 3, '8 healthy - 5 minimum = 3 may go offline');
});

test('a deployment where too few succeed fails even if all were attempted', () => {
  const schedule = new DeploymentSchedule(ids(2), { kind: 'AllAtOnce' });
  for (const id of schedule.next() ?? []) schedule.record(id, false);
  assert.equal(schedule.next(), undefined);
  assert.equal(schedule.outcome().status, 'Failed');
  assert.match(schedule.outcome().reason ?? '', /0 instance\(s\) succeeded; at least 1/);
});

test('a rolling window: a place freed by one instance is taken at once; the window never exceeds the rule', () => {
  const schedule = new DeploymentSchedule(ids(5), { kind: 'FleetPercent', value: 60 }); // 3 healthy: 2 at a time
  assert.deepEqual(schedule.next(), ['i-1', 'i-2']);
  assert.deepEqual(schedule.next(), [], 'the window is full');
  schedule.record('i-2', true);
  assert.deepEqual(schedule.next(), ['i-3'], 'i-2 done: i-3 starts while i-1 still runs');
  assert.equal(schedule.inProgress, 2);
  schedule.record('i-1', false);
  assert.deepEqual(schedule.next(), [], '4 healthy - 1 in progress - 3 minimum = 0: wait');
  schedule.record('i-3', true);
  assert.deepEqual(schedule.next(), ['i-4']);
  schedule.record('i-4', true);
  assert.deepEqual(schedule.next(), ['i-5']);
  schedule.record('i-5', true);
  assert.equal(schedule.next(), undefined);
  assert.equal(schedule.outcome().status, 'Succeeded');
  assert.throws(() => schedule.record('i-9', true), /i-9 is not being deployed to/);
});
