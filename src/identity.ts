import { MetadataService } from '@aws-sdk/ec2-metadata-service';
import { IdentityError } from './lifecycleErrors.js';
import type { Env } from './options.js';
import { envText } from './envText.js';

/** Who this process is on AWS, or the decision to run without a balancer. */
export type Identity =
  | { readonly kind: 'aws'; readonly instanceId: string; readonly region: string | undefined; readonly source: 'override' | 'imds' }
  | { readonly kind: 'none'; readonly reason: string };

export interface IdentityInput {
  /** Option/env override: skips IMDS for the instance id. */
  readonly instanceId: string | undefined;
  /** Option override; else AWS_REGION; else IMDS. */
  readonly region: string | undefined;
  /** The caller passed its own ELB client: a balancer is meant to be used, whatever IMDS says. */
  readonly clientGiven: boolean;
  readonly imdsTimeoutMs: number;
  readonly env: Env;
  readonly signal?: AbortSignal;
}

/**
 * Resolves the instance id and region: overrides first, then IMDSv2. Off EC2 with no hint that a balancer is
 * meant to be used (no instance id, no region, no ELB or IMDS endpoint, no client), it chooses the "no balancer"
 * mode instead of failing, so the same app runs on a laptop. With such a hint, a failing IMDS is an error.
 * Bounded: each IMDS request times out after `imdsTimeoutMs`, and a failed instance-id read skips the region read.
 */
export async function resolveIdentity(input: IdentityInput): Promise<Identity> {
  const { env } = input;
  let region = input.region ?? envText(env.AWS_REGION);
  // The region only configures the client the library builds; a caller's own client already has one.
  const readRegion = async (): Promise<string | undefined> =>
    region ?? (input.clientGiven ? undefined : await readImds(input, 'meta-data/placement/region').catch(() => undefined));
  if (input.instanceId !== undefined) {
    return { kind: 'aws', instanceId: input.instanceId, region: await readRegion(), source: 'override' };
  }

  let instanceId: string;
  try {
    instanceId = await readImds(input, 'meta-data/instance-id');
  } catch (error) {
    input.signal?.throwIfAborted();
    const hints = [
      input.clientGiven && 'client option',
      region !== undefined && 'region',
      ...['AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING', 'AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2', 'AWS_ENDPOINT_URL', 'AWS_EC2_METADATA_SERVICE_ENDPOINT'].filter((name) => envText(env[name])),
    ].filter((hint): hint is string => typeof hint === 'string');
    if (hints.length === 0) {
      return { kind: 'none', reason: 'instance metadata (IMDS) unreachable and no instance id, region, endpoint or client configured' };
    }
    throw new IdentityError(
      `Cannot read the instance id from IMDS (${hints.join(', ')} configured, so a balancer is expected); set GRACEFUL_ELB_INSTANCE_ID or the instanceId option`,
      { cause: error },
    );
  }
  region = await readRegion();
  return { kind: 'aws', instanceId, region, source: 'imds' };
}

async function readImds(input: IdentityInput, path: string): Promise<string> {
  const { env, signal } = input;
  signal?.throwIfAborted();
  if (env.AWS_EC2_METADATA_DISABLED?.toLowerCase() === 'true') throw new IdentityError('IMDS is disabled (AWS_EC2_METADATA_DISABLED=true)');
  const endpoint = envText(env.AWS_EC2_METADATA_SERVICE_ENDPOINT);
  const service = new MetadataService({
    ...(endpoint !== undefined && { endpoint }),
    httpOptions: { timeout: input.imdsTimeoutMs },
    // The client retries 3 times with 1.2^n s pauses by default: off EC2 that alone is seconds of waiting.
    retries: 0,
  });
  // The client joins the endpoint's path and ours verbatim: with the default endpoint (path "/") a leading slash
  // would produce "GET //latest/...", which real IMDS and mocks need not accept.
  const base = endpoint === undefined ? '/' : new URL(endpoint).pathname;
  const fullPath = `${base.endsWith('/') ? '' : '/'}latest/${path}`;
  // The metadata client takes no AbortSignal, and its timeout (smithy's requestTimeout) only logs a warning: the
  // race is the real bound (token and value together), and frees the caller at once when `signal` aborts.
  const value = await bounded(service.request(fullPath, {}), input.imdsTimeoutMs, signal, () => new IdentityError(`IMDS did not answer ${path} within imdsTimeoutMs (${input.imdsTimeoutMs} ms)`));
  const text = value.trim();
  if (text === '') throw new IdentityError(`IMDS answered an empty ${path}`);
  return text;
}

function bounded<T>(promise: Promise<T>, timeoutMs: number, signal: AbortSignal | undefined, timeoutError: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const settle = (finish: () => void): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      finish();
    };
    const onAbort = (): void => settle(() => reject(signal?.reason));
    const timer = setTimeout(() => settle(() => reject(timeoutError())), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error)),
    );
  });
}
