// Each demo scenario end to end with short settings, as `graceful-elb-local demo --scenario NAME` runs it: the
// local ELB, example apps under the supervisor, real load through the balancer, real hook scripts. Each test
// asserts the scenario's own promise (the checks the demo's exit code rests on) and what the report must show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { resolveDemoOptions, type DemoFlags } from '../src/demo/demoOptions.js';
import { runDemo, type DemoRunResult } from '../src/demo/engine.js';
import { libraryRoot as libraryRootOf } from '../src/packageRoots.js';

const libraryRoot = libraryRootOf();

async function scenario(t: { after: (fn: () => void) => void }, flags: DemoFlags): Promise<{ result: DemoRunResult; why: string }> {
  const outputDir = mkdtempSync(join(tmpdir(), 'demo-scenario-'));
  t.after(() => rmSync(outputDir, { recursive: true, force: true }));
  const out = new PassThrough();
  let output = '';
  out.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // Modest load: the test shares two cores with the rest of the suite.
  const options = resolveDemoOptions({ instances: 3, rate: 100, duration: 5, drainSeconds: 10, outputDir, ...flags });
  const result = await runDemo({ ...options, libraryRoot, out, tty: false, warmupSeconds: 2, tailSeconds: 2, badRevisionProbeSeconds: 4, crashBootSeconds: 3 });
  return { result, why: `${result.summary}\n--- progress ---\n${output}` };
}

test('deploy with --min-healthy 1 of 3: a rolling window two at a time, zero failed requests, and the capacity it cost', async (t) => {
  const { result, why } = await scenario(t, { minHealthy: '1' });
  const { report } = result;
  assert.equal(report.settings.strategy, 'min-healthy=1', why);
  assert.equal(report.deployment.status, 'Succeeded', why);
  assert.equal(report.failedRequests, 0, why);
  assert.equal(report.capacity.peakOutOfService, 2, why);
  assert.ok(report.capacity.fewestRouted >= 1, why);
  assert.ok(report.capacity.peakPerInstance > report.capacity.steadyPerInstance, `the one remaining instance took more than its steady share\n${why}`);
  assert.match(result.summary, /^Capacity: at most 2 of 3 instance\(s\) out at once/m);
  assert.equal(report.ok, true, why);
});

test('failed-revision: ValidateService fails with the library\'s reason, the deployment stops, rollback restores the host, nothing fails', async (t) => {
  const { result, why } = await scenario(t, { scenario: 'failed-revision' });
  const { report } = result;
  assert.equal(report.scenario, 'failed-revision');
  assert.equal(report.deployment.status, 'Failed', why);
  const [first, ...others] = report.instances;
  assert.equal(first?.status, 'Failed', why);
  assert.match(first?.error ?? '', /ValidateService failed: error \[ERR_GRACEFUL_ELB_VALIDATE_FAILED\]: The app reported 'failed': ERR_GRACEFUL_ELB_HEALTH_NEVER_PASSED/, why);
  assert.deepEqual(others.map((i) => i.status), ['Skipped', 'Skipped'], why);
  assert.equal(report.rollback?.status, 'Succeeded', why);
  assert.deepEqual(report.rollback?.instances, [first?.instanceId]);
  assert.equal(first?.rollback?.status, 'Succeeded', why);
  assert.ok((first?.servedAfterRejoin ?? 0) > 0, `the rolled-back instance serves again\n${why}`);
  assert.equal(first?.badRevision?.served, 0, why);
  assert.equal(first?.badRevision?.routed, false, why);
  assert.ok((first?.badRevision?.to ?? 0) - (first?.badRevision?.from ?? 0) >= 4000, 'the bad process ran at least as long as its health probe tried');
  assert.equal(report.failedRequests, 0, why);
  assert.ok(report.checks.length === 5 && report.checks.every((c) => c.ok), why);
  assert.equal(report.ok, true);
  const svg = readFileSync(result.files.timeline, 'utf8');
  assert.match(svg, /bad revision running: never routed to, served 0/);
  assert.ok(existsSync(result.files.json));
});

