import type { Logger } from 'pino';
import type { HealthCheckSpec } from './config.js';
import type { HealthFailure, Member } from './member.js';
import type { RequestView } from './rules.js';

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
