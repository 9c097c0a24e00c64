import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { DeregisterTargetsCommand, type ElasticLoadBalancingV2Client, DescribeTargetHealthCommand, ModifyTargetGroupAttributesCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { LocalElbConfig } from '../src/mock/config.js';
import { startLocalElb, type LocalElb } from '../src/mock/localElb.js';
import { freePort } from '../src/freePort.js';
import { libraryRoot } from '../src/packageRoots.js';
import { clientsFor, startBackend } from './mock-helpers.js';
import { waitFor } from '../../../test/helpers/waitFor.js';

// The NLB data plane: TCP passed through (never parsed), each connection a flow pinned to one target, deregistration
// as AWS does it (new flows elsewhere, existing ones carry on; reset at the delay's end only with connection
// termination), TCP and HTTP health checks, resets the client can see. Then the reason it matters: a kept-alive client
// pinned to a target that is being replaced, with the real library and a real SIGTERM, and with a naive restart.

const FAST = { intervalSeconds: 0.2, timeoutSeconds: 0.5, healthyThreshold: 2, unhealthyThreshold: 2 };
const cleanups: Array<() => Promise<unknown> | void> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function nlbConfig(options: { delaySeconds: number; healthCheck: 'TCP' | 'HTTP'; termination?: boolean }): LocalElbConfig {
  return {
    loadBalancers: [{ name: 'web-nlb', type: 'network', listeners: [{ port: 9000, protocol: 'TCP', targetGroup: 'web-nlb-tg' }] }],
    targetGroups: [
      {
        name: 'web-nlb-tg',
        protocol: 'TCP',
        port: 3000,
        healthCheck: { protocol: options.healthCheck, ...(options.healthCheck === 'HTTP' && { path: '/ping' }), ...FAST },
        deregistrationDelaySeconds: options.delaySeconds,
        ...(options.termination !== undefined && { connectionTermination: options.termination }),
      },
    ],
  };
}

async function startNlb(config: LocalElbConfig, instances: Record<string, string>, propagationDelayMs = 100): Promise<{ lb: LocalElb; url: URL; arn: string }> {
  const lb = await startLocalElb({ config, listenerPorts: 'ephemeral', logger: false, propagationDelayMs, instances });
  cleanups.push(() => lb.close());
  const listener = lb.listeners.find((l) => l.balancer === 'web-nlb');
  assert.ok(listener, 'the NLB listener is served');
  const arn = lb.status().targetGroups.find((g) => g.name === 'web-nlb-tg')!.arn;
  return { lb, url: new URL(listener.url), arn };
}

function targetState(lb: LocalElb, id: string): string | undefined {
  return lb.status().targetGroups[0]?.targets.find((t) => t.instanceId === id)?.state;
}

interface Answer {
  status: number;
  body: string;
  headers: IncomingHttpHeaders;
  reusedSocket: boolean;
}

/** One GET through `agent`; rejects with the socket error (ECONNRESET when the flow was reset). */
function get(url: URL, path: string, agent: Agent | false, onSent?: () => void): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers, reusedSocket: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('finish', () => onSent?.());
    req.end();
  });
}

test('TCP passes through unparsed: a non-HTTP protocol works, and each flow stays on its target', async () => {
  const echoes: Server[] = [];
  const instances: Record<string, string> = {};
  for (const name of ['a', 'b']) {
    const echo = createServer((socket) => socket.on('data', (chunk) => socket.write(`${name}:${chunk.toString()}`)));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    echoes.push(echo);
    instances[`i-0nlb00000000000${name === 'a' ? 'a' : 'b'}`] = `127.0.0.1:${(echo.address() as AddressInfo).port}`;
  }
  cleanups.push(() => Promise.all(echoes.map((e) => new Promise<void>((resolve) => e.close(() => resolve())))));
  const config = nlbConfig({ delaySeconds: 5, healthCheck: 'TCP' });
  config.targetGroups![0]!.targets = Object.keys(instances).map((id) => ({ id }));
  const { lb, url } = await startNlb(config, instances);
  await waitFor('both targets healthy by TCP checks', () => Object.keys(instances).every((id) => targetState(lb, id) === 'healthy'));

  // Not HTTP at all: the listener forwards bytes as they are, both ways, on one flow.
  const socket = connect({ host: url.hostname, port: Number(url.port) });
  cleanups.push(() => void socket.destroy());
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  socket.write('HELO\r\n');
  await waitFor('the first echo', () => received.includes('HELO'));
  const pinned = received.slice(0, 1);
  for (let i = 0; i < 5; i++) {
    socket.write(`line ${i};`);
    await waitFor(`echo ${i}`, () => received.includes(`line ${i};`));
  }
  const answers = received.match(/[ab]:/g) ?? [];
  assert.ok(answers.length >= 2 && answers.every((a) => a === `${pinned}:`), `every chunk of one flow is answered by the same target (${received})`);
  assert.ok(lb.status().loadBalancers[0]!.listeners[0]!.flows >= 1);
});

