import { createHash } from 'node:crypto';
import type { ClassicListenerSpec, HealthCheckSpec } from './config.js';
import { initialAttributes, listenerCatalog, loadBalancerCatalog, targetGroupCatalog, type AttributeCatalog } from './attributes.js';
import { Member, RoundRobin } from './member.js';
import { ListenerRule, type RuleAction } from './rules.js';

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

export type Scheme = 'internet-facing' | 'internal';

/** What a Classic balancer is made of (the store adds the region and, in a VPC, the VPC). */
export interface ClassicBalancerInit {
  name: string;
  region: string;
  listeners: ClassicListenerSpec[];
  healthCheck: HealthCheckSpec;
  connectionDraining: { enabled: boolean; timeoutSeconds: number };
  idleTimeoutSeconds: number;
  scheme: Scheme;
  availabilityZones: string[];
  subnets: string[];
  securityGroups: string[];
  vpcId: string | undefined;
}

/** AWS prefixes an internal balancer's DNS name with `internal-`. */
function dnsPrefix(scheme: Scheme): string {
  return scheme === 'internal' ? 'internal-' : '';
}

export class ClassicBalancer {
  readonly kind = 'classic' as const;
  readonly name: string;
  readonly createdTime = new Date();
  readonly dnsName: string;
  readonly scheme: Scheme;
  listeners: ClassicListenerSpec[];
  healthCheck: HealthCheckSpec;
  connectionDraining: { enabled: boolean; timeoutSeconds: number };
  idleTimeoutSeconds: number;
  crossZone = false;
  /** Zones the balancer is in; in a VPC, the zones of its subnets. */
  availabilityZones: string[];
  /** Empty for a balancer created with zones only (EC2-Classic style). */
  subnets: string[];
  securityGroups: string[];
  readonly vpcId: string | undefined;
  readonly tags = new Map<string, string>();
  readonly members = new MemberSet();
  /** AWS answers InvalidInstance when deregistering an instance that was never registered, but not one registered before. */
  readonly everRegistered = new Set<string>();

  constructor(init: ClassicBalancerInit) {
    this.name = init.name;
    this.scheme = init.scheme;
    this.dnsName = `${dnsPrefix(init.scheme)}${init.name}-${parseInt(stableId('classic', init.name, 8), 16)}.${init.region}.elb.amazonaws.com`;
    this.listeners = init.listeners;
    this.healthCheck = init.healthCheck;
    this.connectionDraining = init.connectionDraining;
    this.idleTimeoutSeconds = init.idleTimeoutSeconds;
    this.availabilityZones = init.availabilityZones;
    this.subnets = init.subnets;
    this.securityGroups = init.securityGroups;
    this.vpcId = init.vpcId;
  }
}

export interface LoadBalancerV2Init {
  name: string;
  region: string;
  accountId: string;
  type: 'application' | 'network';
  scheme: Scheme;
  ipAddressType: string;
  idleTimeoutSeconds: number;
  subnets: Array<{ subnetId: string; zone: string }>;
  securityGroups: string[];
  vpcId: string;
  /** Epoch ms from which the balancer reads `active` (before: `provisioning`). */
  activeAt: number;
}

export class LoadBalancerV2 {
  readonly kind = 'v2' as const;
  readonly name: string;
  readonly arn: string;
  readonly type: 'application' | 'network';
  readonly scheme: Scheme;
  ipAddressType: string;
  readonly createdTime = new Date();
  readonly dnsName: string;
  readonly attributes: Map<string, string>;
  readonly catalog: AttributeCatalog;
  subnets: Array<{ subnetId: string; zone: string }>;
  securityGroups: string[];
  readonly vpcId: string;
  readonly activeAt: number;
  readonly tags = new Map<string, string>();

