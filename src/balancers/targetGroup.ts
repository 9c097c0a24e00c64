import {
  DeregisterTargetsCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { BalancerApiError } from './errors.js';
import type { ElbV2Client } from '../options.js';
import { retry, type RetryHooks, type RetryPolicy } from '../retry.js';
import type { Balancer, BalancerView } from './balancer.js';
import { parseTargetGroupArn } from './targetGroupArn.js';

export interface TargetGroupInput {
  readonly client: ElbV2Client;
  readonly targetGroupArn: string;
  readonly instanceId: string;
  /** The port the balancer sends this target's traffic and health checks to. */
  readonly port: number;
  readonly retry: RetryPolicy;
  /** Called before each retry wait (the lifecycle logs the throttling with the group's label). */
  readonly onRetry?: RetryHooks['onRetry'];
}

// DescribeTargetHealth about an instance the group does not know: AWS answers InvalidTarget.
const NOT_REGISTERED_ERRORS = new Set(['InvalidTargetException', 'InvalidTarget']);
const DEREGISTRATION_DELAY = 'deregistration_delay.timeout_seconds';
const IDLE_TIMEOUT = 'idle_timeout.timeout_seconds';

/** An ELBv2 (ALB/NLB) target group membership of this instance: the target `instanceId:port`. */
export function createTargetGroup(input: TargetGroupInput): Balancer {
  const { client, targetGroupArn, instanceId, port } = input;
  const label = targetGroupLabel(targetGroupArn);
  const targets = [{ Id: instanceId, Port: port }];
  let deregistrationDelay: Promise<number | undefined> | undefined;
  let idleTimeout: Promise<number | undefined> | undefined;

  const withRetry = async <T>(action: string, signal: AbortSignal | undefined, call: () => Promise<T>): Promise<T> => {
    try {
      return await retry(call, input.retry, { signal, onRetry: input.onRetry });
    } catch (error) {
      throw new BalancerApiError(label, action, { cause: error });
    }
  };

  // Settings the lifecycle can live without (an IAM policy may not allow reading them): read once, retried like
  // every call (a fleet deploying at once is throttled on these too), and any failure reads as "unknown".
  const readDeregistrationDelay = (signal?: AbortSignal): Promise<number | undefined> => {
    deregistrationDelay ??= withRetry('DescribeTargetGroupAttributes', signal, () =>
      client.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn }), { abortSignal: signal }),
    ).then(
      (out) => secondsOf(out.Attributes?.find((a) => a.Key === DEREGISTRATION_DELAY)?.Value),
      () => undefined,
    );
    return deregistrationDelay;
  };

  // The ALB's idle timeout lives on the load balancer, not the group: group → its balancers → their attributes.
  // With several balancers in front of one group, the longest idle timeout is the one keep-alive must outlive.
  const readIdleTimeout = (signal?: AbortSignal): Promise<number | undefined> => {
    idleTimeout ??= (async () => {
      const groups = await withRetry('DescribeTargetGroups', signal, () =>
        client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [targetGroupArn] }), { abortSignal: signal }),
      );
      const balancerArns = groups.TargetGroups?.[0]?.LoadBalancerArns ?? [];
      const seconds = await Promise.all(
        balancerArns.map(async (arn) => {
          const out = await withRetry('DescribeLoadBalancerAttributes', signal, () =>
            client.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn }), { abortSignal: signal }),
          );
          // NLBs have no HTTP idle timeout attribute: they do not pool connections to the target.
          return secondsOf(out.Attributes?.find((a) => a.Key === IDLE_TIMEOUT)?.Value);
        }),
      );
      const known = seconds.filter((s): s is number => s !== undefined);
      return known.length > 0 ? Math.max(...known) : undefined;
    })().catch(() => undefined);
    return idleTimeout;
  };

  return {
    label,
    ref: { targetGroupArn, port },
    register: (signal) =>
      withRetry('RegisterTargets', signal, () =>
        client.send(new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: targets }), { abortSignal: signal }),
      ).then(() => undefined),
    deregister: (signal) =>
      withRetry('DeregisterTargets', signal, () =>
        client.send(new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: targets }), { abortSignal: signal }),
      ).then(() => undefined),
    async view(signal): Promise<BalancerView> {
      try {
        const out = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn, Targets: targets }), { abortSignal: signal });
        const health = out.TargetHealthDescriptions?.find((d) => d.Target?.Id === instanceId && (d.Target.Port ?? port) === port)?.TargetHealth;
        // Right after RegisterTargets, AWS may still answer `unused` (DescribeTargetHealth is eventually
        // consistent): it reads as "not in service yet" and the caller polls again.
        const state = health?.State ?? 'unused';
        const description = [health?.Reason, health?.Description].filter(Boolean).join(': ') || undefined;
        // Only `healthy` receives new requests. After DeregisterTargets a target reads `draining` for the whole
        // deregistration delay (300 s by default) even when idle; the balancer sends it nothing new from the first
        // `draining` on, so that already counts as "not routing": the drain never waits for draining to end.
        const inService = state === 'healthy';
        return { inService, routing: inService, state, ...(description !== undefined && { description }) };
      } catch (error) {
        if (error instanceof Error && NOT_REGISTERED_ERRORS.has(error.name)) {
          return { inService: false, routing: false, state: 'NotRegistered', description: error.message };
        }
        throw new BalancerApiError(label, 'DescribeTargetHealth', { cause: error });
      }
    },
    idleTimeoutSeconds: readIdleTimeout,
    drainLimitSeconds: readDeregistrationDelay,
    // At the end of the deregistration delay the balancer closes every connection to the target: there is nothing
    // left to drain for this group after it, whatever drainSeconds says.
    maxDrainSeconds: readDeregistrationDelay,
  };
}

/** `target-group/<name>`, for logs and errors. */
export function targetGroupLabel(targetGroupArn: string): string {
  return `target-group/${parseTargetGroupArn(targetGroupArn)?.name ?? targetGroupArn}`;
}

function secondsOf(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}
