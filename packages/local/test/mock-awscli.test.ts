import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { startLocalElb, type LocalElb } from '../src/mock/localElb.js';
import { startBackend, type Backend } from './mock-helpers.js';
import { waitFor } from '../../../test/helpers/waitFor.js';

// The AWS CLI v1 against the local ELB, pointed at it only through the standard env variables
// (AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING and _V2, which CLI v1 honours; AWS_DEFAULT_REGION for its region).
// The CLI is stricter than the SDK: it fails on a missing Result element or an empty error body.

function awsCliVersion(): string | undefined {
  try {
    return execFileSync('aws', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).trim();
  } catch {
    return undefined;
  }
}

const version = awsCliVersion();
let lb: LocalElb;
let backend: Backend;

before(async () => {
  if (!version) return;
  backend = await startBackend('cli');
  lb = await startLocalElb({ config: {}, listenerPorts: 'ephemeral', logger: false, propagationDelayMs: 100 });
});

after(async () => {
  await lb?.close();
  await backend?.close();
});

interface CliResult {
  code: number;
  json: Record<string, unknown> | undefined;
  stderr: string;
}

function aws(...args: string[]): Promise<CliResult> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    ...lb.env,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_MAX_ATTEMPTS: '1',
  };
  return new Promise((resolve) => {
    execFile('aws', [...args, '--output', 'json'], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, json: stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : undefined, stderr });
    });
  });
}

function ok(result: CliResult): Record<string, unknown> {
  assert.equal(result.code, 0, `aws failed: ${result.stderr}`);
  return result.json ?? {};
}

test('aws elb: create, register, describe-instance-health, deregister, unknown balancer (exit 255, LoadBalancerNotFound)', async (t) => {
  if (!version) return t.skip('the AWS CLI (aws) is not installed here');
  t.diagnostic(version);
  const created = ok(await aws('elb', 'create-load-balancer', '--load-balancer-name', 'cli-web', '--listeners', `Protocol=HTTP,LoadBalancerPort=8085,InstanceProtocol=HTTP,InstancePort=${backend.port}`, '--availability-zones', 'us-east-1a'));
  assert.match(String(created.DNSName), /^cli-web-\d+\.us-east-1\.elb\.amazonaws\.com$/);
  ok(await aws('elb', 'configure-health-check', '--load-balancer-name', 'cli-web', '--health-check', `Target=HTTP:${backend.port}/ping,Interval=5,Timeout=2,UnhealthyThreshold=2,HealthyThreshold=2`));
  ok(await aws('elb', 'modify-load-balancer-attributes', '--load-balancer-name', 'cli-web', '--load-balancer-attributes', '{"ConnectionDraining":{"Enabled":true,"Timeout":30}}'));

  const registered = ok(await aws('elb', 'register-instances-with-load-balancer', '--load-balancer-name', 'cli-web', '--instances', 'i-0123456789abcdef0'));
  assert.deepEqual(registered.Instances, [{ InstanceId: 'i-0123456789abcdef0' }]);
  const health = ok(await aws('elb', 'describe-instance-health', '--load-balancer-name', 'cli-web'));
  assert.equal((health.InstanceStates as Array<{ InstanceId: string }>)[0]?.InstanceId, 'i-0123456789abcdef0');
  // Waited for in process (each CLI call costs a Python start), then read once through the CLI.
  await waitFor('InService', () => lb.status().classic.find((b) => b.name === 'cli-web')?.instances[0]?.state === 'InService', 40_000, 100);
  const inService = ok(await aws('elb', 'describe-instance-health', '--load-balancer-name', 'cli-web', '--instances', 'i-0123456789abcdef0'));
  assert.equal((inService.InstanceStates as Array<{ State: string }>)[0]?.State, 'InService');

  const deregistered = ok(await aws('elb', 'deregister-instances-from-load-balancer', '--load-balancer-name', 'cli-web', '--instances', 'i-0123456789abcdef0'));
  assert.deepEqual(deregistered.Instances, []);
  const described = ok(await aws('elb', 'describe-load-balancers', '--load-balancer-names', 'cli-web'));
  assert.equal((described.LoadBalancerDescriptions as Array<{ LoadBalancerName: string }>)[0]?.LoadBalancerName, 'cli-web');
  const attrs = ok(await aws('elb', 'describe-load-balancer-attributes', '--load-balancer-name', 'cli-web'));
  assert.deepEqual((attrs.LoadBalancerAttributes as { ConnectionDraining: unknown }).ConnectionDraining, { Enabled: true, Timeout: 30 });

  const missing = await aws('elb', 'describe-instance-health', '--load-balancer-name', 'no-such-lb');
  assert.equal(missing.code, 255);
  assert.match(missing.stderr, /An error occurred \(LoadBalancerNotFound\) when calling the DescribeInstanceHealth operation/);
  const badInstance = await aws('elb', 'register-instances-with-load-balancer', '--load-balancer-name', 'cli-web', '--instances', 'web-1');
  assert.equal(badInstance.code, 255);
  assert.match(badInstance.stderr, /\(InvalidInstance\)/);
  ok(await aws('elb', 'delete-load-balancer', '--load-balancer-name', 'cli-web'));
});

