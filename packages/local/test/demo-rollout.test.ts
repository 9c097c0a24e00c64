import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runRollout } from '../src/demo/rollout.js';
import { modelFleetDeployment } from '../src/demo/fleetModel.js';
import type { HookEventReport } from '../src/demo/hookRunner.js';

const ids = ['i-1', 'i-2', 'i-3', 'i-4'];
const report = (instanceId: string, event: HookEventReport['event'], ok = true): HookEventReport => ({ instanceId, event, startedAt: 0, endedAt: 1, ok });

test('runs batches in order, a batch in parallel, the next only after the whole batch', async () => {
  const log: string[] = [];
  const result = await runRollout({
    instanceIds: ids,
    config: { kind: 'HalfAtATime' },
    onBatch: (batch, index) => log.push(`batch ${index}: ${batch.join(',')}`),
    deployInstance: async (id, reports) => {
      log.push(`start ${id}`);
      await new Promise((r) => setTimeout(r, id === 'i-1' ? 30 : 5));
      reports.push(report(id, 'ApplicationStart'));
      log.push(`end ${id}`);
    },
  });
  assert.deepEqual(log, ['batch 1: i-1,i-2', 'start i-1', 'start i-2', 'end i-2', 'end i-1', 'batch 2: i-3,i-4', 'start i-3', 'start i-4', 'end i-3', 'end i-4']);
  assert.equal(result.outcome.status, 'Succeeded');
  assert.deepEqual(result.batches, [['i-1', 'i-2'], ['i-3', 'i-4']]);
  assert.equal(result.runs.get('i-3')?.batch, 2);
  assert.equal(result.runs.get('i-3')?.events.length, 1);
  assert.ok(result.endedAt >= result.startedAt);
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
