import { AwsQueryError } from './errors.js';
import type { ClassicListenerSpec, HealthCheckSpec } from './config.js';
import { INSTANCE_ID_PATTERN } from './config.js';
import { Member } from './member.js';
import { ClassicBalancer, type ClassicBalancerInit } from './resources.js';
import { StoreBase } from './storeBase.js';
import type { ClassicInstanceState } from './storeTypes.js';

/**
 * Classic balancers (API 2012-06-01): OutOfService until HealthyThreshold checks pass, InService; on deregistration
 * (draining enabled and in service) "InService / Instance deregistration currently in progress." until no request is
 * in flight (after the propagation delay) or the draining timeout, then gone ("Instance is not currently registered…").
 */
export class ClassicStore extends StoreBase {

  createClassic(init: Omit<ClassicBalancerInit, 'region' | 'vpcId'> & { tags?: ReadonlyArray<{ key: string; value: string }> }): ClassicBalancer {
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

  protected startClassicChecks(lb: ClassicBalancer, member: Member): void {
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
}

function checkInstanceIds(ids: string[]): void {
  const bad = ids.find((id) => !INSTANCE_ID_PATTERN.test(id));
  if (bad !== undefined) throw new AwsQueryError('InvalidInstance', `Could not find EC2 instance ${bad}.`);
}
