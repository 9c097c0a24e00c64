import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstanceHealthCommand, DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing';
import { DescribeTargetGroupsCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LocalElbConfigError } from '../src/mock/errors.js';
import { resolveLocalElbConfig } from '../src/mock/config.js';
import { LOCAL_ELB_DEFAULTS } from '../src/mock/defaults.js';
import { startLocalElb } from '../src/mock/localElb.js';
import { clientsFor, startBackend, type Backend } from './mock-helpers.js';
import { waitFor } from '../../../test/helpers/waitFor.js';

// The configuration file (YAML or JSON), its validation (errors name the field path and the value), and the
// embedded default.

let dir: string;
let backend: Backend;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'local-elb-config-'));
  backend = await startBackend('app');
});

after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await backend.close();
});

test('a YAML file declares balancers, target groups, instances and addresses; registered instances go in service', async () => {
  const file = join(dir, 'local-elb.yml');
  writeFileSync(
    file,
    `# two balancers in front of one local app
region: eu-central-1
propagationDelayMs: 250
instances:
  i-0app0000000000001: ${backend.address}
classic:
  - name: shop
    listeners:
      - { loadBalancerPort: 9000, instancePort: 3000 }
    healthCheck: { target: HTTP:3000/ping, intervalSeconds: 0.2, timeoutSeconds: 0.5, healthyThreshold: 2, unhealthyThreshold: 2 }
    connectionDraining: { enabled: true, timeoutSeconds: 20 }
    instances: [i-0app0000000000001]
loadBalancers:
  - name: shop-alb
    listeners: [{ port: 9001, targetGroup: shop-tg }]
targetGroups:
  - name: shop-tg
    port: ${backend.port}
    healthCheck: { path: /ping, intervalSeconds: 0.2, timeoutSeconds: 0.5 }
    deregistrationDelaySeconds: 5
    targets: [{ id: i-0app0000000000002 }]
`,
  );
  const lb = await startLocalElb({ config: file, listenerPorts: 'ephemeral', logger: false });
  try {
    assert.equal(lb.env.AWS_REGION, 'eu-central-1');
    assert.deepEqual(lb.listeners.map((l) => [l.balancer, l.type, l.declaredPort]), [['shop', 'classic', 9000], ['shop-alb', 'application', 9001]]);
    const { classic, v2 } = clientsFor(lb);
    const [shop] = (await classic.send(new DescribeLoadBalancersCommand({}))).LoadBalancerDescriptions ?? [];
    assert.equal(shop?.LoadBalancerName, 'shop');
    assert.deepEqual(shop?.Instances, [{ InstanceId: 'i-0app0000000000001' }]);
    await waitFor('configured instance InService', async () => {
      const r = await classic.send(new DescribeInstanceHealthCommand({ LoadBalancerName: 'shop' }));
      return r.InstanceStates?.[0]?.State === 'InService';
    });
    const [tg] = (await v2.send(new DescribeTargetGroupsCommand({ Names: ['shop-tg'] }))).TargetGroups ?? [];
    assert.match(tg?.TargetGroupArn ?? '', /^arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup\/shop-tg\//);
    // The target without an address goes to 127.0.0.1 at the group's port, where the backend listens.
    await waitFor('configured target healthy', async () => {
      const r = await v2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg?.TargetGroupArn }));
      return r.TargetHealthDescriptions?.[0]?.TargetHealth?.State === 'healthy';
    });
    const res = await fetch(lb.listeners[0]!.url);
    assert.equal(await res.text(), 'app');
    assert.equal(lb.status().propagationDelayMs, 250);
    classic.destroy();
    v2.destroy();
  } finally {
    await lb.close();
  }
});

test('a JSON file works too (YAML is a superset of JSON)', async () => {
  const file = join(dir, 'local-elb.json');
  writeFileSync(file, JSON.stringify({ classic: [{ name: 'json-lb', listeners: [{ loadBalancerPort: 9100 }] }] }));
  const lb = await startLocalElb({ config: file, listenerPorts: 'ephemeral', logger: false });
  try {
    assert.deepEqual(lb.status().classic.map((c) => c.name), ['json-lb']);
    assert.equal(lb.status().classic[0]?.healthCheck.target, `HTTP:${LOCAL_ELB_DEFAULTS.local.instancePort}/ping`);
  } finally {
    await lb.close();
  }
});

