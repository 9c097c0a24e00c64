import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './waitFor.js';

export interface Forked {
  readonly child: ChildProcess;
  /** Every stdout line that parsed as JSON (fixture events and the library's pino lines). */
  readonly lines: Array<Record<string, unknown>>;
  readonly stderr: () => string;
  /** IPC messages from the child (lifecycle messages and 'ready'). */
  readonly messages: unknown[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Waits for a line matching `predicate` and returns it. */
  line(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number, what?: string): Promise<Record<string, unknown>>;
  kill(): void;
}

export const FIXTURE_APP = fileURLToPath(new URL('../fixtures/app.ts', import.meta.url));

/**
 * Forks `script` (a .ts fixture through tsx, or a .mjs) with an IPC channel, as a supervisor would. `onLine` sees
 * each JSON line as soon as it is read (`line()` polls, so it may see it up to one poll later).
 */
export function fork(script: string, env: Record<string, string>, onLine?: (line: Record<string, unknown>) => void): Forked {
  const args = script.endsWith('.ts') ? ['--import', 'tsx', script] : [script];
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const messages: unknown[] = [];
  child.on('message', (message) => messages.push(message));
  let buffer = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) !== -1) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let line: unknown;
      try {
        line = JSON.parse(text);
      } catch {
        continue; // not JSON: ignore
      }
      if (typeof line !== 'object' || line === null) continue;
      lines.push(line as Record<string, unknown>);
      onLine?.(line as Record<string, unknown>);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return {
    child,
    lines,
    messages,
    stderr: () => stderr,
    exited,
    async line(predicate, timeoutMs = 20_000, what = 'a log line') {
      await waitFor(what, () => lines.some(predicate) || child.exitCode !== null, timeoutMs);
      const found = lines.find(predicate);
      if (found === undefined) throw new Error(`child exited (${child.exitCode}) before ${what}; stderr: ${stderr.slice(-2000)}`);
      return found;
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
