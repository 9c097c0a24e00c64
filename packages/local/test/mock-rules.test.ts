import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteRuleCommand,
  DescribeRulesCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  ModifyTargetGroupCommand,
  RegisterTargetsCommand,
  SetRulePrioritiesCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { startLocalElb, type LocalElb } from '../src/mock/localElb.js';
import { clientsFor, startBackend, type Backend } from './mock-helpers.js';
import { waitFor } from '../../../test/helpers/waitFor.js';

// Listener rules through the real SDK, and what the data plane does with them: forward by path, host, header and
// method in priority order, the default action otherwise, fixed responses and redirects, all decided per request.

let lb: LocalElb;
let v2: ElasticLoadBalancingV2Client;
const backends: Record<string, Backend> = {};
const groups: Record<string, string> = {};
let listenerArn = '';
let url = '';
const VPC = 'vpc-0a1b2c3d';

before(async () => {
  for (const name of ['web', 'api', 'admin', 'canary']) backends[name] = await startBackend(name);
  lb = await startLocalElb({
    config: {},
    listenerPorts: 'ephemeral',
    logger: false,
    provisioningMs: 0,
    instances: Object.fromEntries(Object.values(backends).map((b, i) => [`i-0ru1e00000000000${i}`, b.address])),
  });
  ({ v2 } = clientsFor(lb));
  const [alb] = (await v2.send(new CreateLoadBalancerCommand({ Name: 'rules-alb', Subnets: ['subnet-0c000001', 'subnet-0c000002'] }))).LoadBalancers!;
  for (const [i, name] of Object.keys(backends).entries()) {
    const [tg] = (
      await v2.send(new CreateTargetGroupCommand({ Name: `${name}-rules`, Protocol: 'HTTP', Port: backends[name]!.port, VpcId: VPC, HealthCheckPath: '/ping', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2 }))
    ).TargetGroups!;
    groups[name] = tg!.TargetGroupArn!;
    await v2.send(new RegisterTargetsCommand({ TargetGroupArn: tg!.TargetGroupArn, Targets: [{ Id: `i-0ru1e00000000000${i}` }] }));
  }
  const [listener] = (await v2.send(new CreateListenerCommand({ LoadBalancerArn: alb!.LoadBalancerArn, Protocol: 'HTTP', Port: 8180, DefaultActions: [{ Type: 'forward', TargetGroupArn: groups.web }] }))).Listeners!;
  listenerArn = listener!.ListenerArn!;
  url = lb.listeners.find((l) => l.balancer === 'rules-alb')!.url;
  const rule = (priority: number, conditions: object[], actions: object[]) =>
    v2.send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: priority, Conditions: conditions as never, Actions: actions as never }));
  await rule(10, [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }], [{ Type: 'forward', TargetGroupArn: groups.api }]);
  await rule(20, [{ Field: 'host-header', HostHeaderConfig: { Values: ['admin.*'] } }], [{ Type: 'forward', TargetGroupArn: groups.admin }]);
  await rule(30, [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Canary', Values: ['y*'] } }, { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['GET'] } }], [{ Type: 'forward', TargetGroupArn: groups.canary }]);
  await rule(40, [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/gone'] } }], [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '410', ContentType: 'application/json', MessageBody: '{"gone":true}' } }]);
  await rule(50, [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/old/*'] } }], [{ Type: 'redirect', RedirectConfig: { Path: '/new/#{path}', StatusCode: 'HTTP_301' } }]);
  // Every group in use (by a rule or the default action) is health checked: wait until all serve.
  await waitFor('every group healthy', () => lb.status().targetGroups.filter((g) => g.name.endsWith('-rules')).every((g) => g.targets[0]?.state === 'healthy'), 30_000);
});

after(async () => {
  v2.destroy();
  await lb.close();
  await Promise.all(Object.values(backends).map((b) => b.close()));
});

function send(path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('forward rules by path, host, header and method; the default action for the rest', async () => {
  assert.equal((await send('/api/users')).body, 'api');
  assert.equal((await send('/apix')).body, 'web', "'/api/*' needs the slash: the default action");
  assert.equal((await send('/API/users')).body, 'web', 'path patterns are case-sensitive');
  assert.equal((await send('/', { headers: { host: 'ADMIN.example.com' } })).body, 'admin', 'host headers match case-insensitively');
  assert.equal((await send('/', { headers: { 'x-canary': 'yes' } })).body, 'canary');
  assert.equal((await send('/', { method: 'POST', headers: { 'x-canary': 'yes' } })).body, 'web', 'both conditions of a rule must match');
  assert.equal((await send('/api/x', { headers: { 'x-canary': 'yes' } })).body, 'api', 'the lowest priority number wins');
  assert.equal((await send('/')).body, 'web');
});

test('fixed-response and redirect actions are answered by the balancer itself', async () => {
  const gone = await send('/gone');
  assert.equal(gone.status, 410);
  assert.equal(gone.headers['content-type'], 'application/json');
  assert.equal(gone.body, '{"gone":true}');
  const moved = await send('/old/page?x=1');
  assert.equal(moved.status, 301);
  assert.equal(moved.headers.location, `http://127.0.0.1:${new URL(url).port}/new/old/page?x=1`);
});

test('SetRulePriorities, ModifyRule and DeleteRule change routing at once; DescribeRules lists by priority, default last', async () => {
  const rules = (await v2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules!;
  assert.deepEqual(rules.map((r) => r.Priority), ['10', '20', '30', '40', '50', 'default']);
  assert.deepEqual(rules.map((r) => r.IsDefault), [false, false, false, false, false, true]);
  const [api, , canary] = rules;
  await v2.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: canary!.RuleArn, Priority: 5 }] }));
  assert.equal((await send('/api/x', { headers: { 'x-canary': 'yes' } })).body, 'canary', 'canary now comes first');
  await v2.send(new ModifyRuleCommand({ RuleArn: api!.RuleArn, Actions: [{ Type: 'forward', TargetGroupArn: groups.admin }] }));
  assert.equal((await send('/api/x')).body, 'admin');
  await v2.send(new DeleteRuleCommand({ RuleArn: api!.RuleArn }));
  assert.equal((await send('/api/x')).body, 'web');
  const after = (await v2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules!;
  assert.deepEqual(after.map((r) => r.Priority), ['5', '20', '40', '50', 'default']);
});

test('ModifyListener: new default actions apply at once, and a new port is served on a new server', async () => {
  await v2.send(new ModifyListenerCommand({ ListenerArn: listenerArn, DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503', MessageBody: 'maintenance' } }] }));
  const maintenance = await send('/');
  assert.deepEqual([maintenance.status, maintenance.body], [503, 'maintenance']);
  await v2.send(new ModifyListenerCommand({ ListenerArn: listenerArn, Port: 8181, DefaultActions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: groups.web, Weight: 1 }, { TargetGroupArn: groups.api, Weight: 0 }] } }] }));
  const moved = lb.listeners.find((l) => l.balancer === 'rules-alb')!;
  assert.equal(moved.declaredPort, 8181);
  url = moved.url;
  // web-rules was unused while no rule forwarded to it (its target reset to initial, as on AWS): checks start again.
  await waitFor('web healthy again', () => lb.status().targetGroups.find((g) => g.name === 'web-rules')!.targets[0]?.state === 'healthy', 30_000);
  for (let i = 0; i < 10; i += 1) assert.equal((await send('/')).body, 'web', 'weight 0 gets no request');
});

test('ModifyTargetGroup changes the health check in place (a failing path takes the target out)', async () => {
  const [tg] = (await v2.send(new ModifyTargetGroupCommand({ TargetGroupArn: groups.canary, HealthCheckPath: '/missing', Matcher: { HttpCode: '204' } }))).TargetGroups!;
  assert.equal(tg!.HealthCheckPath, '/missing');
  assert.deepEqual(tg!.Matcher, { HttpCode: '204' });
  await waitFor('canary unhealthy', () => lb.status().targetGroups.find((g) => g.name === 'canary-rules')!.targets[0]?.state === 'unhealthy', 30_000);
});