test('aws elbv2: target group, load balancer, listener, register-targets, describe-target-health, deregister-targets, unknown group (exit 255)', async (t) => {
  if (!version) return t.skip('the AWS CLI (aws) is not installed here');
  const tg = ok(await aws('elbv2', 'create-target-group', '--name', 'cli-tg', '--protocol', 'HTTP', '--port', String(backend.port), '--vpc-id', 'vpc-0a1b2c3d', '--health-check-path', '/ping', '--health-check-interval-seconds', '5', '--health-check-timeout-seconds', '2', '--healthy-threshold-count', '2'));
  const tgArn = String((tg.TargetGroups as Array<{ TargetGroupArn: string }>)[0]?.TargetGroupArn);
  const alb = ok(await aws('elbv2', 'create-load-balancer', '--name', 'cli-alb', '--subnets', 'subnet-0a1b2c3d', 'subnet-0e1f2a3b'));
  const lbArn = String((alb.LoadBalancers as Array<{ LoadBalancerArn: string }>)[0]?.LoadBalancerArn);
  const listener = ok(await aws('elbv2', 'create-listener', '--load-balancer-arn', lbArn, '--protocol', 'HTTP', '--port', '8086', '--default-actions', `Type=forward,TargetGroupArn=${tgArn}`));
  assert.equal((listener.Listeners as Array<{ Port: number }>)[0]?.Port, 8086);
  const attrs = ok(await aws('elbv2', 'modify-target-group-attributes', '--target-group-arn', tgArn, '--attributes', 'Key=deregistration_delay.timeout_seconds,Value=60'));
  assert.ok((attrs.Attributes as Array<{ Key: string; Value: string }>).some((a) => a.Key === 'deregistration_delay.timeout_seconds' && a.Value === '60'));

  ok(await aws('elbv2', 'register-targets', '--target-group-arn', tgArn, '--targets', 'Id=i-0123456789abcdef1'));
  await waitFor('healthy', () => lb.status().targetGroups.find((g) => g.arn === tgArn)?.targets[0]?.state === 'healthy', 40_000, 100);
  const healthy = ok(await aws('elbv2', 'describe-target-health', '--target-group-arn', tgArn));
  assert.equal((healthy.TargetHealthDescriptions as Array<{ TargetHealth: { State: string } }>)[0]?.TargetHealth.State, 'healthy');
  const served = lb.listeners.find((l) => l.balancer === 'cli-alb');
  assert.equal(await (await fetch(served!.url)).text(), 'cli', 'traffic through the listener the CLI created');

  ok(await aws('elbv2', 'deregister-targets', '--target-group-arn', tgArn, '--targets', 'Id=i-0123456789abcdef1'));
  const draining = ok(await aws('elbv2', 'describe-target-health', '--target-group-arn', tgArn, '--targets', 'Id=i-0123456789abcdef1'));
  assert.deepEqual((draining.TargetHealthDescriptions as Array<{ TargetHealth: unknown }>)[0]?.TargetHealth, {
    State: 'draining',
    Reason: 'Target.DeregistrationInProgress',
    Description: 'Target deregistration is in progress',
  });

  const missing = await aws('elbv2', 'describe-target-health', '--target-group-arn', `${tgArn}0`);
  assert.equal(missing.code, 255);
  assert.match(missing.stderr, /An error occurred \(TargetGroupNotFound\) when calling the DescribeTargetHealth operation/);
  const badTarget = await aws('elbv2', 'register-targets', '--target-group-arn', tgArn, '--targets', 'Id=web-1');
  assert.equal(badTarget.code, 255);
  assert.match(badTarget.stderr, /\(InvalidTarget\)/);
  const described = ok(await aws('elbv2', 'describe-load-balancers', '--names', 'cli-alb'));
  assert.equal((described.LoadBalancers as Array<{ LoadBalancerArn: string }>)[0]?.LoadBalancerArn, lbArn);
  const listeners = ok(await aws('elbv2', 'describe-listeners', '--load-balancer-arn', lbArn));
  assert.equal((listeners.Listeners as unknown[]).length, 1);
  const lbAttrs = ok(await aws('elbv2', 'describe-load-balancer-attributes', '--load-balancer-arn', lbArn));
  assert.ok((lbAttrs.Attributes as Array<{ Key: string }>).some((a) => a.Key === 'idle_timeout.timeout_seconds'));
});
