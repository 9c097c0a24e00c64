import type { Logger } from 'pino';
import { AwsQueryError } from './errors.js';
import type { ClassicListenerSpec, HealthCheckSpec, ResolvedLocalElbConfig } from './config.js';
import { INSTANCE_ID_PATTERN } from './config.js';
import { Member, type HealthFailure } from './member.js';
import { MemberLifecycle } from './memberLifecycle.js';
import { Network } from './network.js';
import { ClassicBalancer, ListenerV2, LoadBalancerV2, ruleArn, stableId, TargetGroup, targetKey, type Scheme, type TargetGroupInit } from './resources.js';
import { ListenerRule, targetGroupsOf, type RequestView, type RuleAction, type RuleCondition } from './rules.js';

/** What the health checker needs from one registration; `spec` and `address` are read on every probe. */
export interface HealthCheckJob {
  label: string;
  spec(): HealthCheckSpec;
  address(): string;
  report(ok: boolean, failure?: { reason: HealthFailure; detail: string }): void;
}

/** Starts periodic checks for one job; returns the function that stops them. */
export type StartHealthChecks = (job: HealthCheckJob) => () => void;

/** One data-plane listener: where its requests may go right now. */
export interface ListenerRoute {
  /** Stable identity (Classic `classic/web/8080`, ELBv2 the listener ARN). */
  id: string;
  balancer: string;
  type: 'classic' | 'application' | 'network';
  /** The port the API declared (the data plane may listen elsewhere in 'ephemeral' mode). */
  port: number;
  idleTimeoutSeconds(): number;
  /** The next member in service (round robin) and the address to send to, or undefined (→ 503). */
  pick(now: number): { member: Member; address: string } | undefined;
  /** ALB listeners: the rules decide per request (forward, fixed response or redirect); without it, `pick` decides. */
  dispatch?(req: RequestView, now: number): RouteDecision;
}

/** What a listener does with one request. */
export type RouteDecision =
  | { kind: 'forward'; member: Member; address: string }
  | { kind: 'unavailable' }
  | { kind: 'fixed-response'; statusCode: number; contentType: string | undefined; body: string }
  | { kind: 'redirect'; statusCode: 301 | 302; location: string };

export interface StoreOptions {
  region: string;
  accountId: string;
  propagationDelayMs: number;
  logger: Logger;
  /** instanceId → host:port overrides (config, --instance, setInstanceAddress); shared, read live. */
  addresses: Map<string, string>;
  startHealthChecks: StartHealthChecks;
  /** Listeners were added or removed: the data plane starts or stops servers. */
  onListenersChanged(): void;
  /**
   * DescribeTargetHealth is eventually consistent on AWS: right after RegisterTargets a target can read `unused`
   * (Target.NotRegistered) for a moment. This long, the local ELB says so too (0: immediately consistent).
   */
  targetRegistrationLagMs: number;
  /** An API-created ALB/NLB reads `provisioning` this long before `active` (configured ones are active at start). */
  provisioningMs: number;
}

/** The state AWS reports for a Classic instance (DescribeInstanceHealth). */
export interface ClassicInstanceState {
  InstanceId: string;
  State: 'InService' | 'OutOfService' | 'Unknown';
  ReasonCode: 'ELB' | 'Instance' | 'N/A';
  Description: string;
}

/** The state AWS reports for a target (DescribeTargetHealth). */
export interface TargetHealthState {
  State: 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';
  Reason?: string;
  Description?: string;
}

/**
 * The local ELB's model of both APIs, with the AWS state machines:
 * - Classic: OutOfService until HealthyThreshold checks pass, InService; on deregistration (draining enabled and
 *   in service) "InService / Instance deregistration currently in progress." until no request is in flight (after
 *   the propagation delay) or the draining timeout, then gone ("Instance is not currently registered…").
 * - ELBv2: initial → healthy/unhealthy; on deregistration `draining` for the whole deregistration delay even when
 *   idle (new requests stop after the propagation delay), then gone (`unused`, Target.NotRegistered).
 * Not-found and duplicate conditions throw the AWS error the API answers.
 */
export class LocalElbStore {
  readonly classic = new Map<string, ClassicBalancer>();
  readonly loadBalancers = new Map<string, LoadBalancerV2>();
  readonly listeners = new Map<string, ListenerV2>();
  readonly targetGroups = new Map<string, TargetGroup>();
  readonly region: string;
  readonly accountId: string;
  readonly network: Network;
  propagationDelayMs: number;
  readonly options: StoreOptions;
  private readonly logger: Logger;
  private readonly lifecycle: MemberLifecycle;
  private closed = false;
  /** Makes every new listener and rule ARN unique, even for a port or priority used before. */
  private sequence = 0;

