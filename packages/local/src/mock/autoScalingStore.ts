import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AutoScalingGroupSpec, LifecycleHookSpec } from './config.js';
import { LOCAL_ELB_DEFAULTS } from './defaults.js';
import { AwsQueryError } from './errors.js';
import type { LocalElbStore } from './store.js';

/** The lifecycle states Auto Scaling reports for an instance (DescribeAutoScalingInstances: LifecycleState). */
export type AutoScalingLifecycleState =
  | 'Pending'
  | 'InService'
  | 'Terminating'
  | 'Terminating:Wait'
  | 'Terminating:Proceed'
  | 'Terminated'
  | 'EnteringStandby'
  | 'Standby';

/** What IMDS `autoscaling/target-lifecycle-state` says: the steady state the instance is moving to. */
export type TargetLifecycleState = 'InService' | 'Terminated' | 'Standby' | 'Detached';

export type SpotAction = 'terminate' | 'stop' | 'hibernate';

/** One step an instance went through, for tests and `GET /_local/autoscaling`. */
export interface LifecycleEvent {
  state: AutoScalingLifecycleState;
  at: number;
  /** Why: 'scale-in', 'EnterStandby', 'CompleteLifecycleAction CONTINUE', 'heartbeat timeout (ABANDON)', … */
  cause: string;
}

export interface AutoScalingInstanceView {
  instanceId: string;
  group: string;
  state: AutoScalingLifecycleState;
  targetLifecycleState: TargetLifecycleState;
  history: LifecycleEvent[];
  /** The lifecycle action pending now (Terminating:Wait), if any. */
  action: { hook: string; token: string; startedAt: number; heartbeatDeadlineAt: number; heartbeats: number } | undefined;
}

interface LifecycleAction {
  hook: LifecycleHookSpec;
  token: string;
  startedAt: number;
  heartbeatDeadlineAt: number;
  globalDeadlineAt: number;
  heartbeats: number;
  cancel(): void;
}

interface GroupInstance {
  id: string;
  group: Group;
  state: AutoScalingLifecycleState;
  target: TargetLifecycleState;
  history: LifecycleEvent[];
  action: LifecycleAction | undefined;
  /** Stops a pending wait for the attached balancers. */
  cancelWait: (() => void) | undefined;
}

interface Group {
  spec: AutoScalingGroupSpec;
  desiredCapacity: number;
  instances: Map<string, GroupInstance>;
}

/** What the Activity of EnterStandby/ExitStandby reports. */
export interface ActivityView {
  ActivityId: string;
  AutoScalingGroupName: string;
  Description: string;
  Cause: string;
  StartTime: Date;
  StatusCode: string;
  Progress: number;
  Details: string;
}

/**
 * The local Auto Scaling: groups from the config, each instance's lifecycle state walked as AWS walks it, and the
 * per-instance notices IMDS serves (target lifecycle state, Spot interruption, rebalance recommendation).
 *
 * Scale-in as AWS does it: target state Terminated at once; the instance is deregistered from the balancers attached
 * to the group and Auto Scaling waits for that to finish (Classic connection draining, target group deregistration
 * delay) in Terminating; then, with a termination lifecycle hook, Terminating:Wait until CompleteLifecycleAction or
 * the heartbeat timeout (each RecordLifecycleActionHeartbeat restarts it; the global timeout caps it), then
 * Terminating:Proceed and Terminated. EnterStandby deregisters likewise (EnteringStandby → Standby); ExitStandby
 * registers again (Pending → InService). Balancers the app registered with itself are not the group's: untouched.
 */
export class AutoScalingStore {
  private readonly groups = new Map<string, Group>();
  private readonly spotInstances: Set<string>;
  private readonly spotNotices = new Map<string, { action: SpotAction; time: Date }>();
  private readonly rebalanceNotices = new Map<string, Date>();
  private readonly elb: LocalElbStore;
  private readonly logger: Logger;
  private readonly availabilityZone: string;
  private closed = false;

  constructor(options: { groups: AutoScalingGroupSpec[]; spotInstances: string[]; elb: LocalElbStore; logger: Logger; availabilityZone: string }) {
    this.elb = options.elb;
    this.logger = options.logger;
    this.availabilityZone = options.availabilityZone;
    this.spotInstances = new Set(options.spotInstances);
    for (const spec of options.groups) {
      const group: Group = { spec, desiredCapacity: spec.instances.length, instances: new Map() };
      for (const id of spec.instances) {
        group.instances.set(id, { id, group, state: 'InService', target: 'InService', history: [{ state: 'InService', at: Date.now(), cause: 'config' }], action: undefined, cancelWait: undefined });
      }
      this.groups.set(spec.name, group);
    }
  }

  // ── What IMDS serves ─────────────────────────────────────────────────────────────────────────────────────────

