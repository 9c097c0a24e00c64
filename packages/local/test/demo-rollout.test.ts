import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runRollout } from '../src/demo/rollout.js';
import { modelFleetDeployment } from '../src/demo/fleetModel.js';
import type { HookEventReport } from '../src/demo/hookRunner.js';

const ids = ['i-1', 'i-2', 'i-3', 'i-4'];
const report = (instanceId: string, event: HookEventReport['event'], ok = true): HookEventReport => ({ instanceId, event, startedAt: 0, endedAt: 1, ok });

test('a rolling window: the next instance starts as soon as one finishes, not when the whole batch has', async () => {
  const log: string[] = [];
  const gates = new Map<string, () => void>();
  const started = (id: string): Promise<void> => new Promise((resolve) => gates.set(id, resolve));
  const result = runRollout({
    instanceIds: ids,
    config: { kind: 'HalfAtATime' },
    onBatch: (batch, index) => log.push(`wave ${index}: ${batch.join(',')}`),
    deployInstance: async (id, reports) => {
      log.push(`start ${id}`);
      await started(id);
      reports.push(report(id, 'ApplicationStart'));
      log.push(`end ${id}`);
    },
  });
  const open = async (id: string): Promise<void> => {
    // Each instance's hooks are running once its gate exists: finish it then.
    while (!gates.has(id)) await new Promise((r) => setImmediate(r));
    gates.get(id)?.();
  };
  await open('i-2'); // i-1 is still running: i-3 must start now, not after i-1
  await open('i-3'); // i-1 still running: i-4 takes i-3's place
  while (!gates.has('i-4')) await new Promise((r) => setImmediate(r));
  await open('i-1');
  await open('i-4');
  const done = await result;
  assert.deepEqual(log, [
    'wave 1: i-1,i-2', 'start i-1', 'start i-2', 'end i-2',
    'wave 2: i-3', 'start i-3', 'end i-3',
    'wave 3: i-4', 'start i-4', 'end i-1', 'end i-4',
  ]);
  assert.equal(done.outcome.status, 'Succeeded');
  assert.deepEqual(done.batches, [['i-1', 'i-2'], ['i-3'], ['i-4']]);
  assert.equal(done.runs.get('i-3')?.batch, 2);
  assert.equal(done.runs.get('i-3')?.events.length, 1);
  assert.equal(done.peakOutOfService, 2, 'never more than HalfAtATime allows');
  assert.ok(done.endedAt >= done.startedAt);
});

test('a failing instance keeps its partial events and error; OneAtATime stops there', async () => {
  const tried: string[] = [];
  const result = await runRollout({
    instanceIds: ids,
    config: { kind: 'OneAtATime' },
    deployInstance: async (id, reports) => {
      tried.push(id);
      reports.push(report(id, 'ApplicationStop'));
      if (id === 'i-2') {
        reports.push(report(id, 'ValidateService', false));
        throw new Error('ValidateService failed on i-2');
      }
    },
  });
  assert.deepEqual(tried, ['i-1', 'i-2']);
  assert.equal(result.outcome.status, 'Failed');
  assert.deepEqual(result.outcome.skipped, ['i-3', 'i-4']);
  const failed = result.runs.get('i-2');
  assert.equal(failed?.error?.message, 'ValidateService failed on i-2');
  assert.deepEqual(failed?.events.map((e) => e.event), ['ApplicationStop', 'ValidateService']);
});

test('the fleet model multiplies the per-instance time by the number of batches', () => {
  assert.deepEqual(modelFleetDeployment(100, { kind: 'OneAtATime' }, 5000), { fleetSize: 100, batches: 100, largestBatch: 1, totalMs: 500_000 });
  assert.deepEqual(modelFleetDeployment(100, { kind: 'HalfAtATime' }, 5000), { fleetSize: 100, batches: 2, largestBatch: 50, totalMs: 10_000 });
  assert.throws(() => modelFleetDeployment(100, { kind: 'OneAtATime' }, Number.NaN), RangeError);
});
