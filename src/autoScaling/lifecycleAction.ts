import type { Logger } from 'pino';
import type { AutoScalingApi } from './autoScalingApi.js';

/** The termination lifecycle action of this instance: heartbeats while it drains, CONTINUE once it has closed. */
export interface TerminationAction {
  /** Stops the heartbeats and completes every termination hook with CONTINUE. Never throws: failures are logged. */
  complete(): Promise<{ group: string | undefined; completed: string[] }>;
  /** Stops the heartbeats without completing (close()). */
  stop(): void;
}

export interface TerminationActionInput {
  readonly api: AutoScalingApi;
  /** From the options; else DescribeAutoScalingInstances. */
  readonly groupName: string | undefined;
  /** From the options; else every termination hook DescribeLifecycleHooks lists. */
  readonly hookName: string | undefined;
  readonly log: Logger;
}

// Heartbeats go out at half the shortest heartbeat timeout: one lost or slow call still leaves time for the next.
const HEARTBEAT_FRACTION = 0.5;
const MIN_HEARTBEAT_MS = 1000;
// A named hook whose timeout cannot be read (no DescribeLifecycleHooks permission): AWS's default timeout.
const DEFAULT_HEARTBEAT_TIMEOUT_SECONDS = 3600;

/**
 * Started when the target lifecycle state turns Terminated. The group holds the instance in Terminating:Wait until
 * every termination hook is completed or times out; a drain longer than a hook's heartbeat timeout would be cut by
 * the termination, so heartbeats restart the timeout until the process has closed, and then CONTINUE lets the
 * termination proceed at once instead of after the timeout.
 */
export function startTerminationAction(input: TerminationActionInput): TerminationAction {
  const { api, log } = input;
  const stopped = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const target = resolveTarget(input, stopped.signal).then(
    (resolved) => {
      const shortest = Math.min(...resolved.hooks.map((h) => h.heartbeatTimeoutSeconds));
      const everyMs = Math.max(MIN_HEARTBEAT_MS, shortest * 1000 * HEARTBEAT_FRACTION);
      log.info({ phase: 'lifecycle-action', group: resolved.group, hooks: resolved.hooks, heartbeatEveryMs: everyMs }, 'termination lifecycle action: heartbeats while draining');
      if (!stopped.signal.aborted && resolved.hooks.length > 0) {
        timer = setInterval(() => {
          for (const hook of resolved.hooks) {
            api.recordHeartbeat(resolved.group, hook.name, stopped.signal).then(
              () => log.debug({ phase: 'lifecycle-heartbeat', hook: hook.name }, 'lifecycle action heartbeat'),
              (error: unknown) => log.warn({ phase: 'lifecycle-heartbeat', hook: hook.name, err: error }, 'lifecycle action heartbeat failed'),
            );
          }
        }, everyMs);
        timer.unref();
      }
      return resolved;
    },
    (error: unknown) => {
      log.error({ phase: 'lifecycle-action', err: error }, 'cannot find the group or termination hook: the group will wait for the hook timeout');
      return undefined;
    },
  );

  return {
    async complete() {
      clearInterval(timer);
      const resolved = await target;
      if (resolved === undefined) return { group: undefined, completed: [] };
      const completed: string[] = [];
      for (const hook of resolved.hooks) {
        const started = Date.now();
        try {
          await api.completeLifecycleAction(resolved.group, hook.name, 'CONTINUE', stopped.signal);
          completed.push(hook.name);
          log.info({ phase: 'lifecycle-complete', group: resolved.group, hook: hook.name, result: 'CONTINUE', durationMs: Date.now() - started }, 'lifecycle action completed: CONTINUE');
        } catch (error) {
          log.error({ phase: 'lifecycle-complete', group: resolved.group, hook: hook.name, err: error }, 'CompleteLifecycleAction failed: the group will wait for the hook timeout');
        }
      }
      if (resolved.hooks.length === 0) log.info({ phase: 'lifecycle-complete', group: resolved.group }, 'no termination lifecycle hook on the group: nothing to complete');
      return { group: resolved.group, completed };
    },
    stop() {
      clearInterval(timer);
      stopped.abort();
    },
  };
}

async function resolveTarget(input: TerminationActionInput, signal: AbortSignal): Promise<{ group: string; hooks: Array<{ name: string; heartbeatTimeoutSeconds: number }> }> {
  const group = input.groupName ?? (await input.api.describeInstance(signal)).group;
  if (input.hookName === undefined) return { group, hooks: await input.api.terminationHooks(group, signal) };
  const timeout = await input.api.terminationHooks(group, signal).then(
    (hooks) => hooks.find((h) => h.name === input.hookName)?.heartbeatTimeoutSeconds,
    (error: unknown) => {
      input.log.warn({ phase: 'lifecycle-action', hook: input.hookName, err: error }, `cannot read the hook's heartbeat timeout; heartbeats assume ${DEFAULT_HEARTBEAT_TIMEOUT_SECONDS} s`);
      return undefined;
    },
  );
  return { group, hooks: [{ name: input.hookName, heartbeatTimeoutSeconds: timeout ?? DEFAULT_HEARTBEAT_TIMEOUT_SECONDS }] };
}