test('the embedded default: Classic web (8080 → 3000, HTTP:3000/ping every 1 s, thresholds 2, draining 300 s) and web-alb (8081) → web-tg', async () => {
  assert.deepEqual(resolveLocalElbConfig({}).classic, [], 'an empty config declares nothing: the default applies only without one');
  const lb = await startLocalElb({ listenerPorts: 'ephemeral', logger: false });
  try {
    const status = lb.status();
    assert.deepEqual(status.classic.map((c) => [c.name, c.listeners[0]?.declaredPort, c.healthCheck, c.connectionDraining, c.idleTimeoutSeconds]), [
      ['web', 8080, { target: 'HTTP:3000/ping', intervalSeconds: 1, timeoutSeconds: 1, healthyThreshold: 2, unhealthyThreshold: 2 }, { enabled: true, timeoutSeconds: 300 }, 60],
    ]);
    assert.deepEqual(status.loadBalancers.map((l) => [l.name, l.type, l.listeners[0]?.declaredPort]), [['web-alb', 'application', 8081]]);
    assert.deepEqual(status.targetGroups.map((t) => [t.name, t.port, t.inUse, t.deregistrationDelaySeconds]), [['web-tg', 3000, true, 300]]);
    assert.equal(status.propagationDelayMs, 1000);
  } finally {
    await lb.close();
  }
});

test('bad configuration: a coded error naming the field path and the value, for each mistake', async () => {
  const cases: Array<[unknown, string, RegExp]> = [
    [[], 'config', /an object/],
    [{ classic: {} }, 'classic', /a list/],
    [{ classic: [{}] }, 'classic[0].name', /undefined/],
    [{ classic: [{ name: 'web', listeners: [{ loadBalancerPort: 70000 }] }] }, 'classic[0].listeners[0].loadBalancerPort', /70000/],
    [{ classic: [{ name: 'web', healthCheck: { target: 'HTTP:3000' } }] }, 'classic[0].healthCheck.target', /"HTTP:3000"/],
    [{ classic: [{ name: 'web', healthCheck: { healthyThreshold: 0 } }] }, 'classic[0].healthCheck.healthyThreshold', /got 0/],
    [{ classic: [{ name: 'web', connectionDraining: { timeoutSeconds: -1 } }] }, 'classic[0].connectionDraining.timeoutSeconds', /got -1/],
    [{ classic: [{ name: 'web', instances: ['web-1'] }] }, 'classic[0].instances[0]', /"web-1"/],
    [{ classic: [{ name: 'a' }, { name: 'a' }] }, 'classic[1].name', /unique/],
    [{ classic: [{ name: 'web', colour: 'blue' }] }, 'classic[0].colour', /unknown key/],
    [{ instances: { 'i-1': 'localhost' } }, 'instances.i-1', /"localhost"/],
    [{ instances: { nope: '127.0.0.1:1' } }, 'instances (key "nope")', /"nope"/],
    [{ loadBalancers: [{ name: 'alb', listeners: [{ port: 80, targetGroup: 'missing' }] }] }, 'loadBalancers[0].listeners[0].targetGroup', /"missing"/],
    [{ targetGroups: [{ name: 'tg', deregistrationDelaySeconds: 4000 }] }, 'targetGroups[0].deregistrationDelaySeconds', /4000/],
    [{ targetGroups: [{ name: 'tg', healthCheck: { matcher: 'ok' } }] }, 'targetGroups[0].healthCheck.matcher', /"ok"/],
    [{ propagationDelayMs: 'soon' }, 'propagationDelayMs', /"soon"/],
    [{ imds: { requireToken: 'yes' } }, 'imds.requireToken', /"yes"/],
  ];
  for (const [input, field, value] of cases) {
    assert.throws(
      () => resolveLocalElbConfig(input),
      (err: LocalElbConfigError) => {
        assert.ok(err instanceof LocalElbConfigError, `${field}: ${String(err)}`);
        assert.equal(err.code, 'ERR_GRACEFUL_ELB_MOCK_CONFIG');
        assert.equal(err.field, field);
        assert.ok(err.message.includes(`\`${field}\``), err.message);
        assert.match(err.message, value);
        return true;
      },
    );
  }
  const broken = join(dir, 'broken.yml');
  writeFileSync(broken, 'classic: [ {name: web\n');
  await assert.rejects(startLocalElb({ config: broken, logger: false }), (err: LocalElbConfigError) => err.code === 'ERR_GRACEFUL_ELB_MOCK_CONFIG' && err.field === 'config' && /valid YAML/.test(err.message));
  await assert.rejects(startLocalElb({ config: join(dir, 'absent.yml'), logger: false }), (err: LocalElbConfigError) => err.field === 'config' && /absent\.yml/.test(err.message));
  await assert.rejects(startLocalElb({ config: {}, port: -1, logger: false }), (err: LocalElbConfigError) => err.field === 'port');
  await assert.rejects(startLocalElb({ config: {}, instances: { 'i-1': 'x' }, logger: false }), (err: LocalElbConfigError) => err.field === 'instances.i-1');
});
