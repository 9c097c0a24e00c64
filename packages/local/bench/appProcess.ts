import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEMO_BALANCER, demoBalancerConfig } from '../src/demo/balancerConfig.js';
import { DEMO_DEFAULTS } from '../src/demo/defaults.js';
import { DEMO_APP_SCRIPT, demoInstanceId } from '../src/demo/fleet.js';
import { freePort } from '../src/freePort.js';
import { startLocalElb, type LocalElb } from '../src/mock/localElb.js';

/** One example app started directly (no supervisor), with or without the library, behind a local ELB of its own. */
export interface BenchApp {
  readonly port: number;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  stop(): Promise<void>;
}

export async function startBenchBalancer(drainSeconds: number, instances: Record<string, string>): Promise<LocalElb> {
  return startLocalElb({
    config: demoBalancerConfig(drainSeconds),
    listenerPorts: 'ephemeral',
    propagationDelayMs: DEMO_DEFAULTS.propagationDelayMs,
    instances,
    imds: { requireToken: false },
    logger: false,
  });
}

/** Starts examples/app.mjs; with the library, resolves once the balancer routes to it. */
export async function startBenchApp(options: {
  libraryRoot: string;
  lb: LocalElb;
  index: number;
  port: number;
  library: boolean;
  drainSeconds: number;
}): Promise<BenchApp> {
  const id = demoInstanceId(options.index);
  options.lb.setInstanceAddress(id, `127.0.0.1:${options.port}`);
  const child = spawn(process.execPath, [join(options.libraryRoot, DEMO_APP_SCRIPT)], {
    env: {
      PATH: process.env.PATH,
      ...options.lb.env,
      HOST: '127.0.0.1',
      PORT: String(options.port),
      GRACEFUL_ELB_INSTANCE_ID: id,
      GRACEFUL_ELB_NAME: DEMO_BALANCER,
      GRACEFUL_ELB_DRAIN_SECONDS: String(options.drainSeconds),
      ...(options.library ? {} : { GRACEFUL_ELB_DISABLE: '1' }),
    },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  await until(async () => (await status(`http://127.0.0.1:${options.port}/ping`)) === 200, 20_000, 'the app answers /ping');
  if (options.library) {
    await until(
      async () => options.lb.status().classic.find((b) => b.name === DEMO_BALANCER)?.instances.some((i) => i.instanceId === id && i.routing) ?? false,
      30_000,
      `the balancer routes to ${id}`,
    );
  }
  return {
    port: options.port,
    child,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

export { freePort };

/**
 * CPU time (user + system) a process has used so far, in ms, from /proc (Linux; undefined elsewhere). Its
 * resolution is one clock tick (10 ms), fine over runs of seconds.
 */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name (which may contain spaces, hence the last ')'): utime and stime are 14 and 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux architecture Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

function status(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/**
 * CPU time a process has been running so far, in µs, summed over its threads (V8's and libuv's included) from
 * /proc/<pid>/task/<tid>/schedstat, which counts in ns where /proc/<pid>/stat counts 10 ms ticks: a per-request
 * difference of 1 % needs that resolution. Undefined off Linux or without schedstat.
 */
export function processCpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // Node's threads (main, V8 platform, libuv pool) live as long as the process; one gone since the listing is skipped.
      }
    }
    return Number.isFinite(ns) && ns > 0 ? ns / 1000 : undefined;
  } catch {
    return undefined;
  }
}
