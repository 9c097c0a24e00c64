// The local ELB's live page in a real browser: Debian's chromium, headless, driven by playwright-core (no bundled
// browser). The page must show an instance's state as the API reports it, moving InService → draining → gone when
// it is deregistered with a request in flight, updated by the event stream alone (no polling of the status).
// A screenshot of the page while the instance drains is kept in packages/local/test-artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DeregisterInstancesFromLoadBalancerCommand, DescribeInstanceHealthCommand, RegisterInstancesWithLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import { chromium, type Browser } from 'playwright-core';
import { startLocalElb } from '../src/mock/localElb.js';
import { localPackageRoot } from '../src/packageRoots.js';
import { clientsFor, startBackend } from './mock-helpers.js';
import { waitFor } from '../../../test/helpers/waitFor.js';

/** Debian's package; CHROMIUM_PATH points elsewhere. .ci/run installs it. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const INSTANCE = 'i-0a11ce00000000001';
const ARTIFACTS = join(localPackageRoot(), 'test-artifacts');

test('the live page follows an instance InService → draining → gone as the API does, over SSE only', { skip: existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (apt-get install chromium)` }, async (t) => {
  // A backend whose /hold requests stay open until released: the drain lasts exactly as long as the test wants.
  const held: Array<() => void> = [];
  const backend = await startBackend('live', (req, res) => {
    if (req.url === '/hold') held.push(() => res.writeHead(200).end('released'));
    else res.writeHead(200).end('ok');
  });
  t.after(() => backend.close());
  const lb = await startLocalElb({
    config: {
      classic: [
        {
          name: 'web',
          listeners: [{ protocol: 'HTTP', loadBalancerPort: 8080, instanceProtocol: 'HTTP', instancePort: 3000 }],
          healthCheck: { target: 'HTTP:3000/ping', intervalSeconds: 1, timeoutSeconds: 1, healthyThreshold: 2, unhealthyThreshold: 2 },
          connectionDraining: { enabled: true, timeoutSeconds: 60 },
        },
      ],
      loadBalancers: [],
      targetGroups: [],
    },
    listenerPorts: 'ephemeral',
    propagationDelayMs: 200,
    instances: { [INSTANCE]: backend.address },
    logger: false,
  });
  t.after(() => lb.close());
  const { classic } = clientsFor(lb);
  t.after(() => classic.destroy());
  const apiState = async (): Promise<string> => {
    const { InstanceStates } = await classic.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'web' }));
    const s = InstanceStates?.find((i) => i.InstanceId === INSTANCE);
    return s ? `${s.State}: ${s.Description}` : 'not registered';
  };

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const requested: string[] = [];
  page.on('request', (r) => requested.push(new URL(r.url()).pathname));
  await page.goto(lb.livePageUrl);
  await page.waitForSelector('#connection[data-connection="live"]', { timeout: 30_000 });

  // Registered through the API: the row appears, and turns InService once the API says so.
  await classic.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: INSTANCE }] }));
  const row = `tr[data-instance="${INSTANCE}"]`;
  await page.waitForSelector(`${row}[data-state="InService"]`, { timeout: 30_000 });
  assert.match(await apiState(), /^InService/);
  assert.equal(await page.textContent(`${row} [data-field="state"]`), 'InService');
  await page.waitForSelector('#calls tbody tr td:text-is("RegisterInstancesWithLoadBalancer")', { timeout: 10_000 });

  // A request in flight through the balancer, then DeregisterInstances: Classic connection draining.
  const listener = lb.listeners.find((l) => l.balancer === 'web');
  assert.ok(listener);
  const inFlight = fetch(`${listener.url}/hold`).then((r) => r.text());
  await waitFor('the held request to reach the backend', () => held.length === 1, 15_000);
  await classic.send(new DeregisterInstancesFromLoadBalancerCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: INSTANCE }] }));
  await page.waitForSelector(`${row}[data-state="draining"]`, { timeout: 15_000 });
  assert.equal(await apiState(), 'InService: Instance deregistration currently in progress.', 'the page says draining while the API does');
  assert.match((await page.textContent(`${row} [data-field="description"]`)) ?? '', /deregistration currently in progress/);
  await page.waitForSelector('#calls tbody tr td:text-is("DeregisterInstancesFromLoadBalancer")', { timeout: 10_000 });
  mkdirSync(ARTIFACTS, { recursive: true });
  const screenshot = join(ARTIFACTS, 'live-page.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  assert.ok(statSync(screenshot).size > 10_000, 'a real screenshot was written');

  // The last request ends: the drain is over, the API no longer lists the instance, and the row goes.
  held.shift()?.();
  assert.equal(await inFlight, 'released', 'the in-flight request finished during the drain');
  await page.waitForSelector(row, { state: 'detached', timeout: 15_000 });
  assert.equal(await apiState(), 'not registered');
  assert.ok(await page.isVisible('tr[data-key] >> nth=0').then((v) => !v), 'no instance rows are left');

  // Everything came over the one event stream: the page never asked for the status.
  assert.deepEqual([...new Set(requested)].sort(), ['/_local/', '/_local/events', '/_local/live.css', '/_local/live.js']);
});

test('the event stream: hello with the status and recent calls, then a call event per API call; the page is served with a strict CSP', async (t) => {
  const lb = await startLocalElb({ listenerPorts: 'ephemeral', logger: false });
  t.after(() => lb.close());
  const page = await fetch(lb.livePageUrl);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'/);
  assert.match(await page.text(), /<script src="live\.js" defer><\/script>/);
  const redirect = await fetch(`${lb.endpoint}/_local`, { redirect: 'manual' });
  assert.equal(redirect.status, 308);
  assert.equal(redirect.headers.get('location'), '/_local/');

  const controller = new AbortController();
  const res = await fetch(`${lb.endpoint}/_local/events`, { signal: controller.signal });
  assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  const readUntil = async (pattern: RegExp): Promise<RegExpExecArray> => {
    for (;;) {
      const match = pattern.exec(text);
      if (match) return match;
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before ${pattern}: ${text.slice(-500)}`);
      text += value;
    }
  };
  const hello = JSON.parse((await readUntil(/^event: hello\ndata: (.*)$/m))[1]!) as { status: { classic: Array<{ name: string }> }; calls: unknown[] };
  assert.deepEqual(hello.status.classic.map((b) => b.name), ['web']);
  const { classic } = clientsFor(lb);
  t.after(() => classic.destroy());
  await classic.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'web' }));
  const call = JSON.parse((await readUntil(/^event: call\ndata: (.*)$/m))[1]!) as { action: string; loadBalancer: string; status: number };
  assert.deepEqual([call.action, call.loadBalancer, call.status], ['DescribeInstanceHealth', 'web', 200]);
  await readUntil(/^event: tick\ndata: /m);
  controller.abort();
  // close() ends the feed too: nothing keeps the process alive (the test runner would hang otherwise).
});
