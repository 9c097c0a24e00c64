import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ElbV2Client } from '../options.js';
import { elbClientConfig, type ElbClientInput } from './elbClient.js';

/**
 * The ELBv2 (ALB/NLB target groups) client the library uses when the caller passes none: the same settings as the
 * Classic one; the SDK reads AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2 (or AWS_ENDPOINT_URL) for the endpoint.
 */
export function createElbV2Client(input: ElbClientInput): ElbV2Client {
  return new ElasticLoadBalancingV2Client(elbClientConfig(input));
}
