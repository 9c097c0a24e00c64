// The demo's engine end to end, as `npm start` runs it but shorter: the local ELB, three example apps under
// the supervisor, steady mixed load through the balancer, and a OneAtATime deployment running the appspec
// template's hooks. With the library: zero failed requests and every instance serving again afterwards.
// Naive (library off, plain stop/start): the same deployment must show failed requests, or the demo proves nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { XMLValidator } from 'fast-xml-parser';
import { resolveDemoOptions } from '../src/demo/demoOptions.js';
import { runDemo, type DemoRunResult } from '../src/demo/engine.js';
import { libraryRoot as libraryRootOf } from '../src/packageRoots.js';

const libraryRoot = libraryRootOf();

async function demo(t: { after: (fn: () => void) => void }, mode: 'graceful' | 'naive'): Promise<{ result: DemoRunResult; output: string }> {
  const outputDir = mkdtempSync(join(tmpdir(), `demo-engine-${mode}-`));
  t.after(() => rmSync(outputDir, { recursive: true, force: true }));
  const out = new PassThrough();
  let output = '';
  out.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // Modest load: the test shares two cores with the rest of the suite.
  const options = resolveDemoOptions({ instances: 3, rate: 120, duration: 5, drainSeconds: 10, strategy: 'OneAtATime', naive: mode === 'naive', outputDir });
  const result = await runDemo({ ...options, libraryRoot, out, tty: false, warmupSeconds: 2, tailSeconds: 2 });
  return { result, output };
}

test('graceful: a OneAtATime deployment of 3 instances under load with zero failed requests; every instance serves again', async (t) => {
  const { result, output } = await demo(t, 'graceful');
  const { report } = result;
  const why = `${result.summary}\n--- progress ---\n${output}`;
  assert.equal(report.deployment.status, 'Succeeded', why);
  assert.deepEqual(report.deployment.batches.map((b) => b.length), [1, 1, 1]);
  assert.ok(report.traffic.totals.ok > 500, why);
  assert.equal(report.failedRequests, 0, why);
  assert.equal(report.ok, true);
  for (const instance of report.instances) {
    assert.equal(instance.status, 'Succeeded', why);
    assert.deepEqual(instance.events.map((e) => e.event), ['ApplicationStop', 'ApplicationStart', 'ValidateService']);
    assert.ok(instance.moments.leftAt !== undefined && instance.moments.exitedAt !== undefined && instance.moments.leftAt < instance.moments.exitedAt, `${instance.instanceId} left the balancer before its process exited\n${why}`);
    assert.ok(instance.servedAfterRejoin > 0, `${instance.instanceId} served traffic again after the deployment\n${why}`);
    assert.ok((instance.durations.cycleMs ?? Infinity) < 60_000);
  }
  // What the user is pointed at exists and is usable.
  assert.ok(existsSync(result.files.json) && existsSync(result.files.timeline));
  assert.equal(JSON.parse(readFileSync(result.files.json, 'utf8')).failedRequests, 0);
  assert.equal(XMLValidator.validate(readFileSync(result.files.timeline, 'utf8')), true);
  assert.match(result.summary, /Failed requests: 0/);
  assert.match(output, /i-0de00000000000001 ApplicationStop started/);
});

test('naive: the same deployment with a plain stop/start and the library off records failed requests', async (t) => {
  const { result } = await demo(t, 'naive');
  const { report } = result;
  assert.ok(report.failedRequests > 0, `expected failures without the library\n${result.summary}`);
  assert.equal(report.ok, false);
  assert.match(result.summary, /Result: FAILED/);
});
