import { LocalElbConfigError } from './errors.js';
import type { CallScope } from './callLog.js';

/**
 * Which control-plane calls fail: each matching call fails with probability `fraction` (default 1), until
 * `count` calls have failed (default: no limit). `actions` limits it to those action names (default: all).
 * `loadBalancers` and `targetGroups` limit it to calls that name one of those balancers or one of those target
 * groups (default: any call, including those naming none), so one balancer can refuse while another answers.
 */
export interface FaultRule {
  fraction?: number;
  count?: number;
  actions?: string[];
  /** Names: a Classic `LoadBalancerName`, or the name of an ELBv2 load balancer named by its `LoadBalancerArn`. */
  loadBalancers?: string[];
  /** Names or ARNs of target groups named by `TargetGroupArn`. */
  targetGroups?: string[];
}

/** Fault injection for tests and demos; the same JSON works over `POST /_local/faults`. */
export interface LocalElbFaults {
  /** Answer `Throttling` (400, "Rate exceeded"), which the SDK and CLI retry with backoff. */
  throttle(rule?: FaultRule): void;
  /** Add this much latency to every control-plane answer (0 removes it). */
  latency(ms: number): void;
  /** Answer `InternalFailure` (500), which the SDK and CLI retry. */
  serverError(rule?: FaultRule): void;
  /** Reset every API connection without an answer, as an unreachable endpoint would look. */
  unreachable(on: boolean): void;
  clear(): void;
}

export interface FaultRuleSnapshot {
  fraction: number;
  remaining: number | null;
  actions: string[] | null;
  loadBalancers: string[] | null;
  targetGroups: string[] | null;
}

export interface FaultsSnapshot {
  throttle: FaultRuleSnapshot | null;
  serverError: FaultRuleSnapshot | null;
  latencyMs: number;
  unreachable: boolean;
  injected: { throttle: number; serverError: number; unreachable: number };
}

export type FaultDecision = 'throttle' | 'serverError' | 'unreachable' | undefined;

/** What a fault rule looks at in a call. */
export type FaultTarget = Pick<CallScope, 'action' | 'loadBalancer' | 'targetGroup' | 'targetGroupArn'>;

const RULE_FIELDS = ['fraction', 'count', 'actions', 'loadBalancers', 'targetGroups'];

class ActiveRule {
  readonly fraction: number;
  remaining: number | null;
  readonly actions: Set<string> | null;
  readonly loadBalancers: Set<string> | null;
  readonly targetGroups: Set<string> | null;
  private readonly random: () => number;

  constructor(rule: FaultRule, field: string, random: () => number) {
    if (rule.fraction !== undefined && (typeof rule.fraction !== 'number' || !(rule.fraction >= 0 && rule.fraction <= 1))) {
      throw new LocalElbConfigError(`${field}.fraction`, rule.fraction, 'a number from 0 to 1');
    }
    if (rule.count !== undefined && (typeof rule.count !== 'number' || !Number.isInteger(rule.count) || rule.count < 0)) {
      throw new LocalElbConfigError(`${field}.count`, rule.count, 'a non-negative integer');
    }
    this.fraction = rule.fraction ?? 1;
    this.remaining = rule.count ?? null;
    this.actions = nameSet(rule.actions, `${field}.actions`, 'a list of action names');
    this.loadBalancers = nameSet(rule.loadBalancers, `${field}.loadBalancers`, 'a list of load balancer names');
    this.targetGroups = nameSet(rule.targetGroups, `${field}.targetGroups`, 'a list of target group names or ARNs');
    this.random = random;
  }

  /** Does this call fail? Consumes one of `count` when it does. */
  hit(call: FaultTarget): boolean {
    if (this.remaining === 0) return false;
    if (this.actions && !(call.action !== null && this.actions.has(call.action))) return false;
    if (!this.inScope(call)) return false;
    if (this.fraction < 1 && this.random() >= this.fraction) return false;
    if (this.remaining !== null) this.remaining -= 1;
    return true;
  }

  snapshot(): FaultRuleSnapshot {
    const list = (set: Set<string> | null): string[] | null => (set ? [...set] : null);
    return {
      fraction: this.fraction,
      remaining: this.remaining,
      actions: list(this.actions),
      loadBalancers: list(this.loadBalancers),
      targetGroups: list(this.targetGroups),
    };
  }

  private inScope(call: FaultTarget): boolean {
    if (!this.loadBalancers && !this.targetGroups) return true;
    const named = (set: Set<string> | null, value: string | null): boolean => set !== null && value !== null && set.has(value);
    return named(this.loadBalancers, call.loadBalancer) || named(this.targetGroups, call.targetGroup) || named(this.targetGroups, call.targetGroupArn);
  }
}

