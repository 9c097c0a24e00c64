import { DescribeInstanceHealthCommand, DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing';
import { DescribeTargetGroupsCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DiscoveryError } from './errors.js';
import type { ElbClient, ElbV2Client } from '../options.js';
import { retry, type RetryHooks, type RetryPolicy } from '../retry.js';
import { mergeMemberships, type Memberships } from './memberships.js';

export interface DiscoveryInput {
  readonly classicClient: ElbClient;
  readonly v2Client: ElbV2Client;
  readonly instanceId: string;
  readonly retry: RetryPolicy;
  readonly onRetry?: RetryHooks['onRetry'];
  readonly signal?: AbortSignal;
}

// The largest page both APIs allow: fewer calls for a big account, which matters when a whole fleet discovers at once.
const PAGE_SIZE = 400;
// Per-group Describe calls run this many at a time: enough to be quick, few enough not to be throttled on our own.
const CONCURRENCY = 4;
const DEREGISTRATION_IN_PROGRESS = /deregistration currently in progress/i;
// A target on its way out (or already gone) is not a membership to remember: someone deregistered it on purpose.
const LEAVING_STATES = new Set(['draining', 'unhealthy.draining']);
const NOT_REGISTERED_REASON = 'Target.NotRegistered';

/**
 * Every Classic ELB and every target group that holds `instanceId` now. Classic: DescribeLoadBalancers (paged)
 * lists the registered instances; DescribeInstanceHealth drops one whose deregistration is in progress. ELBv2:
 * DescribeTargetGroups (paged, `instance` target type only) then DescribeTargetHealth per group; a draining
 * target does not count. Each call is retried with the library's full-jitter policy; a call that fails for good
 * fails the whole discovery (a balancer silently missed would be a balancer never left: dropped requests).
 */
export async function discoverMemberships(input: DiscoveryInput): Promise<Memberships> {
  const [elbNames, targetGroups] = await Promise.all([discoverClassic(input), discoverTargetGroups(input)]);
  return mergeMemberships({ elbNames, targetGroups });
}

async function discoverClassic(input: DiscoveryInput): Promise<string[]> {
  const { classicClient: client, instanceId, signal } = input;
  const pages = await allPages((marker) =>
    call(input, 'DescribeLoadBalancers', () =>
      client.send(new DescribeLoadBalancersCommand({ PageSize: PAGE_SIZE, ...(marker !== undefined && { Marker: marker }) }), { abortSignal: signal }),
    ),
  );
  const candidates = pages
    .flatMap((page) => page.LoadBalancerDescriptions ?? [])
    .filter((lb) => lb.Instances?.some((i) => i.InstanceId === instanceId))
    .flatMap((lb) => (lb.LoadBalancerName === undefined ? [] : [lb.LoadBalancerName]));

  const kept = await mapLimit(candidates, async (name) => {
    const health = await call(input, 'DescribeInstanceHealth', () =>
      client.send(new DescribeInstanceHealthCommand({ LoadBalancerName: name, Instances: [{ InstanceId: instanceId }] }), { abortSignal: signal }),
    );
    const state = health.InstanceStates?.find((s) => s.InstanceId === instanceId);
    return !DEREGISTRATION_IN_PROGRESS.test(state?.Description ?? '');
  });
  return candidates.filter((_, i) => kept[i]);
}

async function discoverTargetGroups(input: DiscoveryInput): Promise<Array<{ targetGroupArn: string; port: number }>> {
  const { v2Client: client, instanceId, signal } = input;
  const pages = await allPages((marker) =>
    call(input, 'DescribeTargetGroups', () =>
      client.send(new DescribeTargetGroupsCommand({ PageSize: PAGE_SIZE, ...(marker !== undefined && { Marker: marker }) }), { abortSignal: signal }),
    ),
  );
  const arns = pages
    .flatMap((page) => page.TargetGroups ?? [])
    // `ip`, `lambda` and `alb` groups hold addresses, functions and balancers, never an instance id.
    .filter((tg) => (tg.TargetType ?? 'instance') === 'instance')
    .flatMap((tg) => (tg.TargetGroupArn === undefined ? [] : [tg.TargetGroupArn]));

  const perGroup = await mapLimit(arns, async (arn) => {
    const health = await call(input, 'DescribeTargetHealth', () =>
      client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }), { abortSignal: signal }),
    );
    return (health.TargetHealthDescriptions ?? []).flatMap((d) => {
      const state = d.TargetHealth?.State ?? '';
      if (d.Target?.Id !== instanceId || d.Target.Port === undefined) return [];
      if (LEAVING_STATES.has(state) || d.TargetHealth?.Reason === NOT_REGISTERED_REASON) return [];
      return [{ targetGroupArn: arn, port: d.Target.Port }];
    });
  });
  return perGroup.flat();
}

async function call<T>(input: DiscoveryInput, action: string, send: () => Promise<T>): Promise<T> {
  try {
    return await retry(send, input.retry, { signal: input.signal, onRetry: input.onRetry });
  } catch (error) {
    throw new DiscoveryError(action, { cause: error });
  }
}

/** Every page of a Marker/NextMarker listing (both ELB APIs page this way; the last page has no NextMarker). */
async function allPages<P extends { NextMarker?: string | undefined }>(fetchPage: (marker: string | undefined) => Promise<P>): Promise<P[]> {
  const pages: P[] = [];
  let marker: string | undefined;
  do {
    const page = await fetchPage(marker);
    pages.push(page);
    marker = page.NextMarker;
  } while (marker !== undefined && marker !== '');
  return pages;
}

/** `fn` over `items`, at most CONCURRENCY at a time, results in order. */
async function mapLimit<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  return results;
}
