import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateRuleCommand, DescribeListenersCommand, DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { startApp, startLoad, type App } from './helpers/tgApps.js';
import { recordingClients, startTgLocalElb } from './helpers/tgLocalElb.js';

// One ALB split across two target groups by a listener rule (path-pattern /api/* → api-tg, the rest → web-tg), as an
// app is split on AWS. Under load on both paths, one api instance (the real library, in its own process) leaves on
// SIGTERM and a new one rejoins: no request fails, and each path only ever reaches its own group.

test('path-based routing to two target groups under load: an api instance leaves and rejoins with 0 failed requests', async (t) => {
  const setup = await startTgLocalElb({ groups: ['web-tg', 'api-tg'] });
  t.after(() => setup.lb.close());
  const { v2 } = recordingClients(setup.lb);
  t.after(() => v2.destroy());
  const [alb] = (await v2.send(new DescribeLoadBalancersCommand({ Names: ['web-alb'] }))).LoadBalancers ?? [];
  const [listener] = (await v2.send(new DescribeListenersCommand({ LoadBalancerArn: alb!.LoadBalancerArn }))).Listeners ?? [];
  await v2.send(
    new CreateRuleCommand({
      ListenerArn: listener!.ListenerArn,
      Priority: 10,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }],
      Actions: [{ Type: 'forward', TargetGroupArn: setup.arns['api-tg'] }],
    }),
  );

  const apps: App[] = [];
  t.after(() => apps.forEach((a) => a.child.kill('SIGKILL')));
  const start = (id: string, group: string): App => {
    const app = startApp(setup, id, undefined, { GRACEFUL_ELB_TARGET_GROUP_ARNS: setup.arns[group]! });
    apps.push(app);
    return app;
  };
  const web = start('i-0e0b00000000000a1', 'web-tg');
  const api = [start('i-0a0100000000000b1', 'api-tg'), start('i-0a0100000000000b2', 'api-tg')];
  await Promise.all([web.ready, ...api.map((a) => a.ready)]);

  const url = setup.urls['web-alb']!;
  const apiLoad = startLoad(url, 4, '/api/work?ms=25');
  const webLoad = startLoad(url, 2, '/work?ms=25');
  await new Promise((resolve) => setTimeout(resolve, 500));
  api[0]!.child.kill('SIGTERM');
  assert.deepEqual(await api[0]!.exited, { code: 0, signal: null }, api[0]!.output.join(''));
  const rejoined = start('i-0a0100000000000b1', 'api-tg');
  await rejoined.ready;
  await new Promise((resolve) => setTimeout(resolve, 500));
  const [apiResult, webResult] = await Promise.all([apiLoad.stop(), webLoad.stop()]);

  assert.deepEqual(apiResult.failures, [], `no /api request failed (${apiResult.ok} succeeded)`);
  assert.deepEqual(webResult.failures, [], `no / request failed (${webResult.ok} succeeded)`);
  assert.ok(apiResult.ok > 100 && webResult.ok > 50, `traffic flowed on both paths (${apiResult.ok} /api, ${webResult.ok} /)`);
  const apiServers = [...apiResult.byProcess.keys()];
  assert.ok(apiServers.every((name) => name.startsWith('i-0a01')), `/api/* reached only api-tg: ${apiServers.join(', ')}`);
  assert.equal(new Set(apiServers).size, 3, `both api instances and the rejoined one served /api: ${apiServers.join(', ')}`);
  assert.deepEqual([...webResult.byProcess.keys()].map((name) => name.split('/')[0]), ['i-0e0b00000000000a1'], 'the rest reached only web-tg');
  console.log(JSON.stringify({ apiRequests: apiResult.ok, webRequests: webResult.ok, failed: apiResult.failures.length + webResult.failures.length }));

  await Promise.all([web, api[1]!, rejoined].map(async (a) => (a.child.kill('SIGTERM'), a.exited)));
});
