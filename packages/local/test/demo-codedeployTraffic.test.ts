import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { allowTraffic, blockTraffic } from '../src/demo/codedeployTraffic.js';
import { startLocalElb, type LocalElb } from '../src/mock/localElb.js';
import { startBackend, type Backend } from './mock-helpers.js';

// CodeDeploy's built-in BlockTraffic/AllowTraffic (the --codedeploy-builtin baseline) against the local ELB through the
// real SDK: BlockTraffic waits the whole deregistration delay although the target is idle; AllowTraffic waits for healthy.

const FAST = { intervalSeconds: 0.2, timeoutSeconds: 0.5, healthyThreshold: 2, unhealthyThreshold: 2 };
const DELAY_SECONDS = 2;
let lb: LocalElb;
let backend: Backend;

before(async () => {
  backend = await startBackend('app');
  lb = await startLocalElb({
    config: {
      loadBalancers: [{ name: 'web-alb', listeners: [{ port: 8081, targetGroup: 'web-tg' }] }],
      targetGroups: [{ name: 'web-tg', healthCheck: { path: '/ping', ...FAST }, deregistrationDelaySeconds: DELAY_SECONDS }],
      classic: [{ name: 'web', healthCheck: { target: `HTTP:${backend.port}/ping`, ...FAST }, connectionDraining: { enabled: true, timeoutSeconds: 30 } }],
    },
    listenerPorts: 'ephemeral',
    logger: false,
    propagationDelayMs: 100,
    instances: { 'i-0b1000000000000001': backend.address },
  });
});

after(async () => {
  await lb.close();
  await backend.close();
});

const clientConfig = () => ({ endpoint: lb.endpoint, region: lb.env.AWS_REGION, credentials: { accessKeyId: lb.env.AWS_ACCESS_KEY_ID, secretAccessKey: lb.env.AWS_SECRET_ACCESS_KEY } });

test('target group: AllowTraffic returns once healthy; BlockTraffic waits out the whole delay of an idle target', async () => {
  const member = { kind: 'target-group', arn: lb.status().targetGroups[0]!.arn, instanceId: 'i-0b1000000000000001', port: backend.port } as const;
  const allowed = await allowTraffic(member, { pollMs: 100, clientConfig: clientConfig() });
  assert.match(allowed, /healthy after/);
  assert.equal(lb.status().targetGroups[0]!.targets[0]!.state, 'healthy');

  const started = Date.now();
  const blocked = await blockTraffic(member, { pollMs: 100, clientConfig: clientConfig() });
  const waitedMs = Date.now() - started;
  assert.ok(waitedMs >= DELAY_SECONDS * 1000, `waited ${waitedMs} ms: the whole ${DELAY_SECONDS} s delay, though nothing was in flight`);
  assert.match(blocked, /gone after .*unused/);
  assert.equal(lb.status().targetGroups[0]!.targets.length, 0);
});

test('Classic: BlockTraffic ends when connection draining ends (at once when idle), AllowTraffic at InService', async () => {
  const member = { kind: 'classic', name: 'web', instanceId: 'i-0b1000000000000001' } as const;
  assert.match(await allowTraffic(member, { pollMs: 100, clientConfig: clientConfig() }), /InService/);
  const started = Date.now();
  assert.match(await blockTraffic(member, { pollMs: 100, clientConfig: clientConfig() }), /not currently registered/);
  assert.ok(Date.now() - started < 30_000, 'an idle Classic instance does not wait the 30 s draining timeout');
});

test('a bound that passes throws a coded error naming what it waited for', async () => {
  const member = { kind: 'target-group', arn: lb.status().targetGroups[0]!.arn, instanceId: 'i-0b1000000000000002', port: 1 } as const;
  await assert.rejects(allowTraffic(member, { pollMs: 100, timeoutMs: 300, clientConfig: clientConfig() }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'ERR_GRACEFUL_ELB_TRAFFIC_WAIT');
    assert.match(err.message, /healthy/);
    return true;
  });
});
