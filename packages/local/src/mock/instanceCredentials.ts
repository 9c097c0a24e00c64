import { randomBytes } from 'node:crypto';

export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  token: string;
  issuedAt: number;
  expiresAt: number;
}

/** Issued keys remembered for the expiry check; the oldest are forgotten past this many (bounded memory). */
const MAX_REMEMBERED_KEYS = 10_000;

/**
 * The instance profile's temporary credentials, as EC2 serves them at iam/security-credentials/<role>: an ASIA…
 * access key, a secret and a session token that expire after `ttlSeconds`; from `renewBeforeSeconds` before the
 * expiry the next set is served (the old one stays valid until it expires), so a client that refreshes ahead of
 * expiry, as the AWS SDKs do, never holds expired credentials. Each instance id has its own. The control plane
 * answers ExpiredToken for a key issued here once it has expired.
 */
export class InstanceCredentials {
  readonly roleName: string;
  private readonly ttlMs: number;
  private readonly renewBeforeMs: number;
  private readonly now: () => number;
  private readonly current = new Map<string, TemporaryCredentials>();
  private readonly issued = new Map<string, number>();

  constructor(options: { roleName: string; ttlSeconds: number; renewBeforeSeconds: number; now?: () => number }) {
    this.roleName = options.roleName;
    this.ttlMs = options.ttlSeconds * 1000;
    this.renewBeforeMs = options.renewBeforeSeconds * 1000;
    this.now = options.now ?? Date.now;
  }

  /** The credentials an instance reads now (a new set once the current one is within the renewal window). */
  for(instanceId: string): TemporaryCredentials {
    const now = this.now();
    const held = this.current.get(instanceId);
    if (held && now < held.expiresAt - this.renewBeforeMs) return held;
    const fresh: TemporaryCredentials = {
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      token: randomBytes(96).toString('base64'),
      issuedAt: now,
      expiresAt: now + this.ttlMs,
    };
    this.current.set(instanceId, fresh);
    if (this.issued.size >= MAX_REMEMBERED_KEYS) this.issued.delete(this.issued.keys().next().value as string);
    this.issued.set(fresh.accessKeyId, fresh.expiresAt);
    return fresh;
  }

  /** True for a key this IMDS issued whose lifetime is over (keys from elsewhere are not judged). */
  expired(accessKeyId: string): boolean {
    const expiresAt = this.issued.get(accessKeyId);
    return expiresAt !== undefined && this.now() >= expiresAt;
  }
}

/** `2026-12-02T06:00:00Z`: IMDS writes times (credential expiry, notices) to the second. */
export function imdsTime(time: number | Date): string {
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
