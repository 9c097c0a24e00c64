// Shared by the test/core-*.test.ts files that run the library against the project's local ELB: Classic balancers
// with fast health checks on ephemeral ports, the state the API reports, and forked apps whose address the balancer
// learns the moment they listen.
import { DescribeInstanceHealthCommand, RegisterInstancesWithLoadBalancerCommand, type ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { startLocalElb, type LocalElb, type LocalElbConfig } from '@graceful-elb/local';
import { clientsFor, startBackend } from '../../packages/local/test/mock-helpers.js';
import { fork, type Forked } from './fork.js';

export interface CoreElbOptions {
  /** Classic balancers, each with one listener and health check `HTTP:<UNSET_PORT>/ping`. @default ['web'] */
  balancers?: readonly string[];
  /** 0 disables connection draining. @default 300 (the embedded setup's, AWS's console default) */
  connectionDrainingSeconds?: number;
  /** @default 60 */
  idleTimeoutSeconds?: number;
  /** instanceId → 'host:port' of servers already listening. */
  instances?: Record<string, string>;
  /** @default 1000 (the local ELB's) */
  propagationDelayMs?: number;
  /** Auto Scaling groups and Spot instances, as in the local ELB's config. */
  autoScalingGroups?: LocalElbConfig['autoScalingGroups'];
  spotInstances?: LocalElbConfig['spotInstances'];
}

/**
 * Health checks every 250 ms, healthy after 2: a registered instance whose route answers is InService in about
 * 250 ms, like the old test endpoint's fixed delay, but only if the route really answers.
 */
const FAST_CHECKS = { intervalSeconds: 0.25, timeoutSeconds: 0.5, healthyThreshold: 2, unhealthyThreshold: 2 };
/**
 * The instance port of an instance whose address is not set: a port nothing listens on, so such an instance
 * fails its checks instead of passing them on whatever app another developer runs on 3000.
 */
const UNSET_PORT = 1;

export function startCoreElb(options: CoreElbOptions = {}): Promise<LocalElb> {
  const drainingSeconds = options.connectionDrainingSeconds ?? 300;
  return startLocalElb({
    listenerPorts: 'ephemeral',
    logger: false,
    instances: options.instances ?? {},
    ...(options.propagationDelayMs !== undefined && { propagationDelayMs: options.propagationDelayMs }),
    config: {
      classic: (options.balancers ?? ['web']).map((name) => ({
        name,
        listeners: [{ loadBalancerPort: 8080, instancePort: UNSET_PORT }],
        healthCheck: { target: `HTTP:${UNSET_PORT}/ping`, ...FAST_CHECKS },
        connectionDraining: { enabled: drainingSeconds > 0, timeoutSeconds: Math.max(drainingSeconds, 1) },
        idleTimeoutSeconds: options.idleTimeoutSeconds ?? 60,
      })),
      loadBalancers: [],
      targetGroups: [],
      ...(options.autoScalingGroups !== undefined && { autoScalingGroups: options.autoScalingGroups }),
      ...(options.spotInstances !== undefined && { spotInstances: options.spotInstances }),
    },
  });
}

/** A real SDK client for the local ELB with no SDK-level retries (the library's own retries are under test). */
export function classicClient(lb: LocalElb): ElasticLoadBalancingClient {
  return clientsFor(lb, 1).classic;
}

/** What DescribeInstanceHealth says about `instanceId` on `balancer`, as the library would read it. */
export async function instanceHealth(lb: LocalElb, balancer: string, instanceId: string): Promise<{ state: string; description: string }> {
  const client = classicClient(lb);
  try {
    const result = await client.send(new DescribeInstanceHealthCommand({ LoadBalancerName: balancer, Instances: [{ InstanceId: instanceId }] }));
    const state = result.InstanceStates?.[0];
    return { state: state?.State ?? '', description: state?.Description ?? '' };
  } finally {
    client.destroy();
  }
}

/**
 * Forks an app that prints a JSON line with its `port` once listening (`isListening` recognises it), and points the
 * balancer at it on that line, before the library can have registered (it probes its own health route first).
 */
export function forkInstance(lb: LocalElb, script: string, instanceId: string, env: Record<string, string>, isListening: (line: Record<string, unknown>) => boolean): Forked {
  // IMDS answers as this instance (its Auto Scaling and Spot items are per instance).
  const imds = { AWS_EC2_METADATA_SERVICE_ENDPOINT: `${lb.endpoint}/_local/imds/${instanceId}` };
  return fork(script, { ...lb.env, ...imds, GRACEFUL_ELB_INSTANCE_ID: instanceId, ...env }, (line) => {
    if (isListening(line) && typeof line.port === 'number') lb.setInstanceAddress(instanceId, `127.0.0.1:${line.port}`);
  });
}

/**
 * A Classic balancer 'web' with a second, always-healthy instance `stableId` registered and in service: the balancer has
 * somewhere to send traffic once the app under test has left (or died).
 */
export async function startCoreElbWithStable(t: { after(fn: () => unknown): void }, stableId: string, options: CoreElbOptions = {}): Promise<LocalElb> {
  const stable = await startBackend('stable');
  t.after(() => stable.close());
  const lb = await startCoreElb({ connectionDrainingSeconds: 30, ...options, instances: { ...options.instances, [stableId]: stable.address } });
  t.after(() => lb.close());
  const client = classicClient(lb);
  try {
    await client.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: 'web', Instances: [{ InstanceId: stableId }] }));
  } finally {
    client.destroy();
  }
  return lb;
}

/**
 * One Classic balancer 'web' in front of apps on known addresses (instance id → 'host:port'), health-checking `/ping`
 * with the given check, as a fleet deployed by the supervisor sees it.
 */
export function startFleetElb(input: {
  instances: Record<string, string>;
  healthCheck: { intervalSeconds: number; timeoutSeconds: number; healthyThreshold: number; unhealthyThreshold: number };
  connectionDrainingSeconds: number;
  propagationDelayMs?: number;
}): Promise<LocalElb> {
  return startLocalElb({
    listenerPorts: 'ephemeral',
    logger: false,
    ...(input.propagationDelayMs !== undefined && { propagationDelayMs: input.propagationDelayMs }),
    instances: input.instances,
    config: {
      classic: [
        {
          name: 'web',
          // The instance port is a placeholder: each instance's own address above is where the balancer goes.
          listeners: [{ loadBalancerPort: 8080, instancePort: 3000 }],
          healthCheck: { target: 'HTTP:3000/ping', ...input.healthCheck },
          connectionDraining: { enabled: true, timeoutSeconds: input.connectionDrainingSeconds },
        },
      ],
    },
  });
}