  /** `autoscaling/target-lifecycle-state`; undefined (IMDS: 404) for an instance in no group. */
  targetLifecycleState(instanceId: string): TargetLifecycleState | undefined {
    return this.find(instanceId)?.target;
  }

  /** `instance-life-cycle`. */
  instanceLifeCycle(instanceId: string): 'spot' | 'on-demand' {
    return this.spotInstances.has(instanceId) || this.spotNotices.has(instanceId) ? 'spot' : 'on-demand';
  }

  spotNotice(instanceId: string): { action: SpotAction; time: Date } | undefined {
    return this.spotNotices.get(instanceId);
  }

  rebalanceNotice(instanceId: string): Date | undefined {
    return this.rebalanceNotices.get(instanceId);
  }

  // ── Local control actions (no AWS API does these from outside: AWS decides them) ─────────────────────────────

  /** Scale-in of one instance (what a lower desired capacity or TerminateInstanceInAutoScalingGroup starts). */
  scaleIn(instanceId: string): AutoScalingInstanceView {
    const instance = this.find(instanceId);
    if (!instance) throw new AwsQueryError('ValidationError', `Instance Id not found - No managed instance found for instance ID: ${instanceId}`);
    if (instance.state !== 'InService') throw new AwsQueryError('ValidationError', `The instance ${instanceId} is not in InService (it is ${instance.state}).`);
    instance.group.desiredCapacity -= 1;
    instance.target = 'Terminated';
    this.move(instance, 'Terminating', 'scale-in');
    this.leaveAttachedBalancers(instance, () => this.terminationWait(instance));
    return this.view(instance);
  }

  /** A Spot interruption notice: IMDS answers `spot/instance-action` from now on (the two minutes start now). */
  spotInterrupt(instanceId: string, action: SpotAction = 'terminate'): { action: SpotAction; time: Date } {
    const time = new Date(Date.now() + LOCAL_ELB_DEFAULTS.autoScaling.spotNoticeSeconds * 1000);
    const notice = { action, time };
    this.spotNotices.set(instanceId, notice);
    this.logger.info({ instanceId, action, time }, 'spot interruption notice');
    return notice;
  }

  /** An EC2 instance rebalance recommendation: IMDS answers `events/recommendations/rebalance` from now on. */
  rebalanceRecommendation(instanceId: string): Date {
    const noticeTime = new Date();
    this.rebalanceNotices.set(instanceId, noticeTime);
    this.logger.info({ instanceId }, 'rebalance recommendation');
    return noticeTime;
  }

  instances(): AutoScalingInstanceView[] {
    return [...this.groups.values()].flatMap((g) => [...g.instances.values()].map((i) => this.view(i)));
  }

  // ── The API (2011-01-01) ─────────────────────────────────────────────────────────────────────────────────────

  describeInstances(ids: string[] | undefined): Array<{ instanceId: string; group: string; state: AutoScalingLifecycleState; availabilityZone: string }> {
    const all = [...this.groups.values()].flatMap((g) => [...g.instances.values()]).filter((i) => i.state !== 'Terminated');
    const wanted = ids && ids.length > 0 ? all.filter((i) => ids.includes(i.id)) : all;
    return wanted.map((i) => ({ instanceId: i.id, group: i.group.spec.name, state: i.state, availabilityZone: this.availabilityZone }));
  }

  lifecycleHooks(groupName: string, names: string[] | undefined): LifecycleHookSpec[] {
    const group = this.group(groupName);
    return group.spec.lifecycleHooks.filter((h) => !names || names.length === 0 || names.includes(h.name));
  }

  completeLifecycleAction(input: { group: string; hook: string; result: 'CONTINUE' | 'ABANDON'; instanceId: string | undefined; token: string | undefined }): void {
    const instance = this.pendingAction(input);
    const action = instance.action!;
    action.cancel();
    instance.action = undefined;
    this.logger.info({ instanceId: instance.id, hook: action.hook.name, result: input.result, waitedMs: Date.now() - action.startedAt }, 'lifecycle action completed');
    this.finishTermination(instance, `CompleteLifecycleAction ${input.result}`);
  }

  recordHeartbeat(input: { group: string; hook: string; instanceId: string | undefined; token: string | undefined }): void {
    const instance = this.pendingAction(input);
    const action = instance.action!;
    action.heartbeats += 1;
    action.heartbeatDeadlineAt = Math.min(Date.now() + action.hook.heartbeatTimeoutSeconds * 1000, action.globalDeadlineAt);
    this.logger.info({ instanceId: instance.id, hook: action.hook.name, heartbeats: action.heartbeats }, 'lifecycle action heartbeat');
  }

