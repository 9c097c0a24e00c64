import type { FaultDecision } from './faults.js';
import type { QueryRequest } from './queryRequest.js';
import { V2_API_VERSION } from './v2Api.js';

/**
 * What a control-plane call is about, read from its raw parameters without validation, so that a call the API
 * then rejects is still logged with what it named, and fault rules can be scoped by balancer before any check.
 */
export interface CallScope {
  action: string | null;
  /** Classic `LoadBalancerName`, or the name inside an ELBv2 `LoadBalancerArn` (or `Name` on ELBv2 CreateLoadBalancer). */
  loadBalancer: string | null;
  /** The name inside `TargetGroupArn` (or `Name` on CreateTargetGroup). */
  targetGroup: string | null;
  targetGroupArn: string | null;
  /** Auto Scaling's `AutoScalingGroupName`. */
  autoScalingGroup: string | null;
  /** `Instances.member.N.InstanceId` (Classic), `Targets.member.N.Id` (ELBv2), `InstanceIds.member.N` or `InstanceId` (Auto Scaling), in list order. */
  instanceIds: string[];
}

/** One control-plane call as the local ELB received and answered it (`lb.calls()`, `GET /_local/calls`). */
export interface LocalElbCall extends CallScope {
  /** 1, 2, 3… for the local ELB's whole life (a gap at the start means older calls were dropped). */
  seq: number;
  requestId: string;
  /** The access key id the call was signed with (not a secret; the secret never reaches the local ELB), or null. */
  accessKeyId: string | null;
  /** Epoch ms when the request had been read: the call took effect no earlier. */
  at: number;
  /** Epoch ms when the answer was written; null when the connection was reset instead (fault `unreachable`). */
  answeredAt: number | null;
  version: string | null;
  /** The HTTP status answered; 0 when the connection was reset. */
  status: number;
  /** The AWS error code answered (`Throttling`, `LoadBalancerNotFound`, …), or null on success. */
  error: string | null;
  /** The injected fault that decided the answer, or null. */
  fault: Exclude<FaultDecision, undefined> | null;
}

/** Garbage may carry megabytes in one parameter: the log keeps a bounded copy of each field. */
const MAX_FIELD_CHARS = 256;
const MAX_INSTANCE_IDS = 100;
const CLASSIC_INSTANCE = /^Instances\.member\.([1-9]\d{0,5})\.InstanceId$/;
const V2_TARGET = /^Targets\.member\.([1-9]\d{0,5})\.Id$/;
const AUTO_SCALING_INSTANCE = /^InstanceIds\.member\.([1-9]\d{0,5})$/;

export function callScope(params: QueryRequest, version: string | undefined): CallScope {
  const action = bounded(params.raw('Action'));
  // ELBv2 names what it creates in `Name`; everything else names it by ARN (Classic: always LoadBalancerName).
  const created = version === V2_API_VERSION ? bounded(params.raw('Name')) : null;
  const loadBalancer =
    bounded(params.raw('LoadBalancerName')) ??
    nameInArn(params.raw('LoadBalancerArn'), /:loadbalancer\/(?:app|net)\/([^/]+)\//) ??
    (action === 'CreateLoadBalancer' ? created : null);
  const targetGroupArn = bounded(params.raw('TargetGroupArn'));
  const targetGroup = nameInArn(params.raw('TargetGroupArn'), /:targetgroup\/([^/]+)\//) ?? (action === 'CreateTargetGroup' ? created : null);

  const ids: Array<[number, string]> = [];
  for (const [key, value] of params.rawEntries()) {
    const match = CLASSIC_INSTANCE.exec(key) ?? V2_TARGET.exec(key) ?? AUTO_SCALING_INSTANCE.exec(key);
    if (match) ids.push([Number(match[1]), value.slice(0, MAX_FIELD_CHARS)]);
    else if (key === 'InstanceId') ids.push([0, value.slice(0, MAX_FIELD_CHARS)]);
  }
  const instanceIds = ids
    .sort((a, b) => a[0] - b[0])
    .slice(0, MAX_INSTANCE_IDS)
    .map(([, id]) => id);
  return { action, loadBalancer, targetGroup, targetGroupArn, autoScalingGroup: bounded(params.raw('AutoScalingGroupName')), instanceIds };
}

/**
 * The last `limit` calls, oldest first. Tests read it to order what the balancer saw against what the app did
 * ("registered only after the health route passed"); people read it at `GET /_local/calls`.
 */
export class CallLog {
  private readonly limit: number;
  private readonly kept: LocalElbCall[] = [];
  private readonly listeners = new Set<(call: LocalElbCall) => void>();
  private seq = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  record(call: Omit<LocalElbCall, 'seq'>): void {
    this.seq += 1;
    const recorded = { seq: this.seq, ...call };
    this.kept.push(recorded);
    if (this.kept.length > this.limit) this.kept.splice(0, this.kept.length - this.limit);
    for (const listener of this.listeners) listener({ ...recorded, instanceIds: [...recorded.instanceIds] });
  }

  /** Tells `listener` of every call recorded from now on (the live page's feed); returns the unsubscribe. */
  subscribe(listener: (call: LocalElbCall) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Copies: a caller can keep or change them without touching the log. */
  calls(): LocalElbCall[] {
    return this.kept.map((c) => ({ ...c, instanceIds: [...c.instanceIds] }));
  }

  /** Calls recorded over the local ELB's life, including those the limit dropped. */
  get total(): number {
    return this.seq;
  }
}

function bounded(value: string | undefined): string | null {
  return value === undefined ? null : value.slice(0, MAX_FIELD_CHARS);
}

function nameInArn(arn: string | undefined, pattern: RegExp): string | null {
  return arn === undefined ? null : bounded(pattern.exec(arn)?.[1]);
}
