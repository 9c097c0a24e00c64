import type { Logger } from 'pino';
import { EXIT_CODES } from '../exitCodes.js';
import type { Env } from '../options.js';
import type { RetryPolicy } from '../retry.js';
import { createAutoScalingApi, type AutoScalingApi } from './autoScalingApi.js';
import { createImdsReader } from './imdsReader.js';
import { startTerminationAction } from './lifecycleAction.js';
import { watchTargetLifecycleState } from './lifecycleWatcher.js';
import type { ResolvedNoticeOptions } from './noticeOptions.js';
import { watchSpot, type SpotNotice } from './spotWatcher.js';

/** What the lifecycle does when the instance is told to go (gracefulElb.ts implements these). */
export interface InstanceNoticeHooks {
  /** Leave, drain, close, run `afterClose`, exit with `exitCode` (the supervisor does not restart it). */
  leaveForGood(input: { reason: string; exitCode: number; drainBoundSeconds?: number; afterClose?: () => Promise<void> }): void;
  /** Standby or Detached: leave the balancers, keep serving. */
  pause(reason: string): void;
  /** InService again after a pause: join the balancers again. */
  resume(reason: string): void;
}

/** The Auto Scaling and Spot side of one instance's lifecycle. */
export interface InstanceNotices {
  /** Starts the IMDS watchers (once the instance is in service). */
  watch(): void;
  /** Standby deployments: ExitStandby before joining, when the instance is in Standby. Never throws. */
  beforeJoin(signal: AbortSignal): Promise<void>;
  /** Standby deployments: EnterStandby before leaving on a signal. Never throws. */
  beforeLeave(signal: AbortSignal): Promise<void>;
  /** A shutdown started: no more notices (a termination's heartbeats go on until it completes). */
  stopWatching(): void;
  close(): void;
}

export interface InstanceNoticesInput {
  readonly options: ResolvedNoticeOptions;
  readonly instanceId: string;
  readonly region: string | undefined;
  readonly env: Env;
  readonly imdsTimeoutMs: number;
  readonly apiTimeoutMs: number;
  readonly retry: RetryPolicy;
  /** Kept free at the end of a Spot notice's two minutes for closing (the grace period and a margin). */
  readonly closeReserveMs: number;
  readonly log: Logger;
  readonly hooks: InstanceNoticeHooks;
}

// Target lifecycle states that take the instance out of service without terminating it (the warm pool's included).
const PAUSED = /^(Standby|Detached|Warmed:.*)$/;

/**
 * Follows what AWS tells the instance through IMDS: the Auto Scaling target lifecycle state (Terminated → leave for
 * good and complete the termination hook; Standby/Detached → leave; InService again → rejoin) and Spot notices
 * (leave at once, everything inside the two minutes). The Auto Scaling SDK is loaded only when a call is needed.
 */
