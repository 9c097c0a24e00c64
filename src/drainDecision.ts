/** One balancer's part in the drain decision. */
export interface BalancerRouting {
  readonly label: string;
  /** true: still sends new requests here; false: stopped; null: unknown (deregistration failed, API unreachable). */
  readonly routing: boolean | null;
}

export interface DrainInput {
  /** epoch ms */
  readonly now: number;
  /** epoch ms of the signal (start of the shutdown) */
  readonly signalAt: number;
  readonly drainSeconds: number;
  readonly quietMs: number;
  readonly inFlight: number;
  /** epoch ms of the last request (health checks excluded); undefined if none ever came */
  readonly lastRequestAt: number | undefined;
  /** Every balancer this instance left; empty when it was never registered or runs without a balancer. */
  readonly balancers: readonly BalancerRouting[];
}

export type DrainReason =
  | 'drained' // done: nobody routes here, nothing in flight, quiet for the window
  | 'deadline' // done: drainSeconds elapsed, whatever is still open
  | 'balancer-unknown' // waiting: a balancer's view is unknown (API unreachable): wait out drainSeconds
  | 'balancer-routing' // waiting: a balancer still routes new requests here
  | 'in-flight' // waiting: requests are being answered
  | 'quiet-window'; // waiting: a request arrived less than quietMs ago

export interface DrainDecision {
  readonly done: boolean;
  readonly reason: DrainReason;
  /** The balancers behind a 'balancer-…' reason, for the log line. */
  readonly balancers?: readonly string[];
}

/**
 * Whether the drain is over. Pure: everything it depends on comes in, so it is tested as a table.
 * The quiet window counts from the later of the signal and the last request: right after deregistration some
 * balancer nodes may still route for a moment, so even an instance that was idle waits the window once.
 */
export function decideDrain(input: DrainInput): DrainDecision {
  if (input.now - input.signalAt >= input.drainSeconds * 1000) return { done: true, reason: 'deadline' };

  const unknown = input.balancers.filter((b) => b.routing === null).map((b) => b.label);
  if (unknown.length > 0) return { done: false, reason: 'balancer-unknown', balancers: unknown };

  const routing = input.balancers.filter((b) => b.routing === true).map((b) => b.label);
  if (routing.length > 0) return { done: false, reason: 'balancer-routing', balancers: routing };

  if (input.inFlight > 0) return { done: false, reason: 'in-flight' };

  const quietSince = Math.max(input.signalAt, input.lastRequestAt ?? input.signalAt);
  if (input.now - quietSince < input.quietMs) return { done: false, reason: 'quiet-window' };

  return { done: true, reason: 'drained' };
}