  constructor(options: StoreOptions) {
    this.options = options;
    this.region = options.region;
    this.accountId = options.accountId;
    this.propagationDelayMs = options.propagationDelayMs;
    this.logger = options.logger;
    this.network = new Network(options.region, options.accountId);
    this.lifecycle = new MemberLifecycle({ logger: options.logger, propagationDelayMs: () => this.propagationDelayMs, closed: () => this.closed });
  }

  /** Builds the configured resources (through the same code paths as the API) and registers configured instances. */
  loadConfig(config: ResolvedLocalElbConfig): void {
    const zones = this.network.zoneNames().slice(0, 2);
    for (const c of config.classic) {
      const lb = this.createClassic({
        name: c.name,
        listeners: c.listeners,
        healthCheck: c.healthCheck,
        connectionDraining: c.connectionDraining,
        idleTimeoutSeconds: c.idleTimeoutSeconds,
        scheme: 'internet-facing',
        availabilityZones: zones.slice(0, 1),
        subnets: [],
        securityGroups: [],
      });
      if (c.instances.length > 0) this.registerClassic(lb.name, c.instances);
    }
    for (const t of config.targetGroups) {
      this.createTargetGroup({ name: t.name, protocol: t.protocol, port: t.port, vpcId: this.network.defaultVpcId, healthCheck: t.healthCheck, deregistrationDelaySeconds: t.deregistrationDelaySeconds, targetType: 'instance' });
    }
    for (const l of config.loadBalancers) {
      const lb = this.createLoadBalancer({
        name: l.name,
        type: l.type,
        scheme: 'internet-facing',
        ipAddressType: 'ipv4',
        idleTimeoutSeconds: l.idleTimeoutSeconds,
        subnets: zones.map((zone) => this.network.subnetFor(zone)),
        securityGroups: l.type === 'application' ? [this.network.defaultSecurityGroupId] : [],
        provisioned: true,
      });
      for (const listener of l.listeners) {
        const tg = [...this.targetGroups.values()].find((t) => t.name === listener.targetGroup)!;
        this.createListener({ loadBalancerArn: lb.arn, port: listener.port, protocol: listener.protocol, defaultActions: [forwardTo(tg)] });
      }
    }
    for (const t of config.targetGroups) {
      const tg = [...this.targetGroups.values()].find((g) => g.name === t.name)!;
      if (t.targets.length > 0) this.registerTargets(tg.arn, t.targets);
    }
  }

  // ---------------------------------------------------------------- Classic

  createClassic(init: {
    name: string;
    listeners: ClassicListenerSpec[];
    healthCheck: HealthCheckSpec;
    connectionDraining: { enabled: boolean; timeoutSeconds: number };
    idleTimeoutSeconds: number;
    scheme: Scheme;
    availabilityZones: string[];
    subnets: string[];
    securityGroups: string[];
    tags?: ReadonlyArray<{ key: string; value: string }>;
  }): ClassicBalancer {
    if (this.classic.has(init.name) || [...this.loadBalancers.values()].some((lb) => lb.name === init.name)) {
      throw new AwsQueryError('DuplicateLoadBalancerName', `The specified load balancer name already exists for this account: ${init.name}`);
    }
    const inVpc = init.subnets.length > 0;
    const lb = new ClassicBalancer({
      ...init,
      region: this.region,
      availabilityZones: inVpc ? init.subnets.map((s) => this.network.zoneOf(s)) : init.availabilityZones,
      // In a VPC a Classic balancer always has a security group: the VPC's default one unless given.
      securityGroups: inVpc && init.securityGroups.length === 0 ? [this.network.defaultSecurityGroupId] : init.securityGroups,
      vpcId: inVpc ? this.network.defaultVpcId : undefined,
    });
    for (const tag of init.tags ?? []) lb.tags.set(tag.key, tag.value);
    this.classic.set(lb.name, lb);
    this.logger.info({ balancer: lb.name, listeners: lb.listeners.map((l) => l.loadBalancerPort) }, 'classic load balancer created');
    this.options.onListenersChanged();
    return lb;
  }

  deleteClassic(name: string): void {
    const lb = this.classic.get(name);
    // DeleteLoadBalancer succeeds for a balancer that does not exist (AWS documents it as idempotent).
    if (!lb) return;
    for (const member of lb.members.all()) {
      member.stopTimers();
      member.abortInFlight();
    }
    this.classic.delete(name);
    this.logger.info({ balancer: name }, 'classic load balancer deleted');
    this.options.onListenersChanged();
  }

  getClassic(name: string): ClassicBalancer {
    const lb = this.classic.get(name);
    if (!lb) throw new AwsQueryError('LoadBalancerNotFound', `There is no ACTIVE Load Balancer named '${name}'`);
    return lb;
  }

