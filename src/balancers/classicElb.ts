import {
  DeregisterInstancesFromLoadBalancerCommand,
  DescribeInstanceHealthCommand,
  DescribeLoadBalancerAttributesCommand,
  RegisterInstancesWithLoadBalancerCommand,
  type LoadBalancerAttributes,
} from '@aws-sdk/client-elastic-load-balancing';
import { BalancerApiError } from './errors.js';
import type { ElbClient } from '../options.js';
import { retry, type RetryHooks, type RetryPolicy } from '../retry.js';
import type { Balancer, BalancerView } from './balancer.js';

export interface ClassicElbInput {
  readonly client: ElbClient;
  readonly name: string;
  readonly instanceId: string;
  readonly retry: RetryPolicy;
  /** Called before each retry wait (the lifecycle logs the throttling with the balancer's label). */
  readonly onRetry?: RetryHooks['onRetry'];
}

// While connection draining runs, Classic ELB still reports `InService` for the instance, with this description.
// It no longer sends new requests then, so for the drain it counts as "not routing".
const DEREGISTRATION_IN_PROGRESS = /deregistration currently in progress/i;
// DescribeInstanceHealth for an instance that is not registered: AWS answers InvalidInstance (the SDK names it
// InvalidEndPointException); moto answers State "Unknown". Both mean the balancer does not route here.
const NOT_REGISTERED_ERRORS = new Set(['InvalidEndPointException', 'InvalidInstance']);

/** A Classic ELB membership of this instance, by load balancer name. */
export function createClassicElb(input: ClassicElbInput): Balancer {
  const { client, name, instanceId } = input;
  const label = `elb/${name}`;
  const instances = [{ InstanceId: instanceId }];
  let attributes: Promise<LoadBalancerAttributes | undefined> | undefined;

  const withRetry = async (action: string, signal: AbortSignal | undefined, call: () => Promise<unknown>): Promise<void> => {
    try {
      await retry(call, input.retry, { signal, onRetry: input.onRetry });
    } catch (error) {
      throw new BalancerApiError(label, action, { cause: error });
    }
  };

  // DescribeLoadBalancerAttributes is optional to the lifecycle (an IAM policy may not allow it): one call, memoised,
  // and any failure reads as "unknown" so callers fall back to AWS's defaults.
  const readAttributes = (signal?: AbortSignal): Promise<LoadBalancerAttributes | undefined> => {
    attributes ??= client
      .send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerName: name }), { abortSignal: signal })
      .then((out) => out.LoadBalancerAttributes)
      .catch(() => undefined);
    return attributes;
  };

  return {
    label,
    ref: { elbName: name },
    register: (signal) =>
      withRetry('RegisterInstancesWithLoadBalancer', signal, () =>
        client.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: name, Instances: instances }), { abortSignal: signal }),
      ),
    deregister: (signal) =>
      withRetry('DeregisterInstancesFromLoadBalancer', signal, () =>
        client.send(new DeregisterInstancesFromLoadBalancerCommand({ LoadBalancerName: name, Instances: instances }), { abortSignal: signal }),
      ),
    async view(signal): Promise<BalancerView> {
      try {
        const out = await client.send(new DescribeInstanceHealthCommand({ LoadBalancerName: name, Instances: instances }), { abortSignal: signal });
        const health = out.InstanceStates?.find((s) => s.InstanceId === instanceId) ?? out.InstanceStates?.[0];
        const state = health?.State ?? 'Unknown';
        const description = health?.Description;
        const inService = state === 'InService' && !DEREGISTRATION_IN_PROGRESS.test(description ?? '');
        return { inService, routing: inService, state, ...(description !== undefined && { description }) };
      } catch (error) {
        if (error instanceof Error && NOT_REGISTERED_ERRORS.has(error.name)) {
          return { inService: false, routing: false, state: 'NotRegistered', description: error.message };
        }
        throw new BalancerApiError(label, 'DescribeInstanceHealth', { cause: error });
      }
    },
    async idleTimeoutSeconds(signal) {
      return (await readAttributes(signal))?.ConnectionSettings?.IdleTimeout;
    },
    async drainLimitSeconds(signal) {
      const draining = (await readAttributes(signal))?.ConnectionDraining;
      if (draining?.Enabled === undefined) return undefined;
      // Draining disabled: the balancer stops sending *and* drops in-flight requests at deregistration.
      return draining.Enabled ? draining.Timeout : 0;
    },
  };
}