export function createInstanceNotices(input: InstanceNoticesInput): InstanceNotices {
  const { options, log, hooks } = input;
  const watching = new AbortController();
  let api: AutoScalingApi | undefined;
  const autoScalingApi = (): AutoScalingApi =>
    (api ??= createAutoScalingApi({
      instanceId: input.instanceId,
      region: input.region,
      apiTimeoutMs: input.apiTimeoutMs,
      retry: input.retry,
      client: options.client,
      onRetry: ({ attempt, delayMs, error }) => log.warn({ phase: 'auto-scaling', attempt, delayMs, err: error }, 'Auto Scaling API call failed; retrying'),
    }));
  let terminating = false;
  let stopHeartbeats: (() => void) | undefined;
  let paused = false;

  const onTargetState = (state: string, previous: string | undefined): void => {
    log.info({ phase: 'auto-scaling', targetLifecycleState: state, previous }, `target lifecycle state: ${state}`);
    if (terminating) return;
    if (state === 'Terminated') {
      terminating = true;
      const action = startTerminationAction({ api: autoScalingApi(), groupName: options.autoScaling?.groupName, hookName: options.autoScaling?.terminationHookName, log });
      stopHeartbeats = () => action.stop();
      hooks.leaveForGood({
        reason: 'Auto Scaling: target lifecycle state Terminated',
        exitCode: EXIT_CODES.autoScalingTerminated,
        afterClose: async () => {
          await action.complete();
        },
      });
    } else if (PAUSED.test(state)) {
      paused = true;
      hooks.pause(`Auto Scaling: target lifecycle state ${state}`);
    } else if (state === 'InService' && paused) {
      paused = false;
      hooks.resume('Auto Scaling: target lifecycle state InService');
    }
  };

  const onSpotNotice = (notice: SpotNotice): void => {
    if (terminating) return;
    terminating = true;
    const leftMs = notice.time.getTime() - Date.now();
    const drainBoundSeconds = notice.kind === 'interruption' ? Math.max(0, (leftMs - input.closeReserveMs) / 1000) : undefined;
    const what = notice.kind === 'interruption' ? `Spot interruption notice (${notice.action ?? 'terminate'} at ${notice.time.toISOString()})` : 'EC2 rebalance recommendation';
    log.warn({ phase: 'spot', kind: notice.kind, action: notice.action, time: notice.time, msLeft: leftMs, drainBoundSeconds }, what);
    hooks.leaveForGood({ reason: what, exitCode: EXIT_CODES.spotInterrupted, ...(drainBoundSeconds !== undefined && { drainBoundSeconds }) });
  };

  // One line at startup for an instance with nothing to watch: says why IMDS is no longer asked.
  const ended = (watcher: string) => (end: string) => {
    if (end !== 'notice') log.info({ phase: watcher, end }, `${watcher} watch ended: ${end}`);
  };
  const failed = (watcher: string) => (error: unknown) => {
    if (!watching.signal.aborted) log.error({ phase: watcher, err: error }, `${watcher} watch failed`);
  };
  const readError = (watcher: string) => (error: unknown) => log.debug({ phase: watcher, err: error }, 'IMDS read failed; asking again at the next interval');

  const standbyGroup = async (signal: AbortSignal): Promise<{ group: string; lifecycleState: string } | undefined> => {
    if (options.autoScaling?.deploymentLeave !== 'standby') return undefined;
    const found = await autoScalingApi().describeInstance(signal);
    return { group: options.autoScaling.groupName ?? found.group, lifecycleState: found.lifecycleState };
  };

  return {
    watch() {
      if (input.env.AWS_EC2_METADATA_DISABLED?.trim().toLowerCase() === 'true') {
        log.info({ phase: 'auto-scaling' }, 'IMDS is disabled (AWS_EC2_METADATA_DISABLED=true): no Auto Scaling or Spot notices are watched');
        return;
      }
      const reader = createImdsReader({ env: input.env, timeoutMs: input.imdsTimeoutMs });
      if (options.autoScaling !== undefined) {
        watchTargetLifecycleState({ reader, intervalMs: options.intervalMs, signal: watching.signal, onState: onTargetState, onReadError: readError('auto-scaling') }).then(
          ended('auto-scaling'),
          failed('auto-scaling'),
        );
      }
      if (options.spot !== undefined) {
        watchSpot({ reader, intervalMs: options.intervalMs, rebalance: options.spot.rebalance, signal: watching.signal, onNotice: onSpotNotice, onReadError: readError('spot') }).then(ended('spot'), failed('spot'));
      }
    },
    async beforeJoin(signal) {
      try {
        const found = await standbyGroup(signal);
        if (found === undefined || (found.lifecycleState !== 'Standby' && found.lifecycleState !== 'EnteringStandby')) return;
        await autoScalingApi().exitStandby(found.group, signal);
        log.info({ phase: 'exit-standby', group: found.group }, 'left Standby (ExitStandby): the group registers the instance with its attached balancers again');
      } catch (error) {
        if (!signal.aborted) log.error({ phase: 'exit-standby', err: error }, 'could not leave Standby; joining the balancers anyway');
      }
    },
    async beforeLeave(signal) {
      if (terminating) return;
      try {
        const found = await standbyGroup(signal);
        if (found === undefined || found.lifecycleState !== 'InService') return;
        await autoScalingApi().enterStandby(found.group, signal);
        log.info({ phase: 'enter-standby', group: found.group }, 'entered Standby (EnterStandby): the group neither health-checks nor replaces the instance while it is away');
      } catch (error) {
        if (!signal.aborted) log.error({ phase: 'enter-standby', err: error }, 'could not enter Standby; leaving the balancers anyway');
      }
    },
    stopWatching() {
      watching.abort();
    },
    close() {
      watching.abort();
      stopHeartbeats?.();
    },
  };
}