/** Backends `a` and `b` registered through the API (after `prepare`) in a TCP group with HTTP checks and a 1 s delay; resolves once both are healthy. */
async function twoBackends(ids: [string, string], prepare?: (v2: ElasticLoadBalancingV2Client, arn: string) => Promise<void>) {
  const a = await startBackend('a');
  const b = await startBackend('b');
  cleanups.push(() => a.close(), () => b.close());
  const instances = { [ids[0]]: a.address, [ids[1]]: b.address };
  const { lb, url, arn } = await startNlb(nlbConfig({ delaySeconds: 1, healthCheck: 'HTTP' }), instances);
  const { v2 } = clientsFor(lb);
  cleanups.push(() => v2.destroy());
  await prepare?.(v2, arn);
  await v2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: ids.map((Id) => ({ Id })) }));
  await waitFor('both healthy by HTTP checks', () => ids.every((id) => targetState(lb, id) === 'healthy'));
  return { lb, url, arn, v2, a, b };
}

test('deregistration: new flows go elsewhere, the pinned flow carries on past the delay without connection termination', async () => {
  const { lb, url, arn, v2 } = await twoBackends(['i-0nlb0000000000001', 'i-0nlb0000000000002']);

  const { agent, on } = await pinnedAgent(url, 'a');
  await v2.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-0nlb0000000000001' }] }));
  const health = await v2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-0nlb0000000000001' }] }));
  assert.equal(health.TargetHealthDescriptions?.[0]?.TargetHealth?.State, 'draining');

  await waitFor('new flows no longer reach a', () => lb.status().targetGroups[0]!.targets.find((t) => t.instanceId === 'i-0nlb0000000000001')?.routing === false);
  for (let i = 0; i < 4; i++) assert.equal((await get(url, '/', false)).body, 'b', 'a fresh connection goes to b');
  assert.equal(on, 'a');
  await waitFor('the delay is over (a is gone from the group)', () => targetState(lb, 'i-0nlb0000000000001') === undefined);
  const late = await get(url, '/', agent);
  assert.equal(late.body, 'a', 'the pinned flow still reaches a after the delay: NLB does not cut it by default');
  assert.equal(late.reusedSocket, true);
  agent.destroy();
});

