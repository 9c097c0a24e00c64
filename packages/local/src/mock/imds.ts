import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { LOCAL_ELB_DEFAULTS } from './defaults.js';
import { imdsTime, type InstanceCredentials } from './instanceCredentials.js';

/** Per-instance metadata that changes while the instance runs (Auto Scaling, Spot). */
export interface InstanceNotices {
  targetLifecycleState(instanceId: string): string | undefined;
  instanceLifeCycle(instanceId: string): 'spot' | 'on-demand';
  spotNotice(instanceId: string): { action: string; time: Date } | undefined;
  rebalanceNotice(instanceId: string): Date | undefined;
}

export interface ImdsOptions {
  notices: InstanceNotices;
  instanceId: string;
  region: string;
  accountId: string;
  /** IMDSv2 only (as most fleets configure it now): a request without a valid token gets 401. */
  requireToken: boolean;
  credentials: InstanceCredentials;
  logger: Logger;
}

/** Requests for metadata: `/latest/...`, `//latest/...` (the SDK's form) or `/_local/imds/<instance-id>/latest/...`. */
export const IMDS_PATH = /^\/+(?:_local\/imds\/(i-[0-9A-Za-z-]+)\/+)?latest(\/.*)?$/;

/** Tokens are bounded so a client looping on PUT cannot grow memory without end. */
const MAX_TOKENS = 10_000;

/**
 * The EC2 instance metadata service, enough for what a service asks at start: IMDSv2 token flow
 * (PUT /latest/api/token with a TTL header, 400 on a bad TTL, 401 on a missing or bad token when tokens are
 * required), IMDSv1 when allowed, instance-id, placement, and the identity document. Several local instances
 * of one app can each have their own id by pointing AWS_EC2_METADATA_SERVICE_ENDPOINT at
 * `http://HOST:PORT/_local/imds/<instance-id>` (the SDK appends the path after it).
 */
export class Imds {
  private readonly options: ImdsOptions;
  private readonly tokens = new Map<string, number>();
  /** When the instance "launched" (identity document pendingTime). */
  private readonly startedAt = Date.now();

  constructor(options: ImdsOptions) {
    this.options = options;
  }

