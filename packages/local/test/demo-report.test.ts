import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { instanceDurations, instanceMoments, phaseSpans, type RoutingTransition } from '../src/demo/instancePhases.js';
import type { HookEventReport } from '../src/demo/hookRunner.js';
import { chooseAttribution, formatSummary, instanceReport, table, type DemoReport } from '../src/demo/report.js';
import { measureCapacity } from '../src/demo/capacity.js';
import { renderTimelineSvg } from '../src/demo/timelineSvg.js';
import { scenarioChecks } from '../src/demo/scenarioChecks.js';
import { TrafficRecorder } from '../src/demo/trafficRecorder.js';

const T0 = 1_000_000;
const ev = (instanceId: string, event: HookEventReport['event'], from: number, to: number): HookEventReport => ({
  instanceId,
  event,
  startedAt: T0 + from,
  endedAt: T0 + to,
  ok: true,
});

test('graceful moments: the balancer stops routing before the process exits', () => {
  const events = [ev('i-1', 'ApplicationStop', 5000, 7500), ev('i-1', 'ApplicationStart', 7600, 8000), ev('i-1', 'ValidateService', 8000, 10_500)];
  const transitions: RoutingTransition[] = [
    { instanceId: 'i-1', at: 1000, routing: true, state: 'InService' },
    { instanceId: 'i-1', at: 6100, routing: false, state: 'InService' },
    { instanceId: 'i-1', at: 10_400, routing: true, state: 'InService' },
  ];
  const m = instanceMoments(events, transitions, T0);
  assert.deepEqual(m, { signalAt: 5000, leftAt: 6100, exitedAt: 7500, startedAt: 8000, inServiceAt: 10_400 });
  assert.deepEqual(instanceDurations(m), { leaveMs: 1100, drainMs: 1400, routedWhileDownMs: 0, downMs: 500, rejoinMs: 2400, cycleMs: 5400 });
  assert.deepEqual(
    phaseSpans(m).map((s) => s.phase),
    ['leaving', 'draining', 'down', 'rejoining'],
  );
});

test('naive moments: the process is gone before the balancer notices, and that window is shown', () => {
  const events = [ev('i-1', 'ApplicationStop', 5000, 5100), ev('i-1', 'ApplicationStart', 5100, 5400)];
  const transitions: RoutingTransition[] = [
    { instanceId: 'i-1', at: 7000, routing: false, state: 'OutOfService' },
    { instanceId: 'i-1', at: 9000, routing: true, state: 'InService' },
  ];
  const m = instanceMoments(events, transitions, T0);
  const d = instanceDurations(m);
  assert.equal(d.drainMs, 0);
  assert.equal(d.routedWhileDownMs, 300, 'routed to nothing from exit (5.1 s) until the new process was up (5.4 s)');
  assert.equal(d.cycleMs, 4000);
  assert.deepEqual(phaseSpans(m).map((s) => s.phase), ['leaving', 'down', 'rejoining', 'routed-while-down']);
});

test('a restart quicker than the unhealthy threshold: never left, back when started', () => {
  const m = instanceMoments([ev('i-1', 'ApplicationStop', 5000, 5050), ev('i-1', 'ApplicationStart', 5050, 5400)], [], T0);
  assert.equal(m.inServiceAt, 5400);
  assert.equal(instanceDurations(m).routedWhileDownMs, 350);
});

