import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import type { ElbClient } from '../options.js';

export interface ElbClientInput {
  /** undefined: the SDK's own chain (AWS_REGION, profile) decides. */
  readonly region: string | undefined;
  readonly apiTimeoutMs: number;
}

/** The SDK client settings both balancer APIs (Classic and ELBv2) use. */
export function elbClientConfig(input: ElbClientInput): {
  region?: string;
  maxAttempts: number;
  requestHandler: { connectionTimeout: number; requestTimeout: number; throwOnRequestTimeout: boolean };
} {
  return {
    ...(input.region !== undefined && { region: input.region }),
    // One attempt: the library's own full-jitter policy (src/retry.ts) is the only retry loop, so the number of
    // calls under throttling stays bounded and visible in the logs instead of multiplying 3 × ours.
    maxAttempts: 1,
    // The SDK has no timeout by default: an unreachable endpoint would hold a shutdown for minutes. Its
    // requestTimeout only logs a warning unless told to throw; boundCalls() (boundedClient.ts) is the real bound.
    requestHandler: { connectionTimeout: input.apiTimeoutMs, requestTimeout: input.apiTimeoutMs, throwOnRequestTimeout: true },
  };
}

/**
 * The Classic ELB client the library uses when the caller passes none. Endpoint, credentials and region come from
 * the SDK's standard chain (AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING, AWS_ENDPOINT_URL, static keys, instance role).
 */
export function createElbClient(input: ElbClientInput): ElbClient {
  return new ElasticLoadBalancingClient(elbClientConfig(input));
}
