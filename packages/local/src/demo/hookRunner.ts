import { spawn } from 'node:child_process';
import { HookFailedError } from './errors.js';
import type { AppSpec, HookScript, LifecycleEvent } from './appSpec.js';

/** The deployment as CodeDeploy names it to every hook (its environment variables). */
export interface DeploymentIdentity {
  readonly deploymentId: string;
  readonly applicationName: string;
  readonly deploymentGroupName: string;
  readonly deploymentGroupId: string;
}

export interface HookEventReport {
  readonly instanceId: string;
  readonly event: LifecycleEvent;
  /** epoch ms */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly ok: boolean;
}

export interface RunHooksOptions {
  readonly appSpec: AppSpec;
  readonly instanceId: string;
  readonly deployment: DeploymentIdentity;
  /** The whole environment the scripts get, before CodeDeploy's own variables are added. */
  readonly env: NodeJS.ProcessEnv;
  /** Receives every line the scripts print, already prefixed with the event; for a per-instance log. */
  readonly onOutput?: (line: string) => void;
  /** Called when an event starts and when it ends (for live progress and the timeline). */
  readonly onEvent?: (report: { instanceId: string; event: LifecycleEvent; phase: 'start' | 'end'; at: number; ok?: boolean }) => void;
  /** Receives each event's report as it ends, so a caller keeps what ran even when a later script fails. */
  readonly reports?: HookEventReport[];
  /** Aborting kills the running script's process group. */
  readonly signal?: AbortSignal;
  readonly now?: () => number;
}

/** How much of a script's output is kept for the error message. */
const OUTPUT_TAIL_BYTES = 4096;
/**
 * After a script exits, how long its output pipes may stay open. A script that leaves a background process
 * holding them (a server started without redirecting its output) makes CodeDeploy's agent wait until the
 * hook's timeout; we stop waiting, and say so in the output.
 */
const PIPE_LINGER_MS = 500;

/**
 * Runs the given lifecycle events on one instance, in order, each event's scripts in appspec order, as the
 * CodeDeploy agent does: the CodeDeploy variables in the environment, each script bounded by its `timeout`,
 * and the first failing script failing the instance (a HookFailedError naming the instance, event and script;
 * later events do not run). Events the appspec leaves out are skipped.
 */
export async function runHooks(options: RunHooksOptions, events: readonly LifecycleEvent[]): Promise<HookEventReport[]> {
  const now = options.now ?? Date.now;
  const reports = options.reports ?? [];
  for (const event of events) {
    const scripts = options.appSpec.hooks[event];
    if (!scripts || scripts.length === 0) continue;
    const startedAt = now();
    options.onEvent?.({ instanceId: options.instanceId, event, phase: 'start', at: startedAt });
    try {
      for (const script of scripts) await runScript(options, event, script);
    } catch (err) {
      const endedAt = now();
      reports.push({ instanceId: options.instanceId, event, startedAt, endedAt, ok: false });
      options.onEvent?.({ instanceId: options.instanceId, event, phase: 'end', at: endedAt, ok: false });
      throw err;
    }
    const endedAt = now();
    reports.push({ instanceId: options.instanceId, event, startedAt, endedAt, ok: true });
    options.onEvent?.({ instanceId: options.instanceId, event, phase: 'end', at: endedAt, ok: true });
  }
  return reports;
}

function runScript(options: RunHooksOptions, event: LifecycleEvent, script: HookScript): Promise<void> {
  const { deployment } = options;
  const env: NodeJS.ProcessEnv = {
    ...options.env,
    LIFECYCLE_EVENT: event,
    DEPLOYMENT_ID: deployment.deploymentId,
    APPLICATION_NAME: deployment.applicationName,
    DEPLOYMENT_GROUP_NAME: deployment.deploymentGroupName,
    DEPLOYMENT_GROUP_ID: deployment.deploymentGroupId,
  };
  const fail = (details: { exitCode: number | null; signal: string | null; timedOut: boolean; tail: string; cause?: unknown }): HookFailedError =>
    new HookFailedError({
      instanceId: options.instanceId,
      event,
      script: script.location,
      exitCode: details.exitCode,
      signal: details.signal,
      timedOut: details.timedOut,
      timeoutSeconds: script.timeoutSeconds,
      outputTail: details.tail,
      cause: details.cause,
    });

  return new Promise<void>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(fail({ exitCode: null, signal: 'aborted', timedOut: false, tail: '' }));
      return;
    }
    let tail = '';
    const output = (chunk: string): void => {
      tail = (tail + chunk).slice(-OUTPUT_TAIL_BYTES);
    };
    const lineSplitter = (): ((data: Buffer) => void) => {
      let partial = '';
      return (data) => {
        const text = data.toString('utf8');
        output(text);
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) options.onOutput?.(`${event} ${line}`);
      };
    };

    // Its own process group, so a timeout or an abort can end the script together with what it started
    // in the foreground (a daemon that detached itself into its own group survives, as on a real instance).
    const child = spawn(script.path, [], { cwd: options.appSpec.root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', lineSplitter());
    child.stderr.on('data', lineSplitter());

    let timedOut = false;
    let settled = false;
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, script.timeoutSeconds * 1000);
    timer.unref();
    const onAbort = (): void => killGroup();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (err: HookFailedError | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };

    child.on('error', (cause) => {
      // ENOENT (missing) or EACCES (not executable): CodeDeploy reports the script as failing too.
      finish(fail({ exitCode: null, signal: (cause as NodeJS.ErrnoException).code ?? 'spawn error', timedOut: false, tail, cause }));
    });
    child.on('exit', (code, signal) => {
      const settle = (): void => {
        if (timedOut) finish(fail({ exitCode: code, signal, timedOut: true, tail }));
        else if (options.signal?.aborted) finish(fail({ exitCode: code, signal: signal ?? 'aborted', timedOut: false, tail }));
        else if (code === 0) finish(undefined);
        else finish(fail({ exitCode: code, signal, timedOut: false, tail }));
      };
      if (child.stdout.readableEnded && child.stderr.readableEnded) {
        settle();
        return;
      }
      let pending = 2;
      const done = (): void => {
        if (--pending === 0) {
          clearTimeout(linger);
          settle();
        }
      };
      const linger = setTimeout(() => {
        options.onOutput?.(`${event} (a process started by ${script.location} still holds its output open; CodeDeploy's agent would wait for it until the timeout)`);
        child.stdout.destroy();
        child.stderr.destroy();
        settle();
      }, PIPE_LINGER_MS);
      linger.unref();
      for (const stream of [child.stdout, child.stderr]) {
        if (stream.readableEnded) {
          done();
          continue;
        }
        let counted = false;
        const mark = (): void => {
          if (counted) return;
          counted = true;
          done();
        };
        stream.once('end', mark).once('close', mark);
      }
    });
  });
}
