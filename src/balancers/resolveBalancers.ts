import type { Logger } from 'pino';
import { NothingDiscoveredError } from './errors.js';
import { defaultMembershipFile, readMemberships, writeMemberships } from '../membership.js';
import type { ElbClient, ElbV2Client, ResolvedOptions } from '../options.js';
import type { RetryHooks, RetryPolicy } from '../retry.js';
import type { Balancer } from './balancer.js';
import { createClassicElb } from './classicElb.js';
import { discoverMemberships } from './discovery.js';
import { mergeMemberships, type Memberships } from './memberships.js';
import { createTargetGroup, targetGroupLabel } from './targetGroup.js';

export interface ResolveBalancersInput {
  readonly config: Pick<ResolvedOptions, 'elbNames' | 'targetGroups' | 'discover' | 'stateFile' | 'stateDir'>;
  readonly instanceId: string;
  /** The server's listening port: the default target port, and the name of the default state file. */
  readonly port: number;
  /** Created on first use: a Classic-only setup never builds an ELBv2 client, and the other way round. */
  readonly classicClient: () => ElbClient;
  readonly v2Client: () => ElbV2Client;
  readonly retry: RetryPolicy;
  /** The retry hook for one balancer's calls (or, with `undefined`, discovery's). */
  readonly onRetry: (label: string | undefined) => RetryHooks['onRetry'];
  readonly log: Logger;
  readonly signal?: AbortSignal;
}

/**
 * The balancers this instance joins and leaves: the named Classic ELBs and target groups, or with `discover`
 * the remembered set plus whatever holds the instance now (written back before anything is registered, so a
 * crash after registering still leaves the next start knowing what to rejoin).
 */
export async function resolveBalancers(input: ResolveBalancersInput): Promise<Balancer[]> {
  const { config, port } = input;
  const memberships: Memberships = config.discover
    ? await discoverAndRemember(input)
    : { elbNames: config.elbNames, targetGroups: config.targetGroups.map((g) => ({ targetGroupArn: g.targetGroupArn, port: g.port ?? port })) };

  return balancersFor(memberships, input);
}

/** One Balancer per membership; used by the lifecycle and by the supervisor deregistering a dead child. */
export function balancersFor(
  memberships: Memberships,
  input: Pick<ResolveBalancersInput, 'instanceId' | 'classicClient' | 'v2Client' | 'retry' | 'onRetry'>,
): Balancer[] {
  const { instanceId } = input;
  const classic = memberships.elbNames.map((name) =>
    createClassicElb({ client: input.classicClient(), name, instanceId, retry: input.retry, onRetry: input.onRetry(`elb/${name}`) }),
  );
  const groups = memberships.targetGroups.map((g) =>
    createTargetGroup({
      client: input.v2Client(),
      targetGroupArn: g.targetGroupArn,
      instanceId,
      port: g.port,
      retry: input.retry,
      onRetry: input.onRetry(targetGroupLabel(g.targetGroupArn)),
    }),
  );
  return [...classic, ...groups];
}

/** The memberships behind `balancers` (the inverse of balancersFor). */
export function membershipsOf(balancers: readonly Balancer[]): Memberships {
  return {
    elbNames: balancers.flatMap((b) => ('elbName' in b.ref ? [b.ref.elbName] : [])),
    targetGroups: balancers.flatMap((b) => ('targetGroupArn' in b.ref ? [{ targetGroupArn: b.ref.targetGroupArn, port: b.ref.port }] : [])),
  };
}

async function discoverAndRemember(input: ResolveBalancersInput): Promise<Memberships> {
  const { config, instanceId, log } = input;
  const stateFile = config.stateFile ?? defaultMembershipFile(config.stateDir, input.port);
  const remembered = await readMemberships(stateFile, instanceId);
  if (remembered.kind === 'ignored') log.warn({ phase: 'discover', stateFile, reason: remembered.reason }, `ignoring ${stateFile}: ${remembered.reason}`);
  const found = await discoverMemberships({
    classicClient: input.classicClient(),
    v2Client: input.v2Client(),
    instanceId,
    retry: input.retry,
    onRetry: input.onRetry(undefined),
    ...(input.signal !== undefined && { signal: input.signal }),
  });
  const previous = remembered.kind === 'remembered' ? remembered.memberships : { elbNames: [], targetGroups: [] };
  const joined = mergeMemberships(previous, found);
  log.info({ phase: 'discover', stateFile, remembered: previous, found, joined }, 'balancers discovered');
  if (joined.elbNames.length === 0 && joined.targetGroups.length === 0) throw new NothingDiscoveredError(instanceId, stateFile);
  await writeMemberships(stateFile, instanceId, joined);
  return joined;
}