  /** Instances registered now (draining ones are no longer part of the balancer's instance list). */
  classicInstances(lb: ClassicBalancer): string[] {
    return lb.members.all().filter((m) => m.phase === 'registered').map((m) => m.instanceId);
  }

  registerClassic(name: string, ids: string[]): string[] {
    const lb = this.getClassic(name);
    checkInstanceIds(ids);
    for (const id of ids) {
      let member = lb.members.get(id);
      if (member?.phase === 'registered') continue;
      if (member) {
        this.lifecycle.revive(member);
      } else {
        member = new Member(id, 0);
        lb.members.add(id, member);
      }
      lb.everRegistered.add(id);
      this.logger.info({ balancer: lb.name, instanceId: id, address: this.classicHealthAddress(lb, id) }, 'instance registered');
      this.startClassicChecks(lb, member);
    }
    return this.classicInstances(lb);
  }

  deregisterClassic(name: string, ids: string[]): string[] {
    const lb = this.getClassic(name);
    checkInstanceIds(ids);
    const unknown = ids.filter((id) => !lb.everRegistered.has(id));
    if (unknown.length > 0) throw new AwsQueryError('InvalidInstance', `Could not find EC2 instance ${unknown[0]}.`);
    for (const id of ids) {
      const member = lb.members.get(id);
      if (!member || member.phase !== 'registered') continue;
      member.stopTimers();
      const draining = lb.connectionDraining.enabled && member.health === 'healthy';
      this.logger.info({ balancer: lb.name, instanceId: id, draining, timeoutSeconds: draining ? lb.connectionDraining.timeoutSeconds : 0 }, 'instance deregistered');
      if (draining) this.lifecycle.drain(member, lb.connectionDraining.timeoutSeconds * 1000, true, () => this.lifecycle.removeMember(lb.members, id, member, lb.name));
      else this.lifecycle.leave(member, () => this.lifecycle.removeMember(lb.members, id, member, lb.name));
    }
    return this.classicInstances(lb);
  }

  classicInstanceState(lb: ClassicBalancer, id: string): ClassicInstanceState {
    const member = lb.members.get(id);
    if (!member || member.phase === 'leaving') {
      return { InstanceId: id, State: 'OutOfService', ReasonCode: 'N/A', Description: 'Instance is not currently registered with the LoadBalancer.' };
    }
    if (member.phase === 'draining') {
      return { InstanceId: id, State: 'InService', ReasonCode: 'N/A', Description: 'Instance deregistration currently in progress.' };
    }
    switch (member.health) {
      case 'healthy':
        return { InstanceId: id, State: 'InService', ReasonCode: 'N/A', Description: 'N/A' };
      case 'unhealthy':
        return { InstanceId: id, State: 'OutOfService', ReasonCode: 'Instance', Description: 'Instance has failed at least the UnhealthyThreshold number of health checks consecutively.' };
      default:
        return member.checksDone === 0
          ? { InstanceId: id, State: 'OutOfService', ReasonCode: 'ELB', Description: 'Instance registration is still in progress.' }
          : { InstanceId: id, State: 'OutOfService', ReasonCode: 'Instance', Description: 'Instance has not passed the configured HealthyThreshold number of health checks consecutively.' };
    }
  }

  /** DescribeInstanceHealth without instances: everything still attached, including draining instances. */
  describeClassicHealth(name: string, ids: string[] | undefined): ClassicInstanceState[] {
    const lb = this.getClassic(name);
    if (ids && ids.length > 0) {
      checkInstanceIds(ids);
      return ids.map((id) => this.classicInstanceState(lb, id));
    }
    return lb.members
      .all()
      .filter((m) => m.phase !== 'leaving')
      .map((m) => this.classicInstanceState(lb, m.instanceId));
  }

  configureClassicHealthCheck(name: string, healthCheck: HealthCheckSpec): ClassicBalancer {
    const lb = this.getClassic(name);
    lb.healthCheck = healthCheck;
    this.logger.info({ balancer: name, healthCheck }, 'health check configured');
    // New interval and target apply at once: restart each registered instance's probe loop (streaks are kept).
    for (const member of lb.members.all()) {
      if (member.phase !== 'registered') continue;
      member.stopTimers();
      this.startClassicChecks(lb, member);
    }
    return lb;
  }