test('with connection termination the pinned flow is reset when the delay ends; a dead or refusing target is a reset too', async () => {
  const { lb, url, arn, v2, a } = await twoBackends(['i-0nlb0000000000003', 'i-0nlb0000000000004'], async (v2, arn) => {
    const attrs = await v2.send(
      new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: [{ Key: 'deregistration_delay.connection_termination.enabled', Value: 'true' }] }),
    );
    assert.ok(attrs.Attributes?.some((x) => x.Key === 'deregistration_delay.connection_termination.enabled' && x.Value === 'true'));
  });

  // A flow with a request in flight when the delay ends is reset: the client sees ECONNRESET, not an HTTP error.
  const { agent } = await pinnedAgent(url, 'a');
  let release: (() => void) | undefined;
  a.server.removeAllListeners('request');
  a.server.on('request', (req, res) => {
    if (req.url === '/ping') return void res.writeHead(200).end('pong');
    release = () => res.writeHead(200).end('a');
  });
  const slow = get(url, '/slow', agent);
  await waitFor('the slow request reached a', () => release !== undefined);
  await v2.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-0nlb0000000000003' }] }));
  await assert.rejects(slow, (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET', 'reset at the end of the delay');
  agent.destroy();

  // A target that resets its own connection: the client's flow is reset.
  const resetter = createServer((socket: Socket) => socket.once('data', () => socket.resetAndDestroy()));
  await new Promise<void>((resolve) => resetter.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => resetter.close(() => resolve())));
  lb.setInstanceAddress('i-0nlb0000000000004', `127.0.0.1:${(resetter.address() as AddressInfo).port}`);
  await assert.rejects(get(url, '/', false), (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET', 'a target reset reaches the client as a reset');

  // A target nothing listens on any more (its process died, health checks have not noticed yet): reset, not a 502.
  lb.setInstanceAddress('i-0nlb0000000000004', `127.0.0.1:${await freePort()}`);
  await assert.rejects(get(url, '/', false), (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET');
  assert.ok(lb.status().loadBalancers[0]!.listeners[0]!.resets >= 3);
});

// ---- the real library, a real SIGTERM

interface App {
  id: string;
  port: number;
  child: ChildProcess;
  exited: Promise<number | null>;
}

async function startApp(lb: LocalElb, arn: string, id: string, library: boolean): Promise<App> {
  const port = await freePort();
  lb.setInstanceAddress(id, `127.0.0.1:${port}`);
  const root = libraryRoot();
  const child = spawn(process.execPath, [join(root, 'examples', 'app.mjs')], {
    env: {
      PATH: process.env.PATH,
      ...lb.env,
      AWS_EC2_METADATA_DISABLED: 'true',
      HOST: '127.0.0.1',
      PORT: String(port),
      GRACEFUL_ELB_INSTANCE_ID: id,
      GRACEFUL_ELB_TARGET_GROUP_ARNS: arn,
      GRACEFUL_ELB_DRAIN_SECONDS: '20',
      ...(library ? {} : { GRACEFUL_ELB_DISABLE: '1' }),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { id, port, child, exited };
}

/** A keep-alive agent (one socket) whose connection the NLB pinned to the backend named `name`. */
async function pinnedAgent(url: URL, name: string): Promise<{ agent: Agent; on: string }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await get(url, '/', agent);
    const servedBy = first.headers['x-instance-id'] ?? first.body.trim();
    if (String(servedBy).endsWith(name) || first.body.trim() === name) return { agent, on: name };
    agent.destroy();
  }
  throw new Error(`no connection landed on ${name} in 20 tries`);
}

async function nlbWithApps(library: boolean): Promise<{ lb: LocalElb; url: URL; apps: App[] }> {
  const { lb, url, arn } = await startNlb(nlbConfig({ delaySeconds: 30, healthCheck: 'HTTP' }), {}, 200);
  const apps = [await startApp(lb, arn, 'i-0nlb00000000000a1', library), await startApp(lb, arn, 'i-0nlb00000000000b2', library)];
  if (!library) {
    // Without the library nobody registers the apps: an operator did, once.
    await waitFor('both apps listen', async () => (await Promise.all(apps.map((app) => get(new URL(`http://127.0.0.1:${app.port}`), '/ping', false).then((r) => r.status === 200, () => false)))).every(Boolean), 30_000);
    const { v2 } = clientsFor(lb);
    await v2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: apps.map((app) => ({ Id: app.id, Port: app.port })) }));
    v2.destroy();
  }
  await waitFor('both apps healthy behind the NLB', () => apps.every((app) => targetState(lb, app.id) === 'healthy'), 60_000);
  return { lb, url, apps };
}

/** Two apps behind the NLB, a kept-alive client pinned to the first, a `/work?ms=workMs` request sent on that flow, then SIGTERM to the first app. */
async function signalWhilePinned(library: boolean, workMs: number): Promise<{ lb: LocalElb; url: URL; apps: [App, App]; agent: Agent; inFlight: Promise<Answer> }> {
  const { lb, url, apps } = await nlbWithApps(library);
  const { agent } = await pinnedAgent(url, apps[0]!.id);
  let sent!: () => void;
  const requestSent = new Promise<void>((resolve) => (sent = resolve));
  const inFlight = get(url, `/work?ms=${workMs}`, agent, sent);
  inFlight.catch(() => undefined); // asserted by the caller
  await requestSent;
  assert.ok(apps[0]!.child.kill('SIGTERM'));
  return { lb, url, apps: apps as [App, App], agent, inFlight };
}

test('graceful: a kept-alive client pinned to the draining target is moved off it by the library’s Connection: close', async () => {
  const { lb, url, apps, agent, inFlight } = await signalWhilePinned(true, 800);
  const [a, b] = apps;
  const first = await inFlight;
  assert.equal(first.status, 200, 'the request in flight at the signal is answered');
  assert.equal(first.headers['x-instance-id'], a.id);
  assert.equal(first.headers.connection, 'close', 'and told to close its connection');

  // The same client keeps going: every answer is a 200, and its connection moves to the other target.
  const seen: Answer[] = [first];
  await waitFor(
    'the client is served by the other target',
    async () => {
      const answer = await get(url, '/work?ms=20', agent);
      seen.push(answer);
      assert.equal(answer.status, 200);
      return answer.headers['x-instance-id'] === b.id;
    },
    30_000,
    100,
  );
  for (const answer of seen.filter((x) => x.headers['x-instance-id'] === a.id)) assert.equal(answer.headers.connection, 'close', 'every answer a gave after the signal closed its flow');
  assert.equal(targetState(lb, a.id), 'draining', 'the NLB still says draining (delay 30 s)…');
  assert.equal(await a.exited, 0, '…while the library had already drained and exited 0');
  agent.destroy();
});

test('naive: the same pinned client is cut (reset) when the app restarts without the library', async () => {
  const { agent, inFlight } = await signalWhilePinned(false, 3000);
  await assert.rejects(inFlight, (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET', 'the in-flight request on the pinned flow is cut');
  agent.destroy();
});