  constructor(init: LoadBalancerV2Init) {
    this.name = init.name;
    this.type = init.type;
    this.scheme = init.scheme;
    this.ipAddressType = init.ipAddressType;
    this.subnets = init.subnets;
    this.securityGroups = init.securityGroups;
    this.vpcId = init.vpcId;
    this.activeAt = init.activeAt;
    const id = stableId('lb', init.name);
    this.arn = `arn:aws:elasticloadbalancing:${init.region}:${init.accountId}:loadbalancer/${init.type === 'application' ? 'app' : 'net'}/${init.name}/${id}`;
    // ALB: name-N.REGION.elb.amazonaws.com; NLB: name-HEX.elb.REGION.amazonaws.com (the two forms AWS hands out).
    this.dnsName =
      init.type === 'application'
        ? `${dnsPrefix(init.scheme)}${init.name}-${parseInt(id.slice(0, 8), 16)}.${init.region}.elb.amazonaws.com`
        : `${dnsPrefix(init.scheme)}${init.name}-${id}.elb.${init.region}.amazonaws.com`;
    this.catalog = loadBalancerCatalog(init.type, init.scheme, init.idleTimeoutSeconds);
    this.attributes = initialAttributes(this.catalog);
  }

  state(now: number): 'provisioning' | 'active' {
    return now < this.activeAt ? 'provisioning' : 'active';
  }

  /** NLBs have no HTTP idle timeout attribute (their TCP idle timeout is a listener attribute, 350 s by default). */
  get idleTimeoutSeconds(): number {
    return Number(this.attributes.get('idle_timeout.timeout_seconds') ?? 350);
  }
}

export class ListenerV2 {
  readonly arn: string;
  readonly loadBalancer: LoadBalancerV2;
  port: number;
  protocol: string;
  /** The default rule: no conditions, priority "default", its actions are the listener's DefaultActions. */
  readonly defaultRule: ListenerRule;
  /** The other rules, kept sorted by priority (lowest first: evaluation order). */
  rules: ListenerRule[] = [];
  readonly attributes: Map<string, string>;
  readonly catalog: AttributeCatalog;
  readonly tags = new Map<string, string>();

  constructor(init: { arn: string; loadBalancer: LoadBalancerV2; port: number; protocol: string; defaultActions: RuleAction[] }) {
    this.arn = init.arn;
    this.loadBalancer = init.loadBalancer;
    this.port = init.port;
    this.protocol = init.protocol;
    this.defaultRule = new ListenerRule(ruleArn(init.arn, 'default'), undefined, [], init.defaultActions);
    this.catalog = listenerCatalog(init.loadBalancer.type);
    this.attributes = initialAttributes(this.catalog);
  }

  get defaultActions(): RuleAction[] {
    return this.defaultRule.actions;
  }

  /** Every rule, default last (DescribeRules order and evaluation order). */
  allRules(): ListenerRule[] {
    return [...this.rules, this.defaultRule];
  }

  sortRules(): void {
    this.rules.sort((a, b) => a.priority! - b.priority!);
  }
}

/** `listener-rule/app/NAME/LBID/LISTENERID/RULEID`, as AWS builds rule ARNs from the listener ARN. */
export function ruleArn(listenerArn: string, seed: string): string {
  return `${listenerArn.replace(':listener/', ':listener-rule/')}/${stableId('rule', `${listenerArn}/${seed}`)}`;
}

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
  readonly catalog: AttributeCatalog;
  readonly members = new MemberSet();
  readonly tags = new Map<string, string>();

  constructor(init: TargetGroupInit) {
    this.name = init.name;
    this.targetType = init.targetType;
    this.arn = `arn:aws:elasticloadbalancing:${init.region}:${init.accountId}:targetgroup/${init.name}/${stableId('tg', init.name)}`;
    this.protocol = init.protocol;
    this.port = init.port;
    this.vpcId = init.vpcId;
    this.healthCheck = init.healthCheck;
    this.catalog = targetGroupCatalog(init.protocol, init.targetType, init.deregistrationDelaySeconds);
    this.attributes = initialAttributes(this.catalog);
  }

  get deregistrationDelaySeconds(): number {
    return Number(this.attributes.get('deregistration_delay.timeout_seconds'));
  }
}

export function targetKey(id: string, port: number): string {
  return `${id}:${port}`;
}