  /** CreateLoadBalancerListeners: a port already served with the same settings is accepted again (idempotent). */
  addClassicListeners(name: string, listeners: ClassicListenerSpec[]): void {
    const lb = this.getClassic(name);
    const added: ClassicListenerSpec[] = [];
    for (const listener of listeners) {
      const existing = [...lb.listeners, ...added].find((l) => l.loadBalancerPort === listener.loadBalancerPort);
      if (!existing) added.push(listener);
      else if (existing.protocol !== listener.protocol || existing.instancePort !== listener.instancePort || existing.instanceProtocol !== listener.instanceProtocol) {
        throw new AwsQueryError('DuplicateListener', `A listener already exists for ${name} with LoadBalancerPort ${listener.loadBalancerPort}, but with a different InstancePort, Protocol, or SSLCertificateId`);
      }
    }
    lb.listeners = [...lb.listeners, ...added];
    this.logger.info({ balancer: name, ports: added.map((l) => l.loadBalancerPort) }, 'classic listeners created');
    this.options.onListenersChanged();
  }

  /** DeleteLoadBalancerListeners: ports with no listener are ignored, as AWS does. */
  removeClassicListeners(name: string, ports: number[]): void {
    const lb = this.getClassic(name);
    lb.listeners = lb.listeners.filter((l) => !ports.includes(l.loadBalancerPort));
    this.logger.info({ balancer: name, ports }, 'classic listeners deleted');
    this.options.onListenersChanged();
  }

  logBalancerAttributes(lb: ClassicBalancer): void {
    this.logger.info({ balancer: lb.name, connectionDraining: lb.connectionDraining, idleTimeoutSeconds: lb.idleTimeoutSeconds, crossZone: lb.crossZone }, 'load balancer attributes modified');
  }

  private startClassicChecks(lb: ClassicBalancer, member: Member): void {
    const stop = this.options.startHealthChecks({
      label: `elb/${lb.name}/${member.instanceId}`,
      spec: () => lb.healthCheck,
      address: () => this.classicHealthAddress(lb, member.instanceId),
      report: (ok, failure) => this.lifecycle.recordHealth(`elb/${lb.name}`, member, lb.healthCheck, ok, failure),
    });
    member.cancelTimers.push(stop);
  }

  classicHealthAddress(lb: ClassicBalancer, id: string): string {
    const port = lb.healthCheck.port === 'traffic-port' ? (lb.listeners[0]?.instancePort ?? 80) : lb.healthCheck.port;
    return this.addressOf(id, port);
  }

  // ---------------------------------------------------------------- ELBv2 load balancers and listeners

  createLoadBalancer(init: {
    name: string;
    type: 'application' | 'network';
    scheme: Scheme;
    ipAddressType: string;
    idleTimeoutSeconds?: number;
    subnets: string[];
    securityGroups: string[];
    tags?: ReadonlyArray<{ key: string; value: string }>;
    /** Configured at start: active at once. */
    provisioned?: boolean;
  }): LoadBalancerV2 {
    const existing = [...this.loadBalancers.values()].find((lb) => lb.name === init.name);
    if (existing) {
      // AWS answers a repeated create with the same settings with the existing balancer.
      const sameSubnets = existing.subnets.map((s) => s.subnetId).join() === init.subnets.join();
      if (existing.type === init.type && existing.scheme === init.scheme && sameSubnets) return existing;
      throw new AwsQueryError('DuplicateLoadBalancerName', 'A load balancer with the same name exists, but with different settings');
    }
    if (this.classic.has(init.name)) throw new AwsQueryError('DuplicateLoadBalancerName', `Load balancer name '${init.name}' is already in use`);
    const lb = new LoadBalancerV2({
      ...init,
      region: this.region,
      accountId: this.accountId,
      idleTimeoutSeconds: init.idleTimeoutSeconds ?? 60,
      subnets: init.subnets.map((subnetId) => ({ subnetId, zone: this.network.zoneOf(subnetId) })),
      securityGroups: init.type === 'application' && init.securityGroups.length === 0 ? [this.network.defaultSecurityGroupId] : init.securityGroups,
      vpcId: this.network.defaultVpcId,
      activeAt: init.provisioned ? 0 : Date.now() + this.options.provisioningMs,
    });
    for (const tag of init.tags ?? []) lb.tags.set(tag.key, tag.value);
    this.loadBalancers.set(lb.arn, lb);
    this.logger.info({ balancer: lb.name, type: lb.type, arn: lb.arn }, 'load balancer created');
    return lb;
  }

  deleteLoadBalancer(arn: string): void {
    const lb = this.getLoadBalancer(arn);
    if (lb.attributes.get('deletion_protection.enabled') === 'true') {
      throw new AwsQueryError('OperationNotPermitted', `Load balancer '${arn}' cannot be deleted because deletion protection is enabled`);
    }
    for (const listener of [...this.listeners.values()]) if (listener.loadBalancer === lb) this.deleteListener(listener.arn);
    this.loadBalancers.delete(arn);
    this.logger.info({ balancer: lb.name }, 'load balancer deleted');
  }

