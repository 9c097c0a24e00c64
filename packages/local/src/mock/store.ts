import type { Logger } from 'pino';
import { AwsQueryError } from './errors.js';
import type { ClassicListenerSpec, HealthCheckSpec, ResolvedLocalElbConfig } from './config.js';
import { INSTANCE_ID_PATTERN } from './config.js';
import { Member, type HealthFailure } from './member.js';
import { ClassicBalancer, CONNECTION_TERMINATION, ListenerV2, LoadBalancerV2, TargetGroup, targetKey, type TargetGroupInit } from './resources.js';

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
  /** HTTP: proxied request by request; TCP: flows passed through (see tcpDataPlane.ts). */
  protocol: string;
  idleTimeoutSeconds(): number;
  /** TCP: are a deregistered target's open flows reset when its delay ends? (NLB `connection_termination`; Classic always.) */
  terminateOnDeregistration?(): boolean;
  /** The next member in service (round robin) and the address to send to, or undefined (→ 503). */
  pick(now: number): { member: Member; address: string } | undefined;
}

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
  propagationDelayMs: number;
  private readonly options: StoreOptions;
  private readonly logger: Logger;
  private closed = false;

  constructor(options: StoreOptions) {
    this.options = options;
    this.region = options.region;
    this.accountId = options.accountId;
    this.propagationDelayMs = options.propagationDelayMs;
    this.logger = options.logger;
  }

  /** Builds the configured resources (through the same code paths as the API) and registers configured instances. */
  loadConfig(config: ResolvedLocalElbConfig): void {
    for (const c of config.classic) {
      const lb = this.createClassic({ name: c.name, listeners: c.listeners, healthCheck: c.healthCheck, connectionDraining: c.connectionDraining, idleTimeoutSeconds: c.idleTimeoutSeconds });
      if (c.instances.length > 0) this.registerClassic(lb.name, c.instances);
    }
    for (const t of config.targetGroups) {
      const tg = this.createTargetGroup({ name: t.name, protocol: t.protocol, port: t.port, vpcId: 'vpc-local', healthCheck: t.healthCheck, deregistrationDelaySeconds: t.deregistrationDelaySeconds, targetType: 'instance' });
      if (t.connectionTermination !== undefined) this.setTargetGroupAttribute(tg, CONNECTION_TERMINATION, String(t.connectionTermination));
    }
    for (const l of config.loadBalancers) {
      const lb = this.createLoadBalancer({ name: l.name, type: l.type, scheme: 'internet-facing', ipAddressType: 'ipv4', idleTimeoutSeconds: l.idleTimeoutSeconds });
      for (const listener of l.listeners) {
        const tg = [...this.targetGroups.values()].find((t) => t.name === listener.targetGroup)!;
        this.createListener({ loadBalancerArn: lb.arn, port: listener.port, protocol: listener.protocol, targetGroupArn: tg.arn });
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
  }): ClassicBalancer {
    if (this.classic.has(init.name) || [...this.loadBalancers.values()].some((lb) => lb.name === init.name)) {
      throw new AwsQueryError('DuplicateLoadBalancerName', `The specified load balancer name already exists for this account: ${init.name}`);
    }
    const lb = new ClassicBalancer({ ...init, region: this.region });
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
        this.revive(member);
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
      if (draining) this.drain(member, lb.connectionDraining.timeoutSeconds * 1000, true, () => this.removeMember(lb.members, id, member, lb.name));
      else this.leave(member, () => this.removeMember(lb.members, id, member, lb.name));
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

  logBalancerAttributes(lb: ClassicBalancer): void {
    this.logger.info({ balancer: lb.name, connectionDraining: lb.connectionDraining, idleTimeoutSeconds: lb.idleTimeoutSeconds, crossZone: lb.crossZone }, 'load balancer attributes modified');
  }

  private startClassicChecks(lb: ClassicBalancer, member: Member): void {
    const stop = this.options.startHealthChecks({
      label: `elb/${lb.name}/${member.instanceId}`,
      spec: () => lb.healthCheck,
      address: () => this.classicHealthAddress(lb, member.instanceId),
      report: (ok, failure) => this.recordHealth(`elb/${lb.name}`, member, lb.healthCheck, ok, failure),
    });
    member.cancelTimers.push(stop);
  }

  classicHealthAddress(lb: ClassicBalancer, id: string): string {
    const port = lb.healthCheck.port === 'traffic-port' ? (lb.listeners[0]?.instancePort ?? 80) : lb.healthCheck.port;
    return this.addressOf(id, port);
  }

  // ---------------------------------------------------------------- ELBv2 load balancers and listeners

  createLoadBalancer(init: { name: string; type: 'application' | 'network'; scheme: 'internet-facing' | 'internal'; ipAddressType: string; idleTimeoutSeconds?: number }): LoadBalancerV2 {
    const existing = [...this.loadBalancers.values()].find((lb) => lb.name === init.name);
    if (existing) {
      if (existing.type === init.type && existing.scheme === init.scheme) return existing;
      throw new AwsQueryError('DuplicateLoadBalancerName', 'A load balancer with the same name exists, but with different settings');
    }
    if (this.classic.has(init.name)) throw new AwsQueryError('DuplicateLoadBalancerName', `Load balancer name '${init.name}' is already in use`);
    const lb = new LoadBalancerV2({
      ...init,
      region: this.region,
      accountId: this.accountId,
      idleTimeoutSeconds: init.idleTimeoutSeconds ?? 60,
    });
    this.loadBalancers.set(lb.arn, lb);
    this.logger.info({ balancer: lb.name, type: lb.type, arn: lb.arn }, 'load balancer created');
    return lb;
  }

  deleteLoadBalancer(arn: string): void {
    const lb = this.getLoadBalancer(arn);
    for (const listener of [...this.listeners.values()]) if (listener.loadBalancer === lb) this.deleteListener(listener.arn);
    this.loadBalancers.delete(arn);
    this.logger.info({ balancer: lb.name }, 'load balancer deleted');
  }

  getLoadBalancer(arn: string): LoadBalancerV2 {
    const lb = this.loadBalancers.get(arn);
    if (!lb) throw new AwsQueryError('LoadBalancerNotFound', `Load balancer '${arn}' not found`);
    return lb;
  }

  createListener(init: { loadBalancerArn: string; port: number; protocol: string; targetGroupArn: string }): ListenerV2 {
    const lb = this.getLoadBalancer(init.loadBalancerArn);
    const tg = this.getTargetGroup(init.targetGroupArn);
    const clash = [...this.listeners.values()].find((l) => l.loadBalancer === lb && l.port === init.port);
    if (clash) {
      if (clash.protocol === init.protocol && clash.targetGroup === tg) return clash;
      throw new AwsQueryError('DuplicateListener', 'A listener already exists on this port for this load balancer');
    }
    const listener = new ListenerV2({ loadBalancer: lb, port: init.port, protocol: init.protocol, targetGroup: tg, region: this.region, accountId: this.accountId });
    const wasInUse = this.inUse(tg);
    this.listeners.set(listener.arn, listener);
    this.logger.info({ balancer: lb.name, port: listener.port, targetGroup: tg.name }, 'listener created');
    if (!wasInUse) this.targetGroupUseChanged(tg);
    this.options.onListenersChanged();
    return listener;
  }

  deleteListener(arn: string): void {
    const listener = this.listeners.get(arn);
    if (!listener) throw new AwsQueryError('ListenerNotFound', `Listener '${arn}' not found`);
    this.listeners.delete(arn);
    this.logger.info({ balancer: listener.loadBalancer.name, port: listener.port }, 'listener deleted');
    if (!this.inUse(listener.targetGroup)) this.targetGroupUseChanged(listener.targetGroup);
    this.options.onListenersChanged();
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

  /** A target group receives traffic (and is health checked) only while a listener forwards to it. */
  inUse(tg: TargetGroup): boolean {
    for (const listener of this.listeners.values()) if (listener.targetGroup === tg) return true;
    return false;
  }

  loadBalancerArnsOf(tg: TargetGroup): string[] {
    return [...new Set([...this.listeners.values()].filter((l) => l.targetGroup === tg).map((l) => l.loadBalancer.arn))];
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
      if (member) this.revive(member);
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
      const remove = (): void => this.removeMember(tg.members, key, member, tg.name);
      if (delayMs > 0) this.drain(member, delayMs, false, remove);
      else this.leave(member, remove);
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

  private startTargetChecks(tg: TargetGroup, member: Member): void {
    const stop = this.options.startHealthChecks({
      label: `target-group/${tg.name}/${member.instanceId}:${member.port}`,
      spec: () => tg.healthCheck,
      address: () => this.targetHealthAddress(tg, member),
      report: (ok, failure) => this.recordHealth(`target-group/${tg.name}`, member, tg.healthCheck, ok, failure),
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

  // ---------------------------------------------------------------- data plane view

  /** Every listener the data plane should serve, each able to pick an in-service member. */
  listenerRoutes(): ListenerRoute[] {
    const routes: ListenerRoute[] = [];
    for (const lb of this.classic.values()) {
      for (const listener of lb.listeners) {
        routes.push({
          id: `classic/${lb.name}/${listener.loadBalancerPort}`,
          balancer: lb.name,
          type: 'classic',
          port: listener.loadBalancerPort,
          protocol: listener.protocol,
          idleTimeoutSeconds: () => lb.idleTimeoutSeconds,
          pick: (now) => {
            const member = lb.members.roundRobin.pick(lb.members.all(), now, false);
            return member && { member, address: this.addressOf(member.instanceId, listener.instancePort) };
          },
        });
      }
    }
    for (const listener of this.listeners.values()) {
      const tg = listener.targetGroup;
      routes.push({
        id: listener.arn,
        balancer: listener.loadBalancer.name,
        type: listener.loadBalancer.type,
        port: listener.port,
        protocol: listener.protocol,
        terminateOnDeregistration: () => tg.attributes.get(CONNECTION_TERMINATION) === 'true',
        idleTimeoutSeconds: () => listener.loadBalancer.idleTimeoutSeconds,
        pick: (now) => {
          const member = tg.members.roundRobin.pick(tg.members.all(), now, true);
          return member && { member, address: this.targetAddress(tg, member) };
        },
      });
    }
    return routes;
  }

  addressOf(instanceId: string, port: number): string {
    return this.options.addresses.get(instanceId) ?? `127.0.0.1:${port}`;
  }

  close(): void {
    this.closed = true;
    for (const lb of this.classic.values()) for (const m of lb.members.all()) m.stopTimers();
    for (const tg of this.targetGroups.values()) for (const m of tg.members.all()) m.stopTimers();
  }

  // ---------------------------------------------------------------- shared state machine

  private recordHealth(owner: string, member: Member, spec: HealthCheckSpec, ok: boolean, failure?: { reason: HealthFailure; detail: string }): void {
    if (this.closed || member.phase !== 'registered') return;
    member.checksDone += 1;
    const before = member.health;
    if (ok) {
      member.okStreak += 1;
      member.failStreak = 0;
      if (member.health !== 'healthy' && member.okStreak >= spec.healthyThreshold) member.health = 'healthy';
    } else {
      member.failStreak += 1;
      member.okStreak = 0;
      member.lastFailure = failure;
      if (member.health !== 'unhealthy' && member.failStreak >= spec.unhealthyThreshold) member.health = 'unhealthy';
    }
    if (member.health !== before) {
      this.logger.info({ owner, instanceId: member.instanceId, port: member.port || undefined, from: before, to: member.health, failure: failure?.detail }, 'health state changed');
    } else if (!ok) {
      this.logger.debug({ owner, instanceId: member.instanceId, failure: failure?.detail }, 'health check failed');
    }
  }

  /**
   * Deregistered while serving: new requests keep arriving for the propagation delay; the member is removed when
   * the drain limit passes (cutting what is still in flight) or, with `endWhenIdle` (Classic), as soon as nothing
   * is in flight after the propagation delay.
   */
  private drain(member: Member, limitMs: number, endWhenIdle: boolean, remove: () => void): void {
    member.phase = 'draining';
    member.routeUntil = Date.now() + this.propagationDelayMs;
    const finish = (why: 'idle' | 'timeout'): void => {
      member.stopTimers();
      member.onIdle = undefined;
      if (why === 'timeout' && member.inFlight > 0) {
        this.logger.warn({ instanceId: member.instanceId, inFlight: member.inFlight }, 'drain limit reached: closing in-flight requests');
        member.abortInFlight();
      }
      remove();
    };
    member.cancelTimers.push(timer(limitMs, () => finish('timeout')));
    if (endWhenIdle) {
      const finishIfIdle = (): void => {
        if (member.inFlight === 0 && Date.now() >= member.routeUntil) finish('idle');
      };
      member.onIdle = finishIfIdle;
      member.cancelTimers.push(timer(Math.min(this.propagationDelayMs, limitMs), finishIfIdle));
    }
  }

  /** Deregistered without draining: gone from the API at once; nodes still route new requests for the propagation delay. */
  private leave(member: Member, remove: () => void): void {
    member.phase = 'leaving';
    member.routeUntil = Date.now() + this.propagationDelayMs;
    member.cancelTimers.push(
      timer(this.propagationDelayMs, () => {
        member.stopTimers();
        member.abortInFlight();
        remove();
      }),
    );
  }

  private revive(member: Member): void {
    member.stopTimers();
    member.onIdle = undefined;
    member.phase = 'registered';
    member.routeUntil = Number.POSITIVE_INFINITY;
    member.resetHealth();
  }

  private removeMember(set: { get(key: string): Member | undefined; delete(key: string): void }, key: string, member: Member, owner: string): void {
    if (set.get(key) !== member || member.phase === 'registered') return;
    set.delete(key);
    this.logger.info({ owner, instanceId: member.instanceId, port: member.port || undefined }, 'deregistration complete');
  }
}

const IPV4_PATTERN = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function timer(ms: number, fn: () => void): () => void {
  const handle = setTimeout(fn, ms);
  handle.unref();
  return () => clearTimeout(handle);
}

function checkInstanceIds(ids: string[]): void {
  const bad = ids.find((id) => !INSTANCE_ID_PATTERN.test(id));
  if (bad !== undefined) throw new AwsQueryError('InvalidInstance', `Could not find EC2 instance ${bad}.`);
}