  handle(req: IncomingMessage, res: ServerResponse, match: RegExpExecArray): void {
    const instanceId = match[1] ?? this.options.instanceId;
    const path = (match[2] ?? '/').replace(/\/{2,}/g, '/');
    // Metadata requests carry no body; drain anything sent so the socket can be reused.
    req.resume();
    if (path === '/api/token') {
      if (req.method !== 'PUT') return this.answer(res, 405, 'Method Not Allowed', { allow: 'PUT' });
      return this.issueToken(req, res);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.answer(res, 405, 'Method Not Allowed', { allow: 'GET, HEAD, PUT' });
    const token = req.headers['x-aws-ec2-metadata-token'];
    if (token !== undefined) {
      if (typeof token !== 'string' || !this.validToken(token)) return this.answer(res, 401, 'Unauthorized');
    } else if (this.options.requireToken) {
      return this.answer(res, 401, 'Unauthorized');
    }
    const body = this.lookup(path, instanceId);
    if (body === undefined) return this.answer(res, 404, 'Not Found');
    this.options.logger.debug({ path, instanceId, v2: token !== undefined }, 'imds request');
    const json = path.startsWith('/dynamic/instance-identity/document');
    this.answer(res, 200, body, { 'content-type': json ? 'application/json' : 'text/plain' }, req.method === 'HEAD');
  }

  private issueToken(req: IncomingMessage, res: ServerResponse): void {
    const header = req.headers['x-aws-ec2-metadata-token-ttl-seconds'];
    const { min, max } = LOCAL_ELB_DEFAULTS.imdsTokenTtlSeconds;
    const ttl = typeof header === 'string' && /^\d{1,6}$/.test(header.trim()) ? Number(header.trim()) : Number.NaN;
    if (!(ttl >= min && ttl <= max)) return this.answer(res, 400, 'Bad Request');
    if (this.tokens.size >= MAX_TOKENS) this.pruneTokens();
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, Date.now() + ttl * 1000);
    this.options.logger.debug({ ttlSeconds: ttl }, 'imds token issued');
    this.answer(res, 200, token, { 'content-type': 'text/plain', 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) });
  }

  private validToken(token: string): boolean {
    const expires = this.tokens.get(token);
    if (expires === undefined) return false;
    if (expires <= Date.now()) {
      this.tokens.delete(token);
      return false;
    }
    return true;
  }

  private pruneTokens(): void {
    const now = Date.now();
    for (const [token, expires] of this.tokens) if (expires <= now) this.tokens.delete(token);
    // Still full: drop the oldest (Map keeps insertion order).
    while (this.tokens.size >= MAX_TOKENS) this.tokens.delete(this.tokens.keys().next().value as string);
  }

  private lookup(path: string, instanceId: string): string | undefined {
    const { region, accountId, notices } = this.options;
    const zone = `${region}${LOCAL_ELB_DEFAULTS.availabilityZoneSuffix}`;
    const metadata: Record<string, string> = {
      'instance-id': instanceId,
      'instance-type': 't3.micro',
      'ami-id': 'ami-0local0000000000',
      hostname: 'localhost',
      'local-hostname': 'localhost',
      'local-ipv4': '127.0.0.1',
      'placement/region': region,
      'placement/availability-zone': zone,
      'instance-life-cycle': notices.instanceLifeCycle(instanceId),
    };
    // As on EC2, these items exist only once there is something to say: 404 until then (and for good outside a group).
    const target = notices.targetLifecycleState(instanceId);
    if (target !== undefined) metadata['autoscaling/target-lifecycle-state'] = target;
    const spot = notices.spotNotice(instanceId);
    if (spot !== undefined) {
      metadata['spot/instance-action'] = JSON.stringify({ action: spot.action, time: imdsTime(spot.time) });
      if (spot.action === 'terminate') metadata['spot/termination-time'] = imdsTime(spot.time);
    }
    const rebalance = notices.rebalanceNotice(instanceId);
    if (rebalance !== undefined) metadata['events/recommendations/rebalance'] = JSON.stringify({ noticeTime: imdsTime(rebalance) });
    const trimmed = path.replace(/\/$/, '');
    if (trimmed === '' || trimmed === '/meta-data') {
      const categories = ['ami-id', 'hostname', 'iam/', 'instance-id', 'instance-life-cycle', 'instance-type', 'local-hostname', 'local-ipv4', 'placement/'];
      if (target !== undefined) categories.push('autoscaling/');
      if (spot !== undefined) categories.push('spot/');
      if (rebalance !== undefined) categories.push('events/');
      return categories.sort().join('\n');
    }
    if (trimmed === '/meta-data/autoscaling' && target !== undefined) return 'target-lifecycle-state';
    if (trimmed === '/meta-data/spot' && spot !== undefined) return spot.action === 'terminate' ? 'instance-action\ntermination-time' : 'instance-action';
    if (trimmed === '/meta-data/placement') return 'availability-zone\nregion';
    if (trimmed.startsWith('/meta-data/iam')) return this.iam(trimmed.slice('/meta-data/iam'.length), instanceId);
    if (trimmed.startsWith('/meta-data/')) return metadata[trimmed.slice('/meta-data/'.length)];
    if (trimmed === '/dynamic' || trimmed === '/dynamic/instance-identity') return trimmed === '/dynamic' ? 'instance-identity/' : 'document';
    if (trimmed === '/dynamic/instance-identity/document') {
      // Every member EC2 writes, nulls included (SDKs and agents read the document as a whole).
      return JSON.stringify(
        {
          accountId,
          architecture: 'x86_64',
          availabilityZone: zone,
          billingProducts: null,
          devpayProductCodes: null,
          marketplaceProductCodes: null,
          imageId: metadata['ami-id'],
          instanceId,
          instanceType: metadata['instance-type'],
          kernelId: null,
          pendingTime: imdsTime(this.startedAt),
          privateIp: '127.0.0.1',
          ramdiskId: null,
          region,
          version: '2017-09-30',
        },
        null,
        2,
      );
    }
    return undefined;
  }

  /** iam/info and iam/security-credentials/<role>, as on an instance with an instance profile. */
  private iam(rest: string, instanceId: string): string | undefined {
    const { accountId, credentials } = this.options;
    const role = credentials.roleName;
    if (rest === '') return 'info\nsecurity-credentials/';
    if (rest === '/security-credentials') return role;
    const current = credentials.for(instanceId);
    if (rest === '/info') {
      return JSON.stringify(
        {
          Code: 'Success',
          LastUpdated: imdsTime(current.issuedAt),
          InstanceProfileArn: `arn:aws:iam::${accountId}:instance-profile/${role}`,
          InstanceProfileId: `AIPA${createHash('sha256').update(`${accountId}/${role}`).digest('hex').slice(0, 17).toUpperCase()}`,
        },
        null,
        2,
      );
    }
    if (rest !== `/security-credentials/${role}`) return undefined;
    return JSON.stringify(
      {
        Code: 'Success',
        LastUpdated: imdsTime(current.issuedAt),
        Type: 'AWS-HMAC',
        AccessKeyId: current.accessKeyId,
        SecretAccessKey: current.secretAccessKey,
        Token: current.token,
        Expiration: imdsTime(current.expiresAt),
      },
      null,
      2,
    );
  }

  private answer(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}, headOnly = false): void {
    res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), ...headers });
    res.end(headOnly ? undefined : body);
  }
}

