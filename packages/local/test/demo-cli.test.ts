// `graceful-elb-local demo` flags as a user types them, and the `demo-step` tools the baseline hook scripts call
// (built CLI: npm test builds first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { demoBalancerConfig } from '../src/demo/balancerConfig.js';
import { startLocalElb } from '../src/mock/localElb.js';

const cli = resolve(import.meta.dirname, '../dist/cli.js');
const run = async (args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args], { env, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
};

test('bad demo flags exit 2 with a message naming the flag and the value, before anything starts', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--rate=-5'], /`--rate` to be a whole number from 1 to 5000, got "-5"/],
    [['--strategy', 'TwiceAtATime'], /`--strategy` to be OneAtATime, HalfAtATime, AllAtOnce, min-healthy=<count> or min-healthy=<percent>%, got "TwiceAtATime"/],
    [['--instances', '0'], /`--instances` to be a whole number from 1 to 20, got "0"/],
    [['--drain-seconds', '-1'], /`--drain-seconds`/],
    [['--naive', '--seed'], /--naive and --seed/],
  ];
  for (const [flags, message] of cases) {
    const { code, stderr } = await run(['demo', ...flags, '--output-dir', '/nonexistent/never-created']);
    assert.equal(code, 2, flags.join(' '));
    assert.match(stderr, /^error \[ERR_GRACEFUL_ELB_INVALID_OPTION\]: /);
    assert.match(stderr, message);
  }
});

test('demo --help lists every flag with its default', async () => {
  const { code, stdout } = await run(['demo', '--help']);
  assert.equal(code, 0);
  for (const flag of ['--instances', '--rate', '--duration', '--strategy', '--drain-seconds', '--naive', '--seed', '--output-dir']) assert.ok(stdout.includes(flag), flag);
  assert.match(stdout, /default: OneAtATime/);
});

test("demo-step: the seed's curl and `aws elb` calls, against the local ELB", async (t) => {
  const lb = await startLocalElb({ config: demoBalancerConfig(5), listenerPorts: 'ephemeral', logger: false, imds: { requireToken: false } });
  t.after(() => lb.close());
  const env = { PATH: process.env.PATH, ...lb.env, AWS_EC2_METADATA_SERVICE_ENDPOINT: `${lb.endpoint}/_local/imds/i-0de00000000000042` };

  const id = await run(['demo-step', 'instance-id'], env);
  assert.equal(id.stdout.trim(), 'i-0de00000000000042', id.stderr);

  const registered = await run(['demo-step', 'register-instances-with-load-balancer', 'web', 'i-0de00000000000042'], env);
  assert.equal(registered.code, 0, registered.stderr);
  assert.deepEqual(JSON.parse(registered.stdout), { Instances: [{ InstanceId: 'i-0de00000000000042' }] });
  assert.ok(lb.status().classic[0]?.instances.some((i) => i.instanceId === 'i-0de00000000000042'));

  const deregistered = await run(['demo-step', 'deregister-instances-from-load-balancer', 'web', 'i-0de00000000000042'], env);
  assert.equal(deregistered.code, 0, deregistered.stderr);

  const missing = await run(['demo-step', 'deregister-instances-from-load-balancer', 'no-such-elb', 'i-0de00000000000042'], env);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no-such-elb|LoadBalancerNotFound|AccessPointNotFound/);

  assert.equal((await run(['demo-step', 'http-status', `${lb.endpoint}/_local/status`], env)).stdout.trim(), '200');
  assert.equal((await run(['demo-step', 'http-status', 'http://127.0.0.1:1/ping'], env)).stdout.trim(), '000');
  assert.equal((await run(['demo-step', 'teleport'], env)).code, 2);
});