  enterStandby(groupName: string, ids: string[], decrement: boolean): ActivityView[] {
    const group = this.group(groupName);
    const instances = ids.map((id) => this.member(group, id));
    const bad = instances.find((i) => i.state !== 'InService');
    if (bad) throw new AwsQueryError('ValidationError', `The instance ${bad.id} is not in InService.`);
    return instances.map((instance) => {
      const before = group.desiredCapacity;
      if (decrement) group.desiredCapacity -= 1;
      instance.target = 'Standby';
      this.move(instance, 'EnteringStandby', 'EnterStandby');
      this.leaveAttachedBalancers(instance, () => this.move(instance, 'Standby', 'attached balancers left'));
      const change = decrement ? `shrinking the capacity from ${before} to ${group.desiredCapacity}` : `keeping the capacity at ${before}`;
      return this.activity(group, `Moving EC2 instance to Standby: ${instance.id}`, `instance ${instance.id} was moved to standby in response to a user request, ${change}`, 'InProgress', 50);
    });
  }

  exitStandby(groupName: string, ids: string[]): ActivityView[] {
    const group = this.group(groupName);
    const instances = ids.map((id) => this.member(group, id));
    const bad = instances.find((i) => i.state !== 'Standby' && i.state !== 'EnteringStandby');
    if (bad) throw new AwsQueryError('ValidationError', `The instance ${bad.id} is not in Standby.`);
    return instances.map((instance) => {
      const before = group.desiredCapacity;
      group.desiredCapacity += 1;
      instance.cancelWait?.();
      instance.target = 'InService';
      this.move(instance, 'Pending', 'ExitStandby');
      this.joinAttachedBalancers(instance);
      this.move(instance, 'InService', 'attached balancers joined');
      return this.activity(
        group,
        `Moving EC2 instance out of Standby: ${instance.id}`,
        `instance ${instance.id} was moved out of standby in response to a user request, increasing the capacity from ${before} to ${group.desiredCapacity}`,
        'PreInService',
        30,
      );
    });
  }

  close(): void {
    this.closed = true;
    for (const group of this.groups.values()) {
      for (const instance of group.instances.values()) {
        instance.action?.cancel();
        instance.cancelWait?.();
      }
    }
  }

  // ── The walk ─────────────────────────────────────────────────────────────────────────────────────────────────

  private terminationWait(instance: GroupInstance): void {
    const hook = instance.group.spec.lifecycleHooks.find((h) => h.transition === 'autoscaling:EC2_INSTANCE_TERMINATING');
    if (!hook) {
      this.finishTermination(instance, 'no termination hook');
      return;
    }
    const now = Date.now();
    const defaults = LOCAL_ELB_DEFAULTS.autoScaling;
    const globalSeconds = Math.min(hook.heartbeatTimeoutSeconds * defaults.globalTimeoutFactor, defaults.globalTimeoutMaxSeconds);
    let timer: NodeJS.Timeout | undefined;
    const action: LifecycleAction = {
      hook,
      token: randomUUID(),
      startedAt: now,
      heartbeatDeadlineAt: now + hook.heartbeatTimeoutSeconds * 1000,
      globalDeadlineAt: now + globalSeconds * 1000,
      heartbeats: 0,
      cancel: () => clearTimeout(timer),
    };
    // One timer re-armed to the current deadline: a heartbeat only moves the deadline.
    const check = (): void => {
      if (this.closed || instance.action !== action) return;
      const deadline = Math.min(action.heartbeatDeadlineAt, action.globalDeadlineAt);
      if (Date.now() >= deadline) {
        instance.action = undefined;
        this.logger.warn({ instanceId: instance.id, hook: hook.name, defaultResult: hook.defaultResult }, 'lifecycle action timed out');
        this.finishTermination(instance, `heartbeat timeout (${hook.defaultResult})`);
        return;
      }
      timer = setTimeout(check, deadline - Date.now());
      timer.unref();
    };
    instance.action = action;
    this.move(instance, 'Terminating:Wait', `lifecycle hook ${hook.name}`);
    check();
  }

  private finishTermination(instance: GroupInstance, cause: string): void {
    this.move(instance, 'Terminating:Proceed', cause);
    this.move(instance, 'Terminated', cause);
  }

  /** Deregisters from every balancer attached to the group; `then` runs once none of them holds the instance. */
  private leaveAttachedBalancers(instance: GroupInstance, then: () => void): void {
    const { spec } = instance.group;
    for (const name of spec.loadBalancers) {
      const lb = this.elb.classic.get(name);
      if (lb && this.elb.classicInstances(lb).includes(instance.id)) this.elb.deregisterClassic(name, [instance.id]);
    }
    for (const tg of this.attachedTargetGroups(instance)) {
      const targets = tg.members.all().filter((m) => m.instanceId === instance.id && m.phase === 'registered');
      if (targets.length > 0) this.elb.deregisterTargets(tg.arn, targets.map((m) => ({ id: m.instanceId, port: m.port })));
    }
    let timer: NodeJS.Timeout | undefined;
    const poll = (): void => {
      if (this.closed) return;
      if (this.stillAttached(instance)) {
        timer = setTimeout(poll, LOCAL_ELB_DEFAULTS.autoScaling.deregistrationCheckMs);
        timer.unref();
        return;
      }
      instance.cancelWait = undefined;
      then();
    };
    instance.cancelWait = () => {
      clearTimeout(timer);
      instance.cancelWait = undefined;
    };
    poll();
  }

