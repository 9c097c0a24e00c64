import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../freePort.js';
import { localPackageRoot } from '../packageRoots.js';
import type { LocalElbEnv } from '../mock/localElb.js';
import type { DemoMode } from './report.js';

/** One simulated EC2 instance: its id, the port its app listens on, and its own supervisor state dir. */
export interface FleetInstance {
  readonly id: string;
  readonly port: number;
  readonly stateDir: string;
  /** Everything its hook scripts (and so its app) run with. */
  readonly env: NodeJS.ProcessEnv;
}

export interface FleetSettings {
  readonly count: number;
  readonly runDir: string;
  readonly mode: DemoMode;
  readonly libraryRoot: string;
  /** The Classic ELB the instances join, or the target group (by ARN) they join as `instanceId:port`. */
  readonly membership: FleetMembership;
  readonly drainSeconds: number;
}

export type FleetMembership = { readonly kind: 'classic'; readonly name: string } | { readonly kind: 'target-group'; readonly arn: string };

/** The app every instance runs, relative to the package root. */
export const DEMO_APP_SCRIPT = 'examples/app.mjs';

/** Instance ids in EC2's shape, recognisable in logs: i-0de00000000000001, … */
export function demoInstanceId(index: number): string {
  return `i-0de${String(index + 1).padStart(14, '0')}`;
}

/** Ids and ports, before the balancer exists (it needs their addresses). */
export async function allocateFleet(count: number): Promise<Array<{ id: string; port: number }>> {
  const fleet: Array<{ id: string; port: number }> = [];
  for (let i = 0; i < count; i++) fleet.push({ id: demoInstanceId(i), port: await freePort() });
  return fleet;
}

/**
 * Gives each instance its environment. Variables of the caller's own environment that would point the library
 * or the AWS SDK elsewhere are dropped, so a demo never talks to a real AWS account by accident.
 */
export function provisionFleet(
  allocated: ReadonlyArray<{ id: string; port: number }>,
  settings: FleetSettings,
  balancer: { endpoint: string; env: LocalElbEnv },
): FleetInstance[] {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(AWS_|GRACEFUL_ELB_)/.test(name)));
  return allocated.map(({ id, port }) => {
    const stateDir = join(settings.runDir, 'instances', id);
    // 0700: the supervisor refuses a state dir others can write (a umask of 002 would leave it group-writable).
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const env: NodeJS.ProcessEnv = {
      ...inherited,
      ...balancer.env,
      // The local ELB answers each instance's own metadata under this path (the seed's stop script asks it).
      AWS_EC2_METADATA_SERVICE_ENDPOINT: `${balancer.endpoint}/_local/imds/${id}`,
      HOST: '127.0.0.1',
      PORT: String(port),
      GRACEFUL_ELB_INSTANCE_ID: id,
      // The variables the library reads to choose its balancer (the baselines' scripts use them too).
      ...(settings.membership.kind === 'classic' ? { GRACEFUL_ELB_NAME: settings.membership.name } : { GRACEFUL_ELB_TARGET_GROUP_ARNS: settings.membership.arn }),
      GRACEFUL_ELB_DRAIN_SECONDS: String(settings.drainSeconds),
      GRACEFUL_ELB_STATE_DIR: stateDir,
      GRACEFUL_ELB_APP_DIR: settings.libraryRoot,
      GRACEFUL_ELB_APP_SCRIPT: DEMO_APP_SCRIPT,
      GRACEFUL_ELB_NODE: process.execPath,
      GRACEFUL_ELB_CLI: join(settings.libraryRoot, 'dist', 'cli.js'),
      GRACEFUL_ELB_LOCAL_CLI: join(localPackageRoot(), 'dist', 'cli.js'),
      ...(settings.mode === 'graceful' ? {} : { GRACEFUL_ELB_DISABLE: '1' }),
      // The AWS SDK warns on Node 20 from every process that makes a client; in the hook output it is noise.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    return { id, port, stateDir, env };
  });
}

/** Stops every instance's app and supervisor (`graceful-elb stop`), in parallel, each bounded. */
export async function stopFleet(fleet: readonly FleetInstance[], drainSeconds: number): Promise<void> {
  await Promise.all(fleet.map((instance) => runCli(instance, 'GRACEFUL_ELB_CLI', ['stop'], drainSeconds + 30)));
}

/**
 * Registers the whole fleet once, as an operator would have for apps that do not register themselves
 * (the baselines), with the same `demo-step` tool their hook scripts use.
 */
export async function registerFleet(fleet: readonly FleetInstance[], membership: FleetMembership): Promise<void> {
  const first = fleet[0];
  if (!first) return;
  const args =
    membership.kind === 'classic'
      ? ['register-instances-with-load-balancer', membership.name, ...fleet.map((i) => i.id)]
      : ['register-targets', membership.arn, ...fleet.map((i) => `Id=${i.id},Port=${i.port}`)];
  const code = await runCli(first, 'GRACEFUL_ELB_LOCAL_CLI', ['demo-step', ...args], 30);
  if (code !== 0) throw new Error(`registering the fleet with ${membership.kind === 'classic' ? membership.name : membership.arn} failed (exit code ${String(code)})`);
}

/** Runs a CLI (graceful-elb's or graceful-elb-local's) with an instance's environment; resolves with its exit code (null when killed). */
function runCli(instance: FleetInstance, cli: 'GRACEFUL_ELB_CLI' | 'GRACEFUL_ELB_LOCAL_CLI', args: readonly string[], boundSeconds: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(String(instance.env.GRACEFUL_ELB_NODE), [String(instance.env[cli]), ...args], { env: instance.env, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), boundSeconds * 1000);
    timer.unref();
    child.once('error', () => {
      clearTimeout(timer);
      resolve(null);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}
