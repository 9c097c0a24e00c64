// The hook scripts of appspec.template.yml run as CodeDeploy runs them (its variables set, from another
// directory, the exit code deciding), against the local ELB with the real library in the sample app:
// a first deployment, then a OneAtATime rolling deployment of a new revision under load, without a
// single failed request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { startLocalElb, type LocalElb } from '@graceful-elb/local';
import { readLines, readState, repoRoot, runCommand, tempStateDir, type CliResult } from './helpers/supervisorHarness.js';
import { autocannon, type AutocannonInstance, type AutocannonResult } from './helpers/autocannon.js';
import { waitFor } from './helpers/waitFor.js';

const hooks = (parse(readFileSync(join(repoRoot, 'appspec.template.yml'), 'utf8')) as { hooks: Record<string, Array<{ location: string }>> }).hooks;
const DRAIN_SECONDS = '10';

interface Instance {
  id: string;
  stateDir: string;
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

/** Runs the script CodeDeploy would run for `event`, as it would: its variables set, from elsewhere. */
function runHook(lb: LocalElb, instance: Instance, event: string, deploymentId: string, appScript: string): Promise<CliResult> {
  const location = hooks[event]?.[0]?.location;
  assert.ok(location, `appspec.template.yml has no ${event} hook`);
  return runCommand(join(repoRoot, location), [], {
    cwd: tmpdir(),
    timeoutMs: 90_000,
    env: {
      ...lb.env,
      LIFECYCLE_EVENT: event,
      DEPLOYMENT_ID: deploymentId,
      APPLICATION_NAME: 'graceful-elb-e2e',
      DEPLOYMENT_GROUP_NAME: 'web-fleet',
      GRACEFUL_ELB_STATE_DIR: instance.stateDir,
      GRACEFUL_ELB_APP_SCRIPT: appScript,
      GRACEFUL_ELB_NAME: 'web',
      GRACEFUL_ELB_INSTANCE_ID: instance.id,
      GRACEFUL_ELB_DRAIN_SECONDS: DRAIN_SECONDS,
      // Port 0: each app binds an ephemeral port itself (no port is found first and bound later, which another
      // process could take in between); the balancer learns it from the app's log (startApp).
      PORT: '0',
    },
  });
}

/** ApplicationStart, then points the balancer at the port the new app process printed it listens on. */
async function startApp(lb: LocalElb, instance: Instance, deploymentId: string, appScript: string): Promise<void> {
  expectHook(await runHook(lb, instance, 'ApplicationStart', deploymentId, appScript), `ApplicationStart on ${instance.id}`);
  // The supervisor starts a fresh app.out.log for each app it starts (the previous one is kept as .1).
  const port = await waitFor(`${instance.id} to print its port`, () => {
    const line = readLines(join(instance.stateDir, 'app', 'app.out.log')).find((l) => l.startsWith('app listening on port '));
    return line === undefined ? undefined : Number(line.slice('app listening on port '.length));
  });
  lb.setInstanceAddress(instance.id, `127.0.0.1:${port}`);
}

async function startBalancer(t: { after(fn: () => Promise<void>): void }): Promise<{ lb: LocalElb; url: string }> {
  const lb = await startLocalElb({
    listenerPorts: 'ephemeral',
    logger: false,
    instances: {},
    config: {
      classic: [
        {
          name: 'web',
          listeners: [{ loadBalancerPort: 8080, instancePort: 3000 }],
          healthCheck: { target: 'HTTP:3000/ping', intervalSeconds: 1, timeoutSeconds: 1, healthyThreshold: 2, unhealthyThreshold: 2 },
          connectionDraining: { enabled: true, timeoutSeconds: Number(DRAIN_SECONDS) },
        },
      ],
    },
  });
  t.after(() => lb.close());
  const listener = lb.listeners.find((l) => l.balancer === 'web');
  assert.ok(listener);
  return { lb, url: listener.url };
}

function expectHook(result: CliResult, what: string): void {
  assert.equal(result.code, 0, `${what} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
}

test('CodeDeploy hooks end to end: first deployment, then a rolling new revision under load with zero failed requests', async (t) => {
  const app = 'examples/codedeploy/app.mjs';
  const instances: Instance[] = [];
  for (const id of ['i-0000000000000000a', 'i-0000000000000000b']) {
    instances.push({ id, stateDir: tempStateDir(t) });
  }
  const { lb, url } = await startBalancer(t);

  // First deployment: CodeDeploy skips ApplicationStop on a new instance.
  for (const instance of instances) {
    await startApp(lb, instance, 'd-E2E000001', app);
    const validated = await runHook(lb, instance, 'ValidateService', 'd-E2E000001', app);
    expectHook(validated, `ValidateService on ${instance.id}`);
    assert.match(validated.stdout, /is in-service after [\d.]+ s \(ValidateService, deployment d-E2E000001\)/);
  }
  const before = await get(url);
  assert.equal(before.status, 200);
  assert.match(before.body, /^revision d-E2E000001, pid \d+/);

  let load: AutocannonInstance | undefined;
  const loaded = new Promise<AutocannonResult>((resolve, reject) => {
    load = autocannon({ url, connections: 4, overallRate: 80, duration: 120 }, (error, result) => (error ? reject(error) : resolve(result)));
  });
  t.after(() => load?.stop());

  // The new revision, OneAtATime: the other instance serves while one leaves, restarts and rejoins.
  const cycleMs: number[] = [];
  for (const instance of instances) {
    const startedAt = Date.now();
    const oldPid = readState(instance.stateDir)?.app.process?.pid;
    const stopped = await runHook(lb, instance, 'ApplicationStop', 'd-E2E000002', app);
    expectHook(stopped, `ApplicationStop on ${instance.id}`);
    assert.match(stopped.stdout, new RegExp(`app pid ${oldPid} exited with code 0 .* after SIGTERM \\(ApplicationStop, deployment d-E2E000002\\)`));
    await startApp(lb, instance, 'd-E2E000002', app);
    expectHook(await runHook(lb, instance, 'ValidateService', 'd-E2E000002', app), `ValidateService on ${instance.id}`);
    cycleMs.push(Date.now() - startedAt);
    const state = readState(instance.stateDir);
    assert.equal(state?.lifecycle?.state, 'in-service');
    assert.equal(state?.codedeploy?.deploymentId, 'd-E2E000002');
  }
  // Each rejoined instance gets its share of the load again (counters restart with each registration).
  for (const instance of instances) {
    await waitFor(`traffic to ${instance.id} after its restart`, () => (lb.status().instances[instance.id]?.routed ?? 0) > 0);
  }
  load?.stop();
  const result = await loaded;
  t.diagnostic(`requests ${result.requests.total}, 2xx ${result['2xx']}, cycles ${cycleMs.map((ms) => `${ms} ms`).join(', ')}`);

  assert.ok(result.requests.total > 100, `only ${result.requests.total} requests were sent`);
  assert.deepEqual({ errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx }, { errors: 0, timeouts: 0, non2xx: 0 });

  // Both instances run the new revision, and the balancer has both in service.
  const after = await Promise.all([get(url), get(url), get(url), get(url)]);
  for (const response of after) assert.match(response.body, /^revision d-E2E000002, pid \d+/);
  const web = lb.status().classic.find((b) => b.name === 'web');
  assert.deepEqual(web?.instances.map((i) => i.state).sort(), ['InService', 'InService']);

  for (const instance of instances) expectHook(await runHook(lb, instance, 'ApplicationStop', 'd-E2E000003', app), 'final stop');
});

test('ValidateService fails, with the library’s reason, for an app whose health route fails', async (t) => {
  const instance: Instance = { id: 'i-0000000000000000c', stateDir: tempStateDir(t) };
  const { lb } = await startBalancer(t);
  const app = 'test/fixtures/failing-health-app.mjs';
  expectHook(await runHook(lb, instance, 'ApplicationStart', 'd-E2EFAIL01', app), 'ApplicationStart');
  const validated = await runHook(lb, instance, 'ValidateService', 'd-E2EFAIL01', app);
  assert.equal(validated.code, 1, validated.stdout);
  assert.match(validated.stderr, /ERR_GRACEFUL_ELB_VALIDATE_FAILED\]: The app reported 'failed': ERR_GRACEFUL_ELB_\w+: .*\/ping/);
  // Never registered: the balancer never sent it traffic.
  const web = lb.status().classic.find((b) => b.name === 'web');
  assert.equal(web?.instances.length, 0);
  expectHook(await runHook(lb, instance, 'ApplicationStop', 'd-E2EFAIL02', app), 'ApplicationStop');
});