  getLoadBalancer(arn: string): LoadBalancerV2 {
    const lb = this.loadBalancers.get(arn);
    if (!lb) throw new AwsQueryError('LoadBalancerNotFound', `Load balancer '${arn}' not found`);
    return lb;
  }

  getListener(arn: string): ListenerV2 {
    const listener = this.listeners.get(arn);
    if (!listener) throw new AwsQueryError('ListenerNotFound', `Listener '${arn}' not found`);
    return listener;
  }

  createListener(init: { loadBalancerArn: string; port: number; protocol: string; defaultActions: RuleAction[] }): ListenerV2 {
    const lb = this.getLoadBalancer(init.loadBalancerArn);
    const clash = [...this.listeners.values()].find((l) => l.loadBalancer === lb && l.port === init.port);
    if (clash) {
      if (clash.protocol === init.protocol && sameActions(clash.defaultActions, init.defaultActions)) return clash;
      throw new AwsQueryError('DuplicateListener', 'A listener already exists on this port for this load balancer');
    }
    const before = this.groupsInUse();
    const lbPath = lb.arn.split(':loadbalancer/')[1];
    const seed = !this.listenerArnTaken(lb, init.port) ? `${lb.name}:${init.port}` : `${lb.name}:${init.port}:${(this.sequence += 1)}`;
    const arn = `arn:aws:elasticloadbalancing:${this.region}:${this.accountId}:listener/${lbPath}/${stableId('listener', seed)}`;
    const listener = new ListenerV2({ arn, loadBalancer: lb, port: init.port, protocol: init.protocol, defaultActions: init.defaultActions });
    this.listeners.set(listener.arn, listener);
    this.logger.info({ balancer: lb.name, port: listener.port, targetGroups: targetGroupsOf(init.defaultActions).map((tg) => tg.name) }, 'listener created');
    this.routingChanged(before);
    return listener;
  }

  modifyListener(arn: string, changes: { port?: number; protocol?: string; defaultActions?: RuleAction[] }): ListenerV2 {
    const listener = this.getListener(arn);
    if (changes.port !== undefined && changes.port !== listener.port) {
      const clash = [...this.listeners.values()].some((l) => l !== listener && l.loadBalancer === listener.loadBalancer && l.port === changes.port);
      if (clash) throw new AwsQueryError('DuplicateListener', 'A listener already exists on this port for this load balancer');
    }
    const before = this.groupsInUse();
    if (changes.port !== undefined) listener.port = changes.port;
    if (changes.protocol !== undefined) listener.protocol = changes.protocol;
    if (changes.defaultActions) listener.defaultRule.update(undefined, changes.defaultActions);
    this.logger.info({ balancer: listener.loadBalancer.name, port: listener.port, protocol: listener.protocol }, 'listener modified');
    this.routingChanged(before);
    return listener;
  }

  deleteListener(arn: string): void {
    const listener = this.getListener(arn);
    const before = this.groupsInUse();
    this.listeners.delete(arn);
    this.logger.info({ balancer: listener.loadBalancer.name, port: listener.port }, 'listener deleted');
    this.routingChanged(before);
  }

  // ---------------------------------------------------------------- ELBv2 listener rules

  findRule(arn: string): { listener: ListenerV2; rule: ListenerRule } {
    for (const listener of this.listeners.values()) {
      for (const rule of listener.allRules()) if (rule.arn === arn) return { listener, rule };
    }
    throw new AwsQueryError('RuleNotFound', `Rule '${arn}' not found`);
  }

  createRule(listenerArn: string, priority: number, conditions: RuleCondition[], actions: RuleAction[]): ListenerRule {
    const listener = this.getListener(listenerArn);
    const existing = listener.rules.find((r) => r.priority === priority);
    if (existing) throw new AwsQueryError('PriorityInUse', `Priority '${priority}' is currently in use`);
    const rulesOnBalancer = [...this.listeners.values()].filter((l) => l.loadBalancer === listener.loadBalancer).reduce((n, l) => n + l.rules.length, 0);
    if (rulesOnBalancer >= LOCAL_ELB_LIMITS.rulesPerLoadBalancer) throw new AwsQueryError('TooManyRules', `A load balancer can have at most ${LOCAL_ELB_LIMITS.rulesPerLoadBalancer} rules`);
    const before = this.groupsInUse();
    const rule = new ListenerRule(ruleArn(listener.arn, `${priority}:${(this.sequence += 1)}`), priority, conditions, actions);
    listener.rules.push(rule);
    listener.sortRules();
    this.logger.info({ balancer: listener.loadBalancer.name, port: listener.port, priority, conditions: conditions.map((c) => c.field) }, 'rule created');
    this.routingChanged(before);
    return rule;
  }

