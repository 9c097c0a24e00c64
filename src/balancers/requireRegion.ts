import { IdentityError } from '../lifecycleErrors.js';

const NO_REGION =
  'No AWS region for the load balancer API: set AWS_REGION (or the `region` option), or run on EC2 where the library ' +
  'reads it from the instance metadata service (IMDS); the SDK found none in its profile either';

/**
 * Fails early, naming AWS_REGION and IMDS, when neither the library (option, AWS_REGION, IMDS) nor the SDK's own
 * chain (profile files) knows the region. Otherwise the first API call fails with the SDK's bare "Region is missing".
 * A client without the SDK's `config.region` (a caller's wrapper, a test double) is not second-guessed.
 */
export async function requireRegion(client: object): Promise<void> {
  const region = (client as { config?: { region?: unknown } }).config?.region;
  if (region === undefined) return;
  let value: unknown;
  try {
    value = typeof region === 'function' ? await (region as () => Promise<unknown>)() : region;
  } catch (error) {
    throw new IdentityError(NO_REGION, { cause: error });
  }
  if (typeof value !== 'string' || value === '') throw new IdentityError(NO_REGION);
}
