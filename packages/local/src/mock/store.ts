import { AwsQueryError } from './errors.js';
import type { ResolvedLocalElbConfig } from './config.js';
import { CONNECTION_TERMINATION, ListenerV2, LoadBalancerV2, ruleArn, stableId, TargetGroup, type Scheme } from './resources.js';
import { ListenerRule, targetGroupsOf, type RuleAction, type RuleCondition } from './rules.js';
import { TargetGroupStore } from './targetGroupStore.js';

export type { ClassicInstanceState, HealthCheckJob, ListenerRoute, RouteDecision, StartHealthChecks, StoreOptions, TargetHealthState } from './storeTypes.js';

/**
 * The local ELB's model of both APIs, with the AWS state machines:
 * - Classic: OutOfService until HealthyThreshold checks pass, InService; on deregistration (draining enabled and
 *   in service) "InService / Instance deregistration currently in progress." until no request is in flight (after
 *   the propagation delay) or the draining timeout, then gone ("Instance is not currently registered…").
 * - ELBv2: initial → healthy/unhealthy; on deregistration `draining` for the whole deregistration delay even when
 *   idle (new requests stop after the propagation delay), then gone (`unused`, Target.NotRegistered).
 * Not-found and duplicate conditions throw the AWS error the API answers.
 */
export class LocalElbStore extends TargetGroupStore {
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
      const tg = this.createTargetGroup({ name: t.name, protocol: t.protocol, port: t.port, vpcId: this.network.defaultVpcId, healthCheck: t.healthCheck, deregistrationDelaySeconds: t.deregistrationDelaySeconds, targetType: 'instance' });
      if (t.connectionTermination !== undefined) this.setTargetGroupAttribute(tg, CONNECTION_TERMINATION, String(t.connectionTermination));
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
  protected groupsInUse(): Set<TargetGroup> {
    const used = new Set<TargetGroup>();
    for (const listener of this.listeners.values()) for (const rule of listener.allRules()) for (const tg of targetGroupsOf(rule.actions)) used.add(tg);
    return used;
  }

  /** After a change to listeners or rules: start or stop health checks of groups that gained or lost their use. */
  protected routingChanged(before: Set<TargetGroup>): void {
    const after = this.groupsInUse();
    for (const tg of this.targetGroups.values()) if (before.has(tg) !== after.has(tg)) this.targetGroupUseChanged(tg);
    this.options.onListenersChanged();
  }

  /** Configured listeners get an ARN derived from balancer and port (stable across starts) unless it is taken. */
  private listenerArnTaken(lb: LoadBalancerV2, port: number): boolean {
    const suffix = `/${stableId('listener', `${lb.name}:${port}`)}`;
    return [...this.listeners.keys()].some((arn) => arn.endsWith(suffix));
  }
}
export const LOCAL_ELB_LIMITS = {
  rulesPerLoadBalancer: 100,
  targetGroupsPerAction: 5,
} as const;

/** A forward action to one group, as a configured listener has. */
export function forwardTo(tg: TargetGroup): RuleAction {
  return { type: 'forward', order: undefined, targetGroups: [{ targetGroup: tg, weight: 1 }], stickiness: { enabled: false, durationSeconds: undefined } };
}

function sameActions(a: readonly RuleAction[], b: readonly RuleAction[]): boolean {
  const key = (actions: readonly RuleAction[]): string =>
    JSON.stringify(actions.map((x) => (x.type === 'forward' ? { ...x, targetGroups: x.targetGroups.map((t) => [t.targetGroup.arn, t.weight]) } : x)));
  return key(a) === key(b);
}