  modifyRule(arn: string, conditions: RuleCondition[] | undefined, actions: RuleAction[] | undefined): ListenerRule {
    const { listener, rule } = this.findRule(arn);
    // The default rule changes through ModifyListener (its DefaultActions); its conditions cannot change.
    if (rule === listener.defaultRule && conditions && conditions.length > 0) throw new AwsQueryError('OperationNotPermitted', 'The default rule cannot have conditions');
    const before = this.groupsInUse();
    rule.update(conditions, actions);
    this.logger.info({ balancer: listener.loadBalancer.name, port: listener.port, priority: rule.priority ?? 'default' }, 'rule modified');
    this.routingChanged(before);
    return rule;
  }

  deleteRule(arn: string): void {
    const { listener, rule } = this.findRule(arn);
    if (rule === listener.defaultRule) throw new AwsQueryError('OperationNotPermitted', 'The default rule cannot be deleted');
    const before = this.groupsInUse();
    listener.rules = listener.rules.filter((r) => r !== rule);
    this.logger.info({ balancer: listener.loadBalancer.name, port: listener.port, priority: rule.priority }, 'rule deleted');
    this.routingChanged(before);
  }

  /** SetRulePriorities: all or nothing; the resulting priorities must be unique per listener. */
  setRulePriorities(changes: Array<{ arn: string; priority: number }>): ListenerRule[] {
    const found = changes.map((c) => ({ ...this.findRule(c.arn), priority: c.priority }));
    for (const f of found) if (f.rule === f.listener.defaultRule) throw new AwsQueryError('OperationNotPermitted', 'The priority of the default rule cannot be changed');
    for (const listener of new Set(found.map((f) => f.listener))) {
      const priorities = listener.rules.map((r) => found.find((f) => f.rule === r)?.priority ?? r.priority!);
      const duplicate = priorities.find((p, i) => priorities.indexOf(p) !== i);
      if (duplicate !== undefined) throw new AwsQueryError('PriorityInUse', `Priority '${duplicate}' is currently in use`);
    }
    for (const f of found) f.rule.priority = f.priority;
    for (const listener of new Set(found.map((f) => f.listener))) listener.sortRules();
    this.logger.info({ changes }, 'rule priorities set');
    return found.map((f) => f.rule);
  }

  /** A group receives traffic (and is health checked) only while a listener's rule or default action forwards to it. */
  private groupsInUse(): Set<TargetGroup> {
    const used = new Set<TargetGroup>();
    for (const listener of this.listeners.values()) for (const rule of listener.allRules()) for (const tg of targetGroupsOf(rule.actions)) used.add(tg);
    return used;
  }

  /** After a change to listeners or rules: start or stop health checks of groups that gained or lost their use. */
  private routingChanged(before: Set<TargetGroup>): void {
    const after = this.groupsInUse();
    for (const tg of this.targetGroups.values()) if (before.has(tg) !== after.has(tg)) this.targetGroupUseChanged(tg);
    this.options.onListenersChanged();
  }

  /** Configured listeners get an ARN derived from balancer and port (stable across starts) unless it is taken. */
  private listenerArnTaken(lb: LoadBalancerV2, port: number): boolean {
    const suffix = `/${stableId('listener', `${lb.name}:${port}`)}`;
    return [...this.listeners.keys()].some((arn) => arn.endsWith(suffix));
  }

  // ---------------------------------------------------------------- ELBv2 target groups

  createTargetGroup(init: Omit<TargetGroupInit, 'region' | 'accountId'>): TargetGroup {
    const existing = [...this.targetGroups.values()].find((t) => t.name === init.name);
    if (existing) {
      if (existing.protocol === init.protocol && existing.port === init.port) return existing;
      throw new AwsQueryError('DuplicateTargetGroupName', 'A target group with the same name exists, but with different settings');
    }
    const tg = new TargetGroup({ ...init, region: this.region, accountId: this.accountId });
    this.targetGroups.set(tg.arn, tg);
    this.logger.info({ targetGroup: tg.name, arn: tg.arn, port: tg.port }, 'target group created');
    return tg;
  }

  deleteTargetGroup(arn: string): void {
    const tg = this.targetGroups.get(arn);
    // Deleting a target group that does not exist succeeds, like every ELBv2 Delete action.
    if (!tg) return;
    if (this.inUse(tg)) throw new AwsQueryError('ResourceInUse', `Target group '${arn}' is currently in use by a listener or a rule`);
    for (const member of tg.members.all()) {
      member.stopTimers();
      member.abortInFlight();
    }
    this.targetGroups.delete(arn);
    this.logger.info({ targetGroup: tg.name }, 'target group deleted');
  }

  getTargetGroup(arn: string): TargetGroup {
    const tg = this.targetGroups.get(arn);
    if (!tg) throw new AwsQueryError('TargetGroupNotFound', `One or more target groups not found`);
    return tg;
  }

