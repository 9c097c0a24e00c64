import type { RoutingTransition } from './instancePhases.js';

/** The part of the local ELB's status (GET /_local/status, `lb.status()`) the demo reads. */
export interface ObservedStatus {
  readonly classic: ReadonlyArray<{ readonly name: string; readonly instances: ReadonlyArray<ObservedMember> }>;
  readonly targetGroups: ReadonlyArray<{ readonly name: string; readonly targets: ReadonlyArray<ObservedMember> }>;
}

export interface ObservedMember {
  readonly instanceId: string;
  readonly state: string;
  readonly description?: string;
  /** Would the data plane send it a new request now? */
  readonly routing: boolean;
  /** Requests (TCP: flows) forwarded to it so far. */
  readonly routed: number;
}

/** One change of the state the balancer reports for an instance (e.g. healthy → draining → not registered). */
export interface BalancerStateChange {
  readonly instanceId: string;
  /** ms since `origin` */
  readonly at: number;
  readonly state: string;
}

export interface InstanceView {
  readonly state: string;
  readonly description: string | undefined;
  readonly routing: boolean;
  readonly routed: number;
}

export interface BalancerObserver {
  /** The latest view of an instance; an instance not registered reads as not routing, "not registered". */
  view(instanceId: string): InstanceView;
  /** Every routing change seen so far, in order, in ms since `origin`. */
  transitions(): readonly RoutingTransition[];
  /** Every change of the reported state seen so far, in order. */
  stateChanges(): readonly BalancerStateChange[];
  /** Resolves once `predicate` holds for the current views, or rejects after `timeoutMs`. */
  waitFor(predicate: (view: (instanceId: string) => InstanceView) => boolean, timeoutMs: number, what: string): Promise<void>;
  stop(): void;
}

const NOT_REGISTERED: InstanceView = { state: 'not registered', description: undefined, routing: false, routed: 0 };

/**
 * Samples the local ELB's own view of one Classic balancer's instances (in-process, no HTTP) every
 * `intervalMs`, and keeps the moments each instance started or stopped receiving new requests. Routed-request
 * counts are reported as deltas, so the demo can tell which instance got traffic even without a response header.
 */
export function observeBalancer(options: {
  readonly status: () => ObservedStatus;
  /** A Classic ELB's name, or a target group's (`kind: 'target-group'`). */
  readonly balancer: string;
  readonly kind?: 'classic' | 'target-group';
  readonly intervalMs: number;
  /** epoch ms that transitions are measured from */
  readonly origin: () => number;
  readonly onTransition?: (transition: RoutingTransition, view: InstanceView) => void;
  readonly onRouted?: (instanceId: string, delta: number) => void;
  readonly onStateChange?: (change: BalancerStateChange, before: InstanceView) => void;
  readonly now?: () => number;
}): BalancerObserver {
  const now = options.now ?? Date.now;
  let views = new Map<string, InstanceView>();
  const transitions: RoutingTransition[] = [];
  const stateChanges: BalancerStateChange[] = [];
  const waiters = new Set<() => void>();

  const sample = (): void => {
    const status = options.status();
    const members =
      options.kind === 'target-group'
        ? status.targetGroups.find((g) => g.name === options.balancer)?.targets
        : status.classic.find((b) => b.name === options.balancer)?.instances;
    const next = new Map<string, InstanceView>();
    for (const i of members ?? []) {
      next.set(i.instanceId, { state: i.state, description: i.description, routing: i.routing, routed: i.routed });
    }
    const at = now() - options.origin();
    for (const id of new Set([...views.keys(), ...next.keys()])) {
      const before = views.get(id) ?? NOT_REGISTERED;
      const after = next.get(id) ?? NOT_REGISTERED;
      if (before.routing !== after.routing) {
        const transition = { instanceId: id, at, routing: after.routing, state: after.state };
        transitions.push(transition);
        options.onTransition?.(transition, after);
      }
      if (before.state !== after.state) {
        const change = { instanceId: id, at, state: after.state };
        stateChanges.push(change);
        options.onStateChange?.(change, before);
      }
      const delta = after.routed - before.routed;
      if (delta > 0) options.onRouted?.(id, delta);
    }
    views = next;
    for (const wake of waiters) wake();
  };

  sample();
  const timer = setInterval(sample, options.intervalMs);
  timer.unref();
  const view = (id: string): InstanceView => views.get(id) ?? NOT_REGISTERED;

  return {
    view,
    transitions: () => transitions,
    stateChanges: () => stateChanges,
    waitFor(predicate, timeoutMs, what) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!predicate(view)) return;
          cleanup();
          resolve();
        };
        const deadline = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs} ms waiting until ${what}`));
        }, timeoutMs);
        deadline.unref();
        const cleanup = (): void => {
          clearTimeout(deadline);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    stop() {
      clearInterval(timer);
      waiters.clear();
    },
  };
}
