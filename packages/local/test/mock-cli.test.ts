import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { waitFor } from '../../../test/helpers/waitFor.js';

// `graceful-elb-local mock` as a real process: the banner with the env to export, logs on stderr without credentials,
// a clean stop on SIGTERM/SIGINT, and exit 2 with the flag and value named on bad input.

// The built bin, as users run it (npm test builds first): ten tsx compilations at once took over 20 s on a busy CI machine.
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const children: ChildProcessWithoutNullStreams[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

function run(args: string[]): { child: ChildProcessWithoutNullStreams; out: () => string; err: () => string } {
  const child = spawn(process.execPath, [cli, 'mock', ...args], { env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' } });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  return { child, out: () => out, err: () => err };
}

async function exitOf(child: ChildProcessWithoutNullStreams, timeoutMs = 60_000): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  clearTimeout(timer);
  return { code, signal };
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`starts, prints the env and listeners, answers the SDK, logs API calls without credentials, stops cleanly on ${signal}`, async () => {
    const { child, out, err } = run(['--port', '0', '--listener-ports', 'ephemeral', '--instance', 'i-0abc0000000000001=127.0.0.1:3999', '--propagation-delay-ms', '250']);
    await waitFor('the banner', () => out().includes('Stop with Ctrl-C.'), 30_000);
    const env = Object.fromEntries([...out().matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    assert.deepEqual(Object.keys(env), [
      'AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING',
      'AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2',
      'AWS_ENDPOINT_URL_AUTO_SCALING',
      'AWS_EC2_METADATA_SERVICE_ENDPOINT',
      'AWS_REGION',
      'AWS_DEFAULT_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
    ]);
    const endpoint = env.AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING!;
    assert.match(endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(out(), /web \(classic\)\s+http:\/\/127\.0\.0\.1:\d+/);
    assert.match(out(), /web-alb \(application\)\s+http:\/\/127\.0\.0\.1:\d+/);
    assert.doesNotMatch(out(), /unavailable/, 'ephemeral ports were asked for: no "declared port was unavailable" note');
    assert.ok(out().includes(`${endpoint}/_local/calls`), 'the banner names the API call log');

    const client = new ElasticLoadBalancingClient({ endpoint, region: env.AWS_REGION, credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! } });
    const described = await client.send(new DescribeLoadBalancersCommand({}));
    assert.equal(described.LoadBalancerDescriptions?.[0]?.LoadBalancerName, 'web');
    client.destroy();
    assert.equal(await (await fetch(`${endpoint}/latest/meta-data/instance-id`)).text(), 'i-0abc0000000000001', 'IMDS reports the first --instance');

    await waitFor('the API call in the log', () => err().includes('"action":"DescribeLoadBalancers"'));
    assert.ok(!/authorization|Signature=|Credential=/i.test(err()), 'no request header or signature is logged');
    assert.ok(!err().includes(env.AWS_SECRET_ACCESS_KEY!), 'the secret key is never logged');

    child.kill(signal);
    const { code } = await exitOf(child);
    assert.equal(code, 0);
    assert.match(err(), /local ELB closed/);
  });
}

test('bad flags exit 2 naming the flag and the value', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--port', 'eighty'], /`--port`.*"eighty"/],
    [['--port', '70000'], /`--port`.*"70000"/],
    [['--propagation-delay-ms', '-5'], /`--propagation-delay-ms`.*"-5"/],
    [['--instance', 'i-1'], /`--instance`.*"i-1"/],
    [['--instance', 'web=127.0.0.1:1'], /`--instance`.*"web"/],
    [['--instance', 'i-1=127.0.0.1:http'], /`--instance`.*"127\.0\.0\.1:http"/],
    [['--listener-ports', 'random'], /`--listener-ports`.*"random"/],
    [['--log-level', 'loud'], /`--log-level`.*"loud"/],
    [['--config', '/nonexistent/local-elb.yml'], /`config`.*nonexistent/],
    [['--no-such-flag'], /unknown option '--no-such-flag'/],
  ];
  await Promise.all(
    cases.map(async ([args, message]) => {
      const { child, err } = run(['--port', '0', '--listener-ports', 'ephemeral', ...args]);
      const { code } = await exitOf(child);
      assert.equal(code, 2, `${args.join(' ')} → exit 2 (stderr: ${err()})`);
      assert.match(err(), message);
    }),
  );
});

test('a non-loopback --host prints a warning (and an address it cannot bind is a clear error, exit 2)', async () => {
  // 192.0.2.1 is TEST-NET-1: never assigned here, so nothing is exposed and the bind fails.
  const { child, err } = run(['--port', '0', '--listener-ports', 'ephemeral', '--host', '192.0.2.1']);
  const { code } = await exitOf(child);
  assert.equal(code, 2);
  assert.match(err(), /warning: --host 192\.0\.2\.1 exposes the local ELB/);
  assert.match(err(), /could not listen on 192\.0\.2\.1:0/);
});
