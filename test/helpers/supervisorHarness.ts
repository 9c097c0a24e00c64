// Runs the built CLI (dist/cli.js) as a hook would, and cleans up every supervisor a test started.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import type { SupervisorState } from '../../src/supervisor/stateFile.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliPath = join(repoRoot, 'dist', 'cli.js');
export const fixtureApp = join(repoRoot, 'test', 'fixtures', 'lifecycle-app.mjs');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/** Runs `node dist/cli.js …args` to its end (killed after timeoutMs) and collects its output. */
export function runCli(
  args: string[],
  { env = {}, timeoutMs = 60_000, cwd = repoRoot }: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<CliResult> {
  return runCommand(process.execPath, [cliPath, ...args], { env, timeoutMs, cwd });
}

/** Runs any command (a hook script) the same way. */
export function runCommand(
  file: string,
  args: string[],
  { env = {}, timeoutMs = 60_000, cwd = repoRoot }: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<CliResult> {
  const startedAt = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    // 'close', not 'exit': the output is complete only once the pipes have closed.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, elapsedMs: Date.now() - startedAt });
    });
  });
}

/** A fresh state dir, removed after the test with every process a supervisor in it left running. */
export function tempStateDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'graceful-elb-test-'));
  t.after(() => {
    for (const name of safeReaddir(dir)) {
      const state = readState(dir, name);
      for (const pid of [state?.app.process?.pid, state?.supervisor.pid]) {
        if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL');
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

export function readState(stateDir: string, name = 'app'): SupervisorState | undefined {
  try {
    return JSON.parse(readFileSync(join(stateDir, name, 'state.json'), 'utf8')) as SupervisorState;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (dead, not reaped yet) still answers signal 0.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '');
  } catch {
    return false;
  }
}


export function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
