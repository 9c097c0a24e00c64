import { test } from 'node:test';
import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fixtureApp, runCli, tempStateDir } from './helpers/supervisorHarness.js';

// Bad input exits 2 (usage), names the flag (or env var) and the value, and starts nothing.
const cases: Array<{ args: string[]; env?: NodeJS.ProcessEnv; message: RegExp }> = [
  { args: ['stop', '--timeout', '-3'], message: /option '--timeout <seconds>' argument '-3' is invalid\. Expected a number of seconds greater than 0/ },
  { args: ['stop', '--timeout', 'soon'], message: /'--timeout <seconds>' argument 'soon' is invalid/ },
  { args: ['validate', '--timeout', '0'], message: /'--timeout <seconds>' argument '0' is invalid/ },
  { args: ['start', '--min-uptime', '1.5', fixtureApp], message: /'--min-uptime <ms>' argument '1.5' is invalid\. Expected a whole number/ },
  { args: ['start', '--max-restarts', '-1', fixtureApp], message: /'--max-restarts <n>' argument '-1' is invalid/ },
  { args: ['start', '--name', '../etc', fixtureApp], message: /'--name <name>' argument '..\/etc' is invalid/ },
  { args: ['start'], message: /missing required argument 'script'/ },
  { args: ['start', 'no-such-app.mjs'], message: /Expected `<script>` to be an existing file, got "no-such-app.mjs"/ },
  { args: ['start', '--bogus', fixtureApp], message: /unknown option '--bogus'/ },
  {
    args: ['start', fixtureApp],
    env: { GRACEFUL_ELB_DRAIN_SECONDS: 'lots' },
    message: /Expected `GRACEFUL_ELB_DRAIN_SECONDS` to be a number of seconds from 0 to 3600, got "lots"/,
  },
  // Every flag that becomes a timer stops at Node's longest one (2^31 − 1 ms), instead of firing at once.
  { args: ['stop', '--timeout', '3000000'], message: /'--timeout <seconds>' argument '3000000' is invalid\. Expected a number of seconds greater than 0 and at most 2147483 / },
  { args: ['validate', '--timeout', '2147484'], message: /'--timeout <seconds>' argument '2147484' is invalid\. .*at most 2147483 / },
  { args: ['start', '--stop-timeout', '3e6', fixtureApp], message: /'--stop-timeout <seconds>' argument '3e6' is invalid\. .*at most 2147483 / },
  { args: ['start', '--spawn-timeout', '1e10', fixtureApp], message: /'--spawn-timeout <seconds>' argument '1e10' is invalid\. .*at most 2147483 / },
  { args: ['iam-policy'], message: /Expected `--elb` to be given at least once \(or --target-group-arn, or --discover\)/ },
  { args: ['iam-policy', '--elb', 'my_elb'], message: /'--elb <name>' argument 'my_elb' is invalid\. Expected a Classic ELB name/ },
  { args: ['iam-policy', '--elb', 'web', '--account', '123'], message: /'--account <id>' argument '123' is invalid\. Expected a 12-digit/ },
  { args: ['iam-policy', '--elb', 'web', '--region', 'mars'], message: /'--region <region>' argument 'mars' is invalid/ },
  {
    args: ['iam-policy', '--target-group-arn', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188'],
    message: /'--target-group-arn <arn>' argument 'arn:aws.*loadbalancer\/app\/web\/50dc6c495c0c9188' is invalid\. Expected a target group ARN/,
  },
  { args: ['no-such-command'], message: /unknown command 'no-such-command'/ },
];

for (const { args, env, message } of cases) {
  test(`usage error: ${args.join(' ') || '(none)'}${env ? ` with ${Object.keys(env).join(',')}` : ''}`, async (t) => {
    const stateDir = tempStateDir(t);
    const result = await runCli(args, { env: { GRACEFUL_ELB_STATE_DIR: stateDir, ...env } });
    assert.equal(result.code, 2, `exit ${result.code}\n${result.stderr}`);
    assert.match(result.stderr, message);
    assert.equal(result.stdout, '');
  });
}

test('an empty GRACEFUL_ELB_STATE_DIR counts as unset: the default state dir is used', async () => {
  const name = `never-${process.pid}`;
  const result = await runCli(['status', '--json', '--name', name], { env: { GRACEFUL_ELB_STATE_DIR: ' ' } });
  assert.equal(result.code, 3, result.stderr);
  assert.equal(JSON.parse(result.stdout).stateDir, join(userInfo().homedir, '.local', 'state', 'graceful-elb', name));
});

test('status --json of an app never started: not running, exit 3', async (t) => {
  const stateDir = tempStateDir(t);
  const result = await runCli(['status', '--json', '--state-dir', stateDir, '--name', 'web']);
  assert.equal(result.code, 3);
  assert.deepEqual(JSON.parse(result.stdout), { name: 'web', stateDir: `${stateDir}/web`, running: false, status: 'never-started' });
});

test('--help of each command exits 0 and documents its flags', async () => {
  for (const [command, flag] of [
    ['start', '--stop-timeout'],
    ['stop', '--timeout'],
    ['status', '--json'],
    ['validate', '--allow-no-balancer'],
    ['iam-policy', '--target-group-arn'],
  ] as const) {
    const result = await runCli([command, '--help']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`Usage: graceful-elb ${command}[\\s\\S]*${flag}`));
  }
});
