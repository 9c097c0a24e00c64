import { ValidateFailedError } from './errors.js';
import { SUPERVISOR_DEFAULTS } from './defaults.js';
import { describeExit } from './describeExit.js';
import { pollUntil } from './pollUntil.js';
import { isProcessRunning } from './processIdentity.js';
import { readState, type SupervisorState } from './stateFile.js';
import type { StatePaths } from './statePaths.js';

export interface WaitForServiceOptions {
  paths: StatePaths;
  timeoutSeconds: number;
  /** Accept the library's no-balancer mode (state 'serving') as success. */
  allowNoBalancer: boolean;
  /** Told each new lifecycle state as it is seen. */
  onProgress?: (state: string) => void;
}

export interface WaitForServiceResult {
  state: SupervisorState;
  elapsedMs: number;
}

type Verdict = { ok: SupervisorState } | { fail: ValidateFailedError };

/**
 * Waits until the supervised app reports that every balancer has it in service. Fails at once, with the
 * reason, when that can no longer happen: the app reported 'failed', exited, is shutting down, or runs
 * without a balancer; fails after `timeoutSeconds` otherwise.
 */
export async function waitForService(options: WaitForServiceOptions): Promise<WaitForServiceResult> {
  const startedAt = Date.now();
  const first = readState(options.paths.state);
  if (!first) {
    throw new ValidateFailedError(
      'not-running',
      `Nothing is running: no state in ${options.paths.dir} (was \`graceful-elb start\` run with the same --state-dir and --name?)`,
    );
  }
  const baseline = { pid: first.app.process?.pid, restarts: first.app.restarts };
  let seen: string | undefined;
  let last = first;

  const verdict = await pollUntil<Verdict>(
    () => {
      const state = readState(options.paths.state) ?? last;
      last = state;
      const phase = state.lifecycle?.state;
      if (phase !== undefined && phase !== seen) {
        seen = phase;
        options.onProgress?.(phase);
      }
      return judge(state, baseline, options.allowNoBalancer);
    },
    { timeoutMs: options.timeoutSeconds * 1000, intervalMs: SUPERVISOR_DEFAULTS.pollIntervalMs },
  );
  if (verdict && 'ok' in verdict) return { state: verdict.ok, elapsedMs: Date.now() - startedAt };
  if (verdict) throw verdict.fail;

  const lifecycle = last.lifecycle;
  throw new ValidateFailedError(
    'timeout',
    lifecycle
      ? `Not in service after ${options.timeoutSeconds} s: the app has been '${lifecycle.state}' for ${Math.round((Date.now() - lifecycle.at) / 1000)} s (the balancer never reported it InService)`
      : `Not in service after ${options.timeoutSeconds} s: the app never reported a lifecycle state (does it call gracefulElb()? Was it started by \`graceful-elb start\`, which gives it the IPC channel?)`,
  );
}

function judge(
  state: SupervisorState,
  baseline: { pid: number | undefined; restarts: number },
  allowNoBalancer: boolean,
): Verdict | undefined {
  const fail = (reason: ValidateFailedError['reason'], message: string): Verdict => ({
    fail: new ValidateFailedError(reason, message),
  });
  const exit = state.lastExit;
  const how = exit ? `${describeExit(exit.code, exit.signal)} after ${exit.uptimeMs} ms` : 'exited';

  if (state.status === 'exited') return fail('app-exited', `The app is not running: ${state.reason ?? how}`);
  if (state.status === 'stopping' || state.status === 'stopped') {
    return fail('shutting-down', `The app is being stopped (supervisor status '${state.status}')`);
  }
  if (!isProcessRunning(state.supervisor)) {
    return fail('not-running', `The supervisor (pid ${state.supervisor.pid}) is not running (its last status: '${state.status}')`);
  }
  if (state.status === 'restarting' || state.app.process?.pid !== baseline.pid || state.app.restarts !== baseline.restarts) {
    return fail('app-exited', `The app (pid ${exit?.pid ?? baseline.pid}) ${how} during validation and is being restarted`);
  }

  // 'ready' alone also counts: apps that follow PM2's convention without the library send only that.
  if (state.lifecycle?.state === 'in-service' || (state.ready && state.lifecycle?.state !== 'serving')) return { ok: state };
  switch (state.lifecycle?.state) {
    case 'serving':
      return allowNoBalancer
        ? { ok: state }
        : fail(
            'no-balancer',
            "The app runs without a load balancer (state 'serving': no balancer configured or reachable); pass --allow-no-balancer if that is intended",
          );
    case 'failed': {
      const error = state.lifecycle.error;
      return fail('app-failed', `The app reported 'failed'${error ? `: ${error.code}: ${error.message}` : ''}`);
    }
    case 'leaving':
    case 'draining':
    case 'closing':
    case 'closed':
      return fail('shutting-down', `The app is shutting down (state '${state.lifecycle.state}')`);
    default:
      return undefined;
  }
}
