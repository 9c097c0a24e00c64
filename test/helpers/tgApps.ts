// Forked apps behind ALB target groups on the local ELB (the library configured by env alone, as ops would) and
// load through an ALB listener: shared by test/tg-rolling.test.ts and test/tg-ruleRouting.test.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent } from 'node:http';
import { fileURLToPath } from 'node:url';
import { fetchText, type TgSetup } from './tgLocalElb.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/tg-app.ts', import.meta.url));

export interface App {
  child: ChildProcess;
  port: number;
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: string[];
}

export function startApp(setup: TgSetup, instanceId: string, args = ['--import', 'tsx', FIXTURE], extraEnv: Record<string, string> = {}): App {
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: {
      PATH: process.env.PATH,
      ...setup.lb.env,
      AWS_EC2_METADATA_DISABLED: 'true',
      GRACEFUL_ELB_TARGET_GROUP_ARNS: setup.arns['web-tg'],
      GRACEFUL_ELB_INSTANCE_ID: instanceId,
      GRACEFUL_ELB_DRAIN_SECONDS: '30',
      ...extraEnv,
    },
  });
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const app = { child, port: 0, output } as App;
  app.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  app.ready = new Promise<void>((resolve, reject) => {
    child.on('message', (message: unknown) => {
      if (message === 'ready') resolve();
      const m = message as { type?: string; port?: number; state?: string };
      if (m.type === 'fixture:listening') app.port = m.port ?? 0;
      if (m.state === 'failed') reject(new Error(`${instanceId} failed to start:\n${output.join('')}`));
    });
    void app.exited.then(({ code }) => reject(new Error(`${instanceId} exited (${code}) before ready:\n${output.join('')}`)));
  });
  app.ready.catch(() => undefined);
  return app;
}

/** Requests to `url`/work?ms=25 (or `path`) from `concurrency` keep-alive clients until stopped; every failure recorded. */
export function startLoad(url: string, concurrency: number, path = '/work?ms=25'): { stop(): Promise<{ ok: number; failures: string[]; byProcess: Map<string, number> }> } {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const byProcess = new Map<string, number>();
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      try {
        const { status, body } = await fetchText(`${url}${path}`, agent);
        if (status === 200) {
          ok++;
          byProcess.set(body, (byProcess.get(body) ?? 0) + 1);
        } else failures.push(`HTTP ${status}`);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return { ok, failures, byProcess };
    },
  };
}