/** A made-up graceful or naive run of three instances, for the renderers. */
function sampleReport(mode: 'graceful' | 'naive'): DemoReport {
  let now = 0;
  const recorder = new TrafficRecorder({ bucketMs: 1000, now: () => now, startedAt: 0 });
  const ids = ['i-0demo0000000001', 'i-0demo0000000002', 'i-0demo0000000003'];
  const down = (id: string, s: number): boolean => {
    const k = ids.indexOf(id);
    return s >= 4 + k * 6 && s < 8 + k * 6;
  };
  for (let s = 0; s < 26; s++) {
    now = s * 1000 + 10;
    for (let r = 0; r < 300; r++) {
      const id = ids[r % 3] ?? 'i-x';
      recorder.sent();
      if (down(id, s)) {
        if (mode === 'naive' && s % 6 === 4) recorder.response(502, undefined);
        else recorder.response(200, ids.find((other) => !down(other, s)));
      } else recorder.response(200, id);
    }
  }
  const traffic = recorder.snapshot();
  const instances = ids.map((id, k) => {
    const base = 4000 + k * 6000;
    const events = [
      { event: 'ApplicationStop', from: base, to: base + (mode === 'graceful' ? 2500 : 100), ok: true },
      { event: 'ApplicationStart', from: base + 2600, to: base + 3000, ok: true },
      { event: 'ValidateService', from: base + 3000, to: base + 4000, ok: true },
    ];
    const moments =
      mode === 'graceful'
        ? { signalAt: base, leftAt: base + 1100, exitedAt: base + 2500, startedAt: base + 3000, inServiceAt: base + 4000 }
        : { signalAt: base, leftAt: base + 2000, exitedAt: base + 100, startedAt: base + 500, inServiceAt: base + 4000 };
    return instanceReport({ instanceId: id, batch: k + 1, status: 'Succeeded', error: undefined, events, moments }, traffic, 'response header');
  });
  const failedRequests = traffic.totals.non2xx + traffic.totals.errors;
  const deployment = { id: 'd-TEST', status: 'Succeeded' as const, reason: undefined, batches: ids.map((id) => [id]), startedAt: 4000, endedAt: 20_000, skipped: [] };
  const attribution = chooseAttribution(traffic);
  const report = {
    kind: 'graceful-elb-demo' as const,
    version: 1 as const,
    mode,
    scenario: 'deploy' as const,
    startedAt: '2025-01-01T00:00:00.000Z',
    machine: { cpuModel: 'Test CPU <&>', cpuCount: 2, memoryGiB: 24, os: 'linux', node: 'v20' },
    host: { p99Ms: 12.5, maxMs: 48.1, starved: false },
    settings: { instances: 3, strategy: 'CodeDeployDefault.OneAtATime', ratePerSecond: 300, durationSeconds: 20, drainSeconds: 30, keepAliveShare: 0.75, workMix: [], propagationDelayMs: 1000, balancer: 'classic' as const, balancerDrainSeconds: 30, healthCheck: { path: '/ping', intervalSeconds: 1, timeoutSeconds: 1, healthyThreshold: 2, unhealthyThreshold: 2 } },
    balancerStates: [],
    appListening: [],
    deployment,
    rollback: undefined,
    capacity: measureCapacity({ traffic, attribution, instanceIds: ids, transitions: [], deployment, peakOutOfService: 1 }),
    traffic: { ...traffic, attribution, inFlightAtStop: 3, keepAliveConnections: 100, keepAliveRate: 225, freshRate: 75, durationMs: 26_000 },
    instances,
    failedRequests,
  };
  const checks = scenarioChecks(report);
  return { ...report, checks, ok: checks.every((c) => c.ok) };
}

test('the summary names totals, failures by kind, and per-instance times', () => {
  const graceful = formatSummary(sampleReport('graceful'), { json: 'out/report.json', timeline: 'out/timeline.svg' });
  assert.match(graceful, /Requests {2}sent 7,800 {2}2xx 7,800 {2}non-2xx 0 {2}socket errors 0/);
  assert.match(graceful, /Failed requests: 0/);
  assert.match(graceful, /i-0demo0000000001 +1\.1 s +1\.4 s +0\.5 s +1\.0 s +8\.0 s +4\.0 s +4\.0 s +2,600/);
  assert.match(graceful, /Timeline: out\/timeline\.svg/);
  assert.match(graceful, /Result: the deploy scenario's promise holds \(0 failed requests\)\./);
  assert.match(graceful, /^ok {3}zero failed requests: 0 failed of 7,800 sent$/m);

  const naive = formatSummary(sampleReport('naive'));
  assert.match(naive, /non-2xx by status: 502 × 300/);
  assert.match(naive, /\+0\.4 s dead/);
  assert.match(naive, /Result: FAILED \(zero failed requests: 300 failed of 7,800 sent\)/);
  assert.doesNotMatch(naive, /held up/, 'a demo process that kept up says nothing about itself');

  const starved = formatSummary({ ...sampleReport('naive'), host: { p99Ms: 900, maxMs: 4200, starved: true } });
  assert.match(starved, /Failed requests: 300\n {2}the demo process \(the local ELB and the load generator\) was held up to 4200 ms \(event loop delay, p99 900 ms\)/);
});

test('table aligns columns', () => {
  assert.deepEqual(table(['a', 'bb'], [['xyz', '1'], ['q', '22']]), ['a    bb', 'xyz   1', 'q    22']);
});

test('the timeline is one well-formed, self-contained SVG with a lane per instance and failures marked', () => {
  for (const mode of ['graceful', 'naive'] as const) {
    const svg = renderTimelineSvg(sampleReport(mode));
    assert.equal(XMLValidator.validate(svg), true, `${mode} SVG is well-formed XML`);
    assert.doesNotMatch(svg, /<script|href=|<image|@import|url\((?!#)/, 'nothing external');
    const doc = new XMLParser({ ignoreAttributes: false }).parse(svg) as { svg: { '@_width': string } };
    assert.equal(doc.svg['@_width'], '1100');
    for (const id of ['i-0demo0000000001', 'i-0demo0000000002', 'i-0demo0000000003']) assert.ok(svg.includes(`>${id}</text>`));
    assert.ok(svg.includes('Test CPU &lt;&amp;&gt;'), 'text is escaped');
    const failureBars = (svg.match(/<title>\d+ failed<\/title>/g) ?? []).length;
    assert.equal(failureBars, mode === 'graceful' ? 0 : 3);
    assert.equal(svg.includes('draining (no new requests)'), mode === 'graceful');
    assert.equal(svg.includes('stopped, balancer still routing'), mode === 'naive');
  }
});

export { sampleReport };