  /** A target group receives traffic (and is health checked) only while a listener's rule forwards to it. */
  inUse(tg: TargetGroup): boolean {
    return this.loadBalancerArnsOf(tg).length > 0;
  }

  loadBalancerArnsOf(tg: TargetGroup): string[] {
    const arns = new Set<string>();
    for (const listener of this.listeners.values()) {
      if (listener.allRules().some((rule) => targetGroupsOf(rule.actions).includes(tg))) arns.add(listener.loadBalancer.arn);
    }
    return [...arns];
  }

  /** ModifyTargetGroup: new health-check settings apply at once (probe loops restart, streaks are kept). */
  modifyTargetGroupHealthCheck(tg: TargetGroup, healthCheck: HealthCheckSpec): void {
    tg.healthCheck = healthCheck;
    this.logger.info({ targetGroup: tg.name, healthCheck }, 'target group health check modified');
    if (!this.inUse(tg)) return;
    for (const member of tg.members.all()) {
      if (member.phase !== 'registered') continue;
      member.stopTimers();
      this.startTargetChecks(tg, member);
    }
  }

  registerTargets(arn: string, targets: Array<{ id: string; port?: number }>): void {
    const tg = this.getTargetGroup(arn);
    const valid = tg.targetType === 'ip' ? IPV4_PATTERN : INSTANCE_ID_PATTERN;
    const invalid = targets.filter((t) => !valid.test(t.id));
    if (invalid.length > 0) {
      const what = tg.targetType === 'ip' ? 'are not valid IP addresses' : 'instances do not exist';
      throw new AwsQueryError('InvalidTarget', `The following ${what}: ${invalid.map((t) => `'${t.id}'`).join(', ')}`);
    }
    for (const target of targets) {
      const port = target.port ?? tg.port;
      const key = targetKey(target.id, port);
      let member = tg.members.get(key);
      if (member?.phase === 'registered') continue;
      if (member) this.lifecycle.revive(member);
      else tg.members.add(key, (member = new Member(target.id, port)));
      member.visibleAt = Date.now() + this.options.targetRegistrationLagMs;
      this.logger.info({ targetGroup: tg.name, target: key, address: this.targetAddress(tg, member) }, 'target registered');
      if (!tg.healthCheck.enabled) member.health = 'healthy';
      else if (this.inUse(tg)) this.startTargetChecks(tg, member);
    }
  }

  deregisterTargets(arn: string, targets: Array<{ id: string; port?: number }>): void {
    const tg = this.getTargetGroup(arn);
    for (const target of targets) {
      const key = targetKey(target.id, target.port ?? tg.port);
      const member = tg.members.get(key);
      // AWS answers 200 and does nothing for a target that is not registered (e.g. the wrong port).
      if (!member || member.phase !== 'registered') continue;
      member.stopTimers();
      const delayMs = tg.deregistrationDelaySeconds * 1000;
      this.logger.info({ targetGroup: tg.name, target: key, deregistrationDelaySeconds: tg.deregistrationDelaySeconds }, 'target deregistered');
      const remove = (): void => this.lifecycle.removeMember(tg.members, key, member, tg.name);
      if (delayMs > 0) this.lifecycle.drain(member, delayMs, false, remove);
      else this.lifecycle.leave(member, remove);
    }
  }

  targetHealth(tg: TargetGroup, member: Member | undefined): TargetHealthState {
    if (!member || member.phase === 'leaving' || (member.phase === 'registered' && Date.now() < member.visibleAt)) return { State: 'unused', Reason: 'Target.NotRegistered', Description: 'Target is not registered to the target group' };
    if (member.phase === 'draining') return { State: 'draining', Reason: 'Target.DeregistrationInProgress', Description: 'Target deregistration is in progress' };
    if (!this.inUse(tg)) return { State: 'unused', Reason: 'Target.NotInUse', Description: 'Target group is not configured to receive traffic from the load balancer' };
    if (!tg.healthCheck.enabled) return { State: 'unavailable', Reason: 'Target.HealthCheckDisabled', Description: 'Health checks disabled' };
    switch (member.health) {
      case 'healthy':
        return { State: 'healthy' };
      case 'unhealthy': {
        const failure = member.lastFailure;
        if (failure?.reason === 'Target.Timeout') return { State: 'unhealthy', Reason: 'Target.Timeout', Description: 'Request timed out' };
        if (failure?.reason === 'Target.ResponseCodeMismatch') {
          return { State: 'unhealthy', Reason: 'Target.ResponseCodeMismatch', Description: `Health checks failed with these codes: [${failure.detail}]` };
        }
        return { State: 'unhealthy', Reason: 'Target.FailedHealthChecks', Description: 'Health checks failed' };
      }
      default:
        return member.checksDone === 0
          ? { State: 'initial', Reason: 'Elb.RegistrationInProgress', Description: 'Target registration is in progress' }
          : { State: 'initial', Reason: 'Elb.InitialHealthChecking', Description: 'Initial health checks in progress' };
    }
  }