test('crash: an uncaught exception under load costs at most what was in flight; the balancer never routes to the dead process', async (t) => {
  const { result, why } = await scenario(t, { scenario: 'crash' });
  const { report } = result;
  const c = report.incident;
  assert.ok(c?.kind === 'crash', why);
  assert.equal(c.exitCode, 70, `the library's crash exit code\n${why}`);
  assert.ok(c.leftAt !== undefined && c.exitedAt !== undefined && c.leftAt <= c.exitedAt, `out of the balancer before the process exited\n${why}`);
  assert.equal(c.blackHoleMs, 0, why);
  assert.ok(c.restartedAt !== undefined && c.backAt !== undefined && c.backAt > c.restartedAt, why);
  assert.ok((c.backAt ?? 0) - (c.restartedAt ?? 0) >= 3000, `back only after its slow boot (3 s)\n${why}`);
  assert.ok(report.failedRequests <= c.inFlightAtCrash, why);
  assert.deepEqual(report.instances.slice(1).map((i) => i.status), ['Untouched', 'Untouched']);
  assert.equal(report.ok, true, why);
  assert.match(result.summary, /^Crash of i-0de00000000000001 at .* black hole \(routed to while dead\): 0\.0 s$/m);
});

test('crash --naive: without the library the balancer keeps routing to the dead process (the black hole) and requests fail', async (t) => {
  const { result, why } = await scenario(t, { scenario: 'crash', naive: true });
  const { report } = result;
  const c = report.incident;
  assert.ok(c?.kind === 'crash', why);
  assert.notEqual(c.exitCode, 70, why);
  assert.ok(c.blackHoleMs > 0, `the balancer routed to the instance after its process died\n${why}`);
  assert.ok(report.failedRequests > c.inFlightAtCrash, `more failed than the crash had in flight\n${why}`);
  assert.equal(report.ok, false);
  assert.match(result.summary, /^FAIL no black hole/m);
  assert.match(readFileSync(result.files.timeline, 'utf8'), /stopped, balancer still routing/);
});

test('scale-in: Auto Scaling takes an instance with a termination hook; it leaves, drains, completes the action and exits 10; nothing fails', async (t) => {
  const { result, why } = await scenario(t, { scenario: 'scale-in' });
  const { report } = result;
  const l = report.incident;
  assert.ok(l?.kind === 'scale-in', why);
  assert.equal(l.exitCode, 10, why);
  assert.ok(l.leftAt !== undefined && l.exitedAt !== undefined && l.leftAt <= l.exitedAt, why);
  assert.ok(l.drainMs !== undefined, why);
  assert.equal(l.lifecycle?.cause, 'CompleteLifecycleAction CONTINUE', why);
  assert.ok((l.lifecycle?.proceededAt ?? Infinity) - (l.lifecycle?.waitStartedAt ?? 0) < (l.lifecycle?.heartbeatTimeoutSeconds ?? 0) * 1000, why);
  assert.equal(report.failedRequests, 0, why);
  assert.equal(report.ok, true, why);
  assert.match(result.summary, /^Lifecycle hook drain-before-terminate: Terminating:Wait at .* \(CompleteLifecycleAction CONTINUE; .* of the hook's 300 s timeout/m);
  // The instance is gone for good: the remaining two took the load to the end.
  const [gone, ...rest] = report.instances;
  assert.equal(gone?.moments.inServiceAt, undefined, why);
  assert.ok(rest.every((i) => i.status === 'Untouched' && i.servedAfterRejoin === 0), why);
});

test('spot: an interruption notice; the instance is out of the balancer at once and gone well before the two minutes, nothing fails', async (t) => {
  const { result, why } = await scenario(t, { scenario: 'spot' });
  const { report } = result;
  const l = report.incident;
  assert.ok(l?.kind === 'spot', why);
  assert.equal(l.exitCode, 11, why);
  assert.ok(l.noticeToOutMs !== undefined && l.noticeToOutMs < 30_000, `out of the balancer soon after the notice\n${why}`);
  assert.ok(l.terminationTime !== undefined && l.exitedAt !== undefined && l.exitedAt < l.terminationTime, why);
  assert.equal(report.failedRequests, 0, why);
  assert.equal(report.ok, true, why);
  assert.match(result.summary, /^Spot interruption notice of i-0de00000000000001 at .* out of the balancer .* later/m);
});
