import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { abortAfter } from '../abortAfter.js';
import { retry, type RetryHooks, type RetryPolicy } from '../retry.js';
import { AutoScalingApiError, NotInAutoScalingGroupError } from './errors.js';

/** Anything with the Auto Scaling SDK client's `send` (the client itself, or a wrapper). */
export type AutoScalingClientLike = Pick<AutoScalingClient, 'send'>;

/** The calls an instance makes about itself, each retried on throttling/5xx and wrapped in AutoScalingApiError. */
export interface AutoScalingApi {
  /** The instance's group and lifecycle state, as DescribeAutoScalingInstances reports them. */
  describeInstance(signal?: AbortSignal): Promise<{ group: string; lifecycleState: string }>;
  /** The group's termination lifecycle hooks (names and heartbeat timeouts). */
  terminationHooks(group: string, signal?: AbortSignal): Promise<Array<{ name: string; heartbeatTimeoutSeconds: number }>>;
  completeLifecycleAction(group: string, hook: string, result: 'CONTINUE' | 'ABANDON', signal?: AbortSignal): Promise<void>;
  recordHeartbeat(group: string, hook: string, signal?: AbortSignal): Promise<void>;
  enterStandby(group: string, signal?: AbortSignal): Promise<void>;
  exitStandby(group: string, signal?: AbortSignal): Promise<void>;
}

export interface AutoScalingApiInput {
  readonly instanceId: string;
  readonly region: string | undefined;
  readonly apiTimeoutMs: number;
  readonly retry: RetryPolicy;
  readonly onRetry?: RetryHooks['onRetry'];
  /** The caller's own client; else one from the SDK's standard chain (AWS_ENDPOINT_URL_AUTO_SCALING, role, …). */
  readonly client?: AutoScalingClientLike | undefined;
}

// AWS's default for a hook's HeartbeatTimeout, when DescribeLifecycleHooks leaves it out.
const DEFAULT_HEARTBEAT_TIMEOUT_SECONDS = 3600;

/**
 * The Auto Scaling API for one instance. The SDK is imported here, on the first call, never at import time: only
 * instances that leave through Auto Scaling (a scale-in, Standby deployments) pay for loading it.
 */
export function createAutoScalingApi(input: AutoScalingApiInput): AutoScalingApi {
  const { instanceId } = input;
  let loaded: Promise<{ sdk: typeof import('@aws-sdk/client-auto-scaling'); client: AutoScalingClientLike }> | undefined;
  const load = (): NonNullable<typeof loaded> =>
    (loaded ??= import('@aws-sdk/client-auto-scaling').then((sdk) => ({
      sdk,
      client:
        input.client ??
        new sdk.AutoScalingClient({
          ...(input.region !== undefined && { region: input.region }),
          // One attempt per call: the library's full-jitter retry is the only loop (as for the balancer clients).
          maxAttempts: 1,
          requestHandler: { connectionTimeout: input.apiTimeoutMs, requestTimeout: input.apiTimeoutMs },
        }),
    })));
  type Run<T> = (loadedSdk: Awaited<NonNullable<typeof loaded>>, options: { abortSignal: AbortSignal }) => Promise<T>;
  const call = async <T>(action: string, group: string | undefined, signal: AbortSignal | undefined, run: Run<T>): Promise<T> => {
    try {
      const loadedSdk = await load();
      return await retry(
        async () => {
          // Each attempt bounded: the SDK's requestTimeout alone does not end a call to an endpoint that never answers.
          const attempt = abortAfter(signal ?? new AbortController().signal, input.apiTimeoutMs);
          try {
            return await run(loadedSdk, { abortSignal: attempt.signal });
          } finally {
            attempt.dispose();
          }
        },
        input.retry,
        { signal, onRetry: input.onRetry },
      );
    } catch (error) {
      throw new AutoScalingApiError(action, group, { cause: error });
    }
  };

  return {
    async describeInstance(signal) {
      const found = await call('DescribeAutoScalingInstances', undefined, signal, ({ sdk, client }, options) =>
        client.send(new sdk.DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }), options),
      );
      const details = found.AutoScalingInstances?.find((i) => i.InstanceId === instanceId);
      if (details?.AutoScalingGroupName === undefined) throw new NotInAutoScalingGroupError(instanceId);
      return { group: details.AutoScalingGroupName, lifecycleState: details.LifecycleState ?? 'unknown' };
    },
    async terminationHooks(group, signal) {
      const answer = await call('DescribeLifecycleHooks', group, signal, ({ sdk, client }, options) =>
        client.send(new sdk.DescribeLifecycleHooksCommand({ AutoScalingGroupName: group }), options),
      );
      return (answer.LifecycleHooks ?? [])
        .filter((h) => h.LifecycleTransition === 'autoscaling:EC2_INSTANCE_TERMINATING' && h.LifecycleHookName !== undefined)
        .map((h) => ({ name: h.LifecycleHookName!, heartbeatTimeoutSeconds: h.HeartbeatTimeout ?? DEFAULT_HEARTBEAT_TIMEOUT_SECONDS }));
    },
    async completeLifecycleAction(group, hook, result, signal) {
      await call('CompleteLifecycleAction', group, signal, ({ sdk, client }, options) =>
        client.send(new sdk.CompleteLifecycleActionCommand({ AutoScalingGroupName: group, LifecycleHookName: hook, InstanceId: instanceId, LifecycleActionResult: result }), options),
      );
    },
    async recordHeartbeat(group, hook, signal) {
      await call('RecordLifecycleActionHeartbeat', group, signal, ({ sdk, client }, options) =>
        client.send(new sdk.RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: group, LifecycleHookName: hook, InstanceId: instanceId }), options),
      );
    },
    async enterStandby(group, signal) {
      await call('EnterStandby', group, signal, ({ sdk, client }, options) =>
        // Decrement: a deployment is no reason to launch a replacement.
        client.send(new sdk.EnterStandbyCommand({ AutoScalingGroupName: group, InstanceIds: [instanceId], ShouldDecrementDesiredCapacity: true }), options),
      );
    },
    async exitStandby(group, signal) {
      await call('ExitStandby', group, signal, ({ sdk, client }, options) =>
        client.send(new sdk.ExitStandbyCommand({ AutoScalingGroupName: group, InstanceIds: [instanceId] }), options),
      );
    },
  };
}