  private joinAttachedBalancers(instance: GroupInstance): void {
    const { spec } = instance.group;
    for (const name of spec.loadBalancers) if (this.elb.classic.has(name)) this.elb.registerClassic(name, [instance.id]);
    for (const tg of this.attachedTargetGroups(instance)) this.elb.registerTargets(tg.arn, [{ id: instance.id }]);
  }

  private stillAttached(instance: GroupInstance): boolean {
    for (const name of instance.group.spec.loadBalancers) {
      if (this.elb.classic.get(name)?.members.all().some((m) => m.instanceId === instance.id)) return true;
    }
    return this.attachedTargetGroups(instance).some((tg) => tg.members.all().some((m) => m.instanceId === instance.id));
  }

  private attachedTargetGroups(instance: GroupInstance): Array<ReturnType<LocalElbStore['getTargetGroup']>> {
    const names = instance.group.spec.targetGroups;
    return [...this.elb.targetGroups.values()].filter((tg) => names.includes(tg.name));
  }

  private move(instance: GroupInstance, state: AutoScalingLifecycleState, cause: string): void {
    instance.state = state;
    instance.history.push({ state, at: Date.now(), cause });
    this.logger.info({ instanceId: instance.id, group: instance.group.spec.name, state, target: instance.target, cause }, 'auto scaling lifecycle state');
  }

  // ── Lookups ──────────────────────────────────────────────────────────────────────────────────────────────────

  private find(instanceId: string): GroupInstance | undefined {
    for (const group of this.groups.values()) {
      const instance = group.instances.get(instanceId);
      if (instance) return instance;
    }
    return undefined;
  }

  private group(name: string): Group {
    const group = this.groups.get(name);
    // AWS's wording for a group that does not exist.
    if (!group) throw new AwsQueryError('ValidationError', `AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`);
    return group;
  }

  private member(group: Group, id: string): GroupInstance {
    const instance = group.instances.get(id);
    if (!instance || instance.state === 'Terminated') {
      throw new AwsQueryError('ValidationError', `The instance ${id} is not part of Auto Scaling group ${group.spec.name}.`);
    }
    return instance;
  }

  private pendingAction(input: { group: string; hook: string; instanceId: string | undefined; token: string | undefined }): GroupInstance {
    const group = this.group(input.group);
    if (!group.spec.lifecycleHooks.some((h) => h.name === input.hook)) {
      throw new AwsQueryError('ValidationError', `No Lifecycle Hook found with name ${input.hook} for group ${input.group}`);
    }
    const instance =
      input.instanceId !== undefined ? group.instances.get(input.instanceId) : [...group.instances.values()].find((i) => i.action?.token === input.token);
    const action = instance?.action;
    if (!instance || !action || action.hook.name !== input.hook || (input.token !== undefined && action.token !== input.token)) {
      // AWS's wording: the action is looked up by instance id, else by token.
      throw new AwsQueryError(
        'ValidationError',
        input.instanceId !== undefined ? `No active Lifecycle Action found with instance ID ${input.instanceId}` : `No active Lifecycle Action found with token ${input.token}`,
      );
    }
    return instance;
  }

  private view(instance: GroupInstance): AutoScalingInstanceView {
    const action = instance.action;
    return {
      instanceId: instance.id,
      group: instance.group.spec.name,
      state: instance.state,
      targetLifecycleState: instance.target,
      history: instance.history.map((e) => ({ ...e })),
      action: action && { hook: action.hook.name, token: action.token, startedAt: action.startedAt, heartbeatDeadlineAt: action.heartbeatDeadlineAt, heartbeats: action.heartbeats },
    };
  }

  private activity(group: Group, description: string, cause: string, statusCode: string, progress: number): ActivityView {
    const now = new Date();
    return {
      ActivityId: randomUUID(),
      AutoScalingGroupName: group.spec.name,
      Description: description,
      Cause: `At ${now.toISOString().replace(/\.\d{3}Z$/, 'Z')} ${cause}.`,
      StartTime: now,
      StatusCode: statusCode,
      Progress: progress,
      Details: JSON.stringify({ 'Availability Zone': this.availabilityZone }),
    };
  }
}