export class Faults implements LocalElbFaults {
  private throttleRule: ActiveRule | null = null;
  private serverErrorRule: ActiveRule | null = null;
  private latencyMs = 0;
  private isUnreachable = false;
  private readonly injected = { throttle: 0, serverError: 0, unreachable: 0 };
  private readonly random: () => number;

  constructor(random: () => number = Math.random) {
    this.random = random;
  }

  throttle(rule: FaultRule = {}): void {
    this.throttleRule = new ActiveRule(rule, 'throttle', this.random);
  }

  latency(ms: number): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > 600_000) throw new LocalElbConfigError('latency', ms, 'a number of ms from 0 to 600000');
    this.latencyMs = ms;
  }

  serverError(rule: FaultRule = {}): void {
    this.serverErrorRule = new ActiveRule(rule, 'serverError', this.random);
  }

  unreachable(on: boolean): void {
    if (typeof on !== 'boolean') throw new LocalElbConfigError('unreachable', on, 'true or false');
    this.isUnreachable = on;
  }

  clear(): void {
    this.throttleRule = null;
    this.serverErrorRule = null;
    this.latencyMs = 0;
    this.isUnreachable = false;
  }

  get addedLatencyMs(): number {
    return this.latencyMs;
  }

  /** Decides the fate of one API call (unreachable first, then throttling, then server errors). */
  decide(call: FaultTarget): FaultDecision {
    if (this.isUnreachable) {
      this.injected.unreachable += 1;
      return 'unreachable';
    }
    if (this.throttleRule?.hit(call)) {
      this.injected.throttle += 1;
      return 'throttle';
    }
    if (this.serverErrorRule?.hit(call)) {
      this.injected.serverError += 1;
      return 'serverError';
    }
    return undefined;
  }

  /**
   * Applies the JSON body of `POST /_local/faults`:
   * `{ "clear": true, "throttle": {…} | null, "serverError": {…} | null, "latencyMs": 200, "unreachable": false }`.
   */
  apply(body: unknown): void {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new LocalElbConfigError('faults', body, 'a JSON object');
    const input = body as Record<string, unknown>;
    for (const key of Object.keys(input)) {
      if (!['clear', 'throttle', 'serverError', 'latencyMs', 'unreachable'].includes(key)) {
        throw new LocalElbConfigError(`faults.${key}`, input[key], 'absent (known: clear, throttle, serverError, latencyMs, unreachable)');
      }
    }
    // Build everything first so a bad field changes nothing.
    const next = new Faults(this.random);
    if (input.clear !== true) {
      next.throttleRule = this.throttleRule;
      next.serverErrorRule = this.serverErrorRule;
      next.latencyMs = this.latencyMs;
      next.isUnreachable = this.isUnreachable;
    }
    if (input.throttle !== undefined) next.throttleRule = input.throttle === null ? null : new ActiveRule(ruleOf(input.throttle, 'throttle'), 'throttle', this.random);
    if (input.serverError !== undefined) {
      next.serverErrorRule = input.serverError === null ? null : new ActiveRule(ruleOf(input.serverError, 'serverError'), 'serverError', this.random);
    }
    if (input.latencyMs !== undefined) next.latency(input.latencyMs as number);
    if (input.unreachable !== undefined) next.unreachable(input.unreachable as boolean);
    this.throttleRule = next.throttleRule;
    this.serverErrorRule = next.serverErrorRule;
    this.latencyMs = next.latencyMs;
    this.isUnreachable = next.isUnreachable;
  }

  snapshot(): FaultsSnapshot {
    return {
      throttle: this.throttleRule?.snapshot() ?? null,
      serverError: this.serverErrorRule?.snapshot() ?? null,
      latencyMs: this.latencyMs,
      unreachable: this.isUnreachable,
      injected: { ...this.injected },
    };
  }
}

function ruleOf(value: unknown, field: string): FaultRule {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new LocalElbConfigError(field, value, 'an object like {"fraction":0.5} or null');
  for (const key of Object.keys(value)) {
    if (!RULE_FIELDS.includes(key)) throw new LocalElbConfigError(`${field}.${key}`, (value as Record<string, unknown>)[key], `absent (known: ${RULE_FIELDS.join(', ')})`);
  }
  return value as FaultRule;
}

function nameSet(value: unknown, field: string, expected: string): Set<string> | null {
  if (value === undefined) return null;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0)) throw new LocalElbConfigError(field, value, expected);
  return new Set(value as string[]);
}