  /** DescribeTargetHealth: the given targets (registered or not), or every target still attached. */
  describeTargetHealth(arn: string, targets: Array<{ id: string; port?: number }> | undefined): Array<{ id: string; port: number; health: TargetHealthState; healthCheckPort: string }> {
    const tg = this.getTargetGroup(arn);
    const members =
      targets && targets.length > 0
        ? targets.map((t) => {
            const port = t.port ?? tg.port;
            return { id: t.id, port, member: tg.members.get(targetKey(t.id, port)) };
          })
        : tg.members
            .all()
            .filter((m) => m.phase !== 'leaving')
            .map((m) => ({ id: m.instanceId, port: m.port, member: m as Member | undefined }));
    return members.map(({ id, port, member }) => ({
      id,
      port,
      health: this.targetHealth(tg, member),
      healthCheckPort: String(tg.healthCheck.port === 'traffic-port' ? port : tg.healthCheck.port),
    }));
  }

  logLoadBalancerAttributes(lb: LoadBalancerV2, changes: Array<{ key: string; value: string }>): void {
    this.logger.info({ balancer: lb.name, changes }, 'load balancer attributes modified');
  }

  setTargetGroupAttribute(tg: TargetGroup, key: string, value: string): void {
    tg.attributes.set(key, value);
    this.logger.info({ targetGroup: tg.name, key, value }, 'target group attribute modified');
  }

  targetAddress(tg: TargetGroup, member: Member): string {
    if (tg.targetType === 'ip') return `${member.instanceId}:${member.port}`;
    return this.addressOf(member.instanceId, member.port);
  }

  private targetHealthAddress(tg: TargetGroup, member: Member): string {
    const port = tg.healthCheck.port === 'traffic-port' ? member.port : tg.healthCheck.port;
    if (tg.targetType === 'ip') return `${member.instanceId}:${port}`;
    return this.addressOf(member.instanceId, port);
  }

  startTargetChecks(tg: TargetGroup, member: Member): void {
    const stop = this.options.startHealthChecks({
      label: `target-group/${tg.name}/${member.instanceId}:${member.port}`,
      spec: () => tg.healthCheck,
      address: () => this.targetHealthAddress(tg, member),
      report: (ok, failure) => this.lifecycle.recordHealth(`target-group/${tg.name}`, member, tg.healthCheck, ok, failure),
    });
    member.cancelTimers.push(stop);
  }

  /** A listener now forwards to (or stopped forwarding to) this group: health checks start or stop. */
  private targetGroupUseChanged(tg: TargetGroup): void {
    const used = this.inUse(tg);
    for (const member of tg.members.all()) {
      if (member.phase !== 'registered') continue;
      member.stopTimers();
      if (used && tg.healthCheck.enabled) this.startTargetChecks(tg, member);
      if (!used && tg.healthCheck.enabled) member.resetHealth();
    }
  }

  addressOf(instanceId: string, port: number): string {
    return this.options.addresses.get(instanceId) ?? `127.0.0.1:${port}`;
  }

  close(): void {
    this.closed = true;
    for (const lb of this.classic.values()) for (const m of lb.members.all()) m.stopTimers();
    for (const tg of this.targetGroups.values()) for (const m of tg.members.all()) m.stopTimers();
  }
}

/** Limits AWS documents (DescribeAccountLimits) that the local ELB enforces. */
export const LOCAL_ELB_LIMITS = {
  rulesPerLoadBalancer: 100,
  targetGroupsPerAction: 5,
} as const;

/** A forward action to one group, as a configured listener has. */
export function forwardTo(tg: TargetGroup): RuleAction {
  return { type: 'forward', order: undefined, single: true, targetGroups: [{ targetGroup: tg, weight: 1 }], stickiness: { enabled: false, durationSeconds: undefined } };
}

function sameActions(a: readonly RuleAction[], b: readonly RuleAction[]): boolean {
  const key = (actions: readonly RuleAction[]): string =>
    JSON.stringify(actions.map((x) => (x.type === 'forward' ? { ...x, targetGroups: x.targetGroups.map((t) => [t.targetGroup.arn, t.weight]) } : x)));
  return key(a) === key(b);
}

const IPV4_PATTERN = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function checkInstanceIds(ids: string[]): void {
  const bad = ids.find((id) => !INSTANCE_ID_PATTERN.test(id));
  if (bad !== undefined) throw new AwsQueryError('InvalidInstance', `Could not find EC2 instance ${bad}.`);
}
