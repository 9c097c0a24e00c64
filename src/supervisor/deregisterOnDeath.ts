import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Logger } from 'pino';
import { boundCalls } from '../balancers/boundedClient.js';
import { elbClientConfig } from '../balancers/elbClient.js';
import { balancersFor } from '../balancers/resolveBalancers.js';
import type { JoinedBalancers } from '../lifecycleMessage.js';
import type { ElbClient, ElbV2Client } from '../options.js';

export interface DeregisterDeadChildInput {
  readonly membership: JoinedBalancers;
  readonly pid: number;
  readonly logger: Logger;
  /** Tests inject clients; by default the SDK's, from the standard chain (the same env and role the child had). */
  readonly createClients?: () => { classic: ElbClient; v2: ElbV2Client; destroy(): void };
}

export interface DeregisterResult {
  readonly label: string;
  readonly left: boolean;
  readonly error?: string;
}

/**
 * The supervisor's backstop for a child that died without leaving (process.exit(), SIGKILL, the OOM killer, a native
 * crash: nothing runs in the child then, and `process.on('exit')` cannot make an API call): deregisters the instance from
 * every balancer the child reported having joined, with the child's own API timeout and retry policy. Never throws:
 * each balancer's outcome is logged and returned.
 */
export async function deregisterDeadChild(input: DeregisterDeadChildInput): Promise<DeregisterResult[]> {
  const { membership, logger, pid } = input;
  const clients = (input.createClients ?? defaultClients(membership))();
  const balancers = balancersFor(membership, {
    instanceId: membership.instanceId,
    classicClient: () => clients.classic,
    v2Client: () => clients.v2,
    retry: membership.retry,
    onRetry: (label) => ({ attempt, delayMs, error }) => logger.warn({ pid, balancer: label, attempt, delayMs, err: error }, 'deregistering the dead app: API call failed; retrying'),
  });
  const labels = balancers.map((b) => b.label);
  logger.warn({ pid, instanceId: membership.instanceId, balancers: labels }, 'the app died without leaving its balancers: deregistering it');
  const startedAt = Date.now();
  // Every attempt bounded by the API timeout and every wait by the retry cap: the restart is never held longer than this
  // (the SDK's requestTimeout alone does not end a call that never answers: docs/field notes).
  const { maxAttempts, maxDelayMs } = membership.retry;
  const signal = AbortSignal.timeout(maxAttempts * (membership.apiTimeoutMs + maxDelayMs));
  try {
    const results = await Promise.allSettled(balancers.map((b) => b.deregister(signal)));
    return results.map((result, i) => {
      const label = labels[i] ?? '';
      if (result.status === 'fulfilled') {
        logger.info({ pid, balancer: label, durationMs: Date.now() - startedAt }, `deregistered the dead app from ${label}`);
        return { label, left: true };
      }
      const error = result.reason instanceof Error ? result.reason.message : String(result.reason);
      logger.error({ pid, balancer: label, err: result.reason }, `could not deregister the dead app from ${label}: its health check has to notice`);
      return { label, left: false, error };
    });
  } finally {
    clients.destroy();
  }
}

function defaultClients(membership: JoinedBalancers): () => { classic: ElbClient; v2: ElbV2Client; destroy(): void } {
  return () => {
    const config = elbClientConfig({ region: membership.region, apiTimeoutMs: membership.apiTimeoutMs });
    let classic: ElasticLoadBalancingClient | undefined;
    let v2: ElasticLoadBalancingV2Client | undefined;
    return {
      // Each call bounded by the child's apiTimeoutMs, as the library bounds its own (boundedClient.ts).
      get classic() {
        return boundCalls((classic ??= new ElasticLoadBalancingClient(config)), membership.apiTimeoutMs);
      },
      get v2() {
        return boundCalls((v2 ??= new ElasticLoadBalancingV2Client(config)), membership.apiTimeoutMs);
      },
      destroy() {
        classic?.destroy();
        v2?.destroy();
      },
    };
  };
}

/** True when the membership still holds a balancer to leave. */
export function hasBalancers(membership: JoinedBalancers | undefined): membership is JoinedBalancers {
  return membership !== undefined && (membership.elbNames.length > 0 || membership.targetGroups.length > 0);
}
