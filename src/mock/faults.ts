import { LocalElbConfigError } from '../errors.js';

/**
 * Which control-plane calls fail: each matching call fails with probability `fraction` (default 1), until
 * `count` calls have failed (default: no limit). `actions` limits it to those action names (default: all).
 */
export interface FaultRule {
  fraction?: number;
  count?: number;
  actions?: string[];
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

export interface FaultsSnapshot {
  throttle: Required<Pick<FaultRule, 'fraction'>> & { remaining: number | null; actions: string[] | null } | null;
  serverError: Required<Pick<FaultRule, 'fraction'>> & { remaining: number | null; actions: string[] | null } | null;
  latencyMs: number;
  unreachable: boolean;
  injected: { throttle: number; serverError: number; unreachable: number };
}

export type FaultDecision = 'throttle' | 'serverError' | 'unreachable' | undefined;

class ActiveRule {
  readonly fraction: number;
  remaining: number | null;
  readonly actions: Set<string> | null;

  constructor(rule: FaultRule, field: string, random: () => number) {
    if (rule.fraction !== undefined && (typeof rule.fraction !== 'number' || !(rule.fraction >= 0 && rule.fraction <= 1))) {
      throw new LocalElbConfigError(`${field}.fraction`, rule.fraction, 'a number from 0 to 1');
    }
    if (rule.count !== undefined && (typeof rule.count !== 'number' || !Number.isInteger(rule.count) || rule.count < 0)) {
      throw new LocalElbConfigError(`${field}.count`, rule.count, 'a non-negative integer');
    }
    if (rule.actions !== undefined && (!Array.isArray(rule.actions) || rule.actions.some((a) => typeof a !== 'string'))) {
      throw new LocalElbConfigError(`${field}.actions`, rule.actions, 'a list of action names');
    }
    this.fraction = rule.fraction ?? 1;
    this.remaining = rule.count ?? null;
    this.actions = rule.actions ? new Set(rule.actions) : null;
    this.random = random;
  }

  private readonly random: () => number;

  /** Does this call fail? Consumes one of `count` when it does. */
  hit(action: string): boolean {
    if (this.remaining === 0) return false;
    if (this.actions && !this.actions.has(action)) return false;
    if (this.fraction < 1 && this.random() >= this.fraction) return false;
    if (this.remaining !== null) this.remaining -= 1;
    return true;
  }

  snapshot(): FaultsSnapshot['throttle'] {
    return { fraction: this.fraction, remaining: this.remaining, actions: this.actions ? [...this.actions] : null };
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
  decide(action: string): FaultDecision {
    if (this.isUnreachable) {
      this.injected.unreachable += 1;
      return 'unreachable';
    }
    if (this.throttleRule?.hit(action)) {
      this.injected.throttle += 1;
      return 'throttle';
    }
    if (this.serverErrorRule?.hit(action)) {
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
    if (!['fraction', 'count', 'actions'].includes(key)) throw new LocalElbConfigError(`${field}.${key}`, (value as Record<string, unknown>)[key], 'absent (known: fraction, count, actions)');
  }
  return value as FaultRule;
}
