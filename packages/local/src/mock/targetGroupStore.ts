import { AwsQueryError } from './errors.js';
import type { HealthCheckSpec } from './config.js';
import { INSTANCE_ID_PATTERN } from './config.js';
import { Member } from './member.js';
import { TargetGroup, targetKey, type LoadBalancerV2, type TargetGroupInit } from './resources.js';
import { targetGroupsOf } from './rules.js';
import { ClassicStore } from './classicStore.js';
import type { TargetHealthState } from './storeTypes.js';

/**
 * ELBv2 target groups and targets: initial → healthy/unhealthy; on deregistration `draining` for the whole
 * deregistration delay even when idle (new requests stop after the propagation delay), then gone (`unused`,
 * Target.NotRegistered). A group is health checked only while a listener's rule or default action forwards to it.
 */
export class TargetGroupStore extends ClassicStore {

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

  protected targetHealthAddress(tg: TargetGroup, member: Member): string {
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
  protected targetGroupUseChanged(tg: TargetGroup): void {
    const used = this.inUse(tg);
    for (const member of tg.members.all()) {
      if (member.phase !== 'registered') continue;
      member.stopTimers();
      if (used && tg.healthCheck.enabled) this.startTargetChecks(tg, member);
      if (!used && tg.healthCheck.enabled) member.resetHealth();
    }
  }
}

const IPV4_PATTERN = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
