import { createHash } from 'node:crypto';
import type { ClassicListenerSpec, HealthCheckSpec } from './config.js';
import { Member, RoundRobin } from './member.js';

/**
 * The balancer resources the local ELB keeps. Identifiers (ARNs, DNS names) are derived from the name, so a
 * configured target group has the same ARN on every start and can be written into an env file once.
 */
export function stableId(kind: string, name: string, length = 16): string {
  return createHash('sha256').update(`${kind}/${name}`).digest('hex').slice(0, length);
}

/** Members in a balancer or target group, with the array the data plane iterates kept in step with the map. */
export class MemberSet {
  private readonly byKey = new Map<string, Member>();
  private list: Member[] = [];
  readonly roundRobin = new RoundRobin();

  get(key: string): Member | undefined {
    return this.byKey.get(key);
  }

  add(key: string, member: Member): void {
    this.byKey.set(key, member);
    this.list = [...this.byKey.values()];
  }

  delete(key: string): void {
    if (this.byKey.delete(key)) this.list = [...this.byKey.values()];
  }

  /** Every member, including draining and leaving ones (the data plane filters by `routable`). */
  all(): readonly Member[] {
    return this.list;
  }
}

export class ClassicBalancer {
  readonly kind = 'classic' as const;
  readonly name: string;
  readonly createdTime = new Date();
  readonly dnsName: string;
  listeners: ClassicListenerSpec[];
  healthCheck: HealthCheckSpec;
  connectionDraining: { enabled: boolean; timeoutSeconds: number };
  idleTimeoutSeconds: number;
  crossZone = false;
  readonly members = new MemberSet();
  /** AWS answers InvalidInstance when deregistering an instance that was never registered, but not one registered before. */
  readonly everRegistered = new Set<string>();

  constructor(init: {
    name: string;
    region: string;
    listeners: ClassicListenerSpec[];
    healthCheck: HealthCheckSpec;
    connectionDraining: { enabled: boolean; timeoutSeconds: number };
    idleTimeoutSeconds: number;
  }) {
    this.name = init.name;
    this.dnsName = `${init.name}-${parseInt(stableId('classic', init.name, 8), 16)}.${init.region}.elb.amazonaws.com`;
    this.listeners = init.listeners;
    this.healthCheck = init.healthCheck;
    this.connectionDraining = init.connectionDraining;
    this.idleTimeoutSeconds = init.idleTimeoutSeconds;
  }
}

export class LoadBalancerV2 {
  readonly kind = 'v2' as const;
  readonly name: string;
  readonly arn: string;
  readonly type: 'application' | 'network';
  readonly scheme: 'internet-facing' | 'internal';
  readonly ipAddressType: string;
  readonly createdTime = new Date();
  readonly dnsName: string;
  readonly attributes: Map<string, string>;

  constructor(init: { name: string; region: string; accountId: string; type: 'application' | 'network'; scheme: 'internet-facing' | 'internal'; ipAddressType: string; idleTimeoutSeconds: number }) {
    this.name = init.name;
    this.type = init.type;
    this.scheme = init.scheme;
    this.ipAddressType = init.ipAddressType;
    const id = stableId('lb', init.name);
    this.arn = `arn:aws:elasticloadbalancing:${init.region}:${init.accountId}:loadbalancer/${init.type === 'application' ? 'app' : 'net'}/${init.name}/${id}`;
    this.dnsName = `${init.name}-${parseInt(id.slice(0, 8), 16)}.elb.${init.region}.amazonaws.com`;
    this.attributes =
      init.type === 'application'
        ? new Map([
            ['idle_timeout.timeout_seconds', String(init.idleTimeoutSeconds)],
            ['deletion_protection.enabled', 'false'],
            ['routing.http2.enabled', 'true'],
            ['access_logs.s3.enabled', 'false'],
            ['routing.http.drop_invalid_header_fields.enabled', 'false'],
          ])
        : new Map([
            ['deletion_protection.enabled', 'false'],
            ['load_balancing.cross_zone.enabled', 'false'],
            ['access_logs.s3.enabled', 'false'],
          ]);
  }

  /** NLBs have no HTTP idle timeout attribute (their TCP idle timeout is fixed at 350 s). */
  get idleTimeoutSeconds(): number {
    return Number(this.attributes.get('idle_timeout.timeout_seconds') ?? 350);
  }
}

export class ListenerV2 {
  readonly arn: string;
  readonly loadBalancer: LoadBalancerV2;
  readonly port: number;
  readonly protocol: string;
  readonly targetGroup: TargetGroup;

  constructor(init: { loadBalancer: LoadBalancerV2; port: number; protocol: string; targetGroup: TargetGroup; region: string; accountId: string }) {
    this.loadBalancer = init.loadBalancer;
    this.port = init.port;
    this.protocol = init.protocol;
    this.targetGroup = init.targetGroup;
    const lbPath = init.loadBalancer.arn.split(':loadbalancer/')[1];
    this.arn = `arn:aws:elasticloadbalancing:${init.region}:${init.accountId}:listener/${lbPath}/${stableId('listener', `${init.loadBalancer.name}:${init.port}`)}`;
  }
}

export const TARGET_GROUP_ATTRIBUTE_DEFAULTS: ReadonlyArray<[string, string]> = [
  ['stickiness.enabled', 'false'],
  ['stickiness.type', 'lb_cookie'],
  ['stickiness.lb_cookie.duration_seconds', '86400'],
  ['slow_start.duration_seconds', '0'],
  ['load_balancing.algorithm.type', 'round_robin'],
];

/** TCP (NLB) target groups: reset a deregistered target's open flows when its deregistration delay ends. */
export const CONNECTION_TERMINATION = 'deregistration_delay.connection_termination.enabled';

export interface TargetGroupInit {
  name: string;
  region: string;
  accountId: string;
  protocol: string;
  port: number;
  vpcId: string;
  healthCheck: HealthCheckSpec;
  deregistrationDelaySeconds: number;
  targetType: 'instance' | 'ip';
}

export class TargetGroup {
  readonly name: string;
  readonly arn: string;
  readonly protocol: string;
  readonly port: number;
  readonly vpcId: string;
  /** `instance` targets are instance ids (addressed via the instance map); `ip` targets are their own address. */
  readonly targetType: 'instance' | 'ip';
  healthCheck: HealthCheckSpec;
  readonly attributes: Map<string, string>;
  readonly members = new MemberSet();

  constructor(init: TargetGroupInit) {
    this.name = init.name;
    this.targetType = init.targetType;
    this.arn = `arn:aws:elasticloadbalancing:${init.region}:${init.accountId}:targetgroup/${init.name}/${stableId('tg', init.name)}`;
    this.protocol = init.protocol;
    this.port = init.port;
    this.vpcId = init.vpcId;
    this.healthCheck = init.healthCheck;
    this.attributes = new Map([['deregistration_delay.timeout_seconds', String(init.deregistrationDelaySeconds)], ...TARGET_GROUP_ATTRIBUTE_DEFAULTS]);
    // AWS's default for NLB groups: open flows outlive the deregistration delay.
    if (init.protocol !== 'HTTP' && init.protocol !== 'HTTPS') this.attributes.set(CONNECTION_TERMINATION, 'false');
  }

  get deregistrationDelaySeconds(): number {
    return Number(this.attributes.get('deregistration_delay.timeout_seconds'));
  }
}

export function targetKey(id: string, port: number): string {
  return `${id}:${port}`;
}
