import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCapacity, measureCapacity } from '../src/demo/capacity.js';
import { TrafficRecorder } from '../src/demo/trafficRecorder.js';

test('capacity: the busiest remaining instance while another was out, against the steady share before', () => {
  let now = 0;
  const recorder = new TrafficRecorder({ bucketMs: 1000, now: () => now, startedAt: 0 });
  const ids = ['i-1', 'i-2', 'i-3'];
  // 0–3 s: 30 req/s each; 3–6 s: i-1 out, the others take 45 each; 6–9 s: all back.
  for (let s = 0; s < 9; s++) {
    now = s * 1000 + 10;
    const serving = s >= 3 && s < 6 ? ['i-2', 'i-3'] : ids;
    for (let r = 0; r < 90; r++) recorder.response(200, serving[r % serving.length]);
  }
  const traffic = recorder.snapshot();
  const transitions = [
    { instanceId: 'i-1', at: 3000, routing: false, state: 'OutOfService' },
    { instanceId: 'i-1', at: 6000, routing: true, state: 'InService' },
  ];
  const c = measureCapacity({ traffic, attribution: 'response header', instanceIds: ids, transitions, deployment: { startedAt: 3000, endedAt: 6500 }, peakOutOfService: 1 });
  assert.deepEqual(c, { peakOutOfService: 1, fewestRouted: 2, steadyPerInstance: 30, peakPerInstance: 45, peakAt: 3000 });
  assert.equal(
    formatCapacity(c, 3),
    'Capacity: at most 1 of 3 instance(s) out at once, the balancer routing to 2 at the fewest; peak 45 req/s on one remaining instance vs 30 req/s each before (×1.50)',
  );
});
