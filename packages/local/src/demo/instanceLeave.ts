import type { BalancerObserver } from './balancerObserver.js';
import type { FleetInstance } from './fleet.js';
import { instanceIncident, type InstanceIncident } from './instanceIncident.js';
import { readSupervisedApp } from './supervisorState.js';

/** The Auto Scaling view of one instance the scale-in scenario reads (the local ELB's `autoScaling.instances()`). */
export interface GroupInstanceView {
  readonly instanceId: string;
  readonly state: string;
  readonly history: ReadonlyArray<{ readonly state: string; readonly at: number; readonly cause: string }>;
  readonly action: { readonly heartbeats: number } | undefined;
}

/** An instance that leaves for good (scale-in, Spot). */
export interface LeaveIncident extends InstanceIncident {
  readonly kind: 'scale-in' | 'spot';
  /** scale-in: the group's walk (Terminating → Terminating:Wait → Terminating:Proceed → Terminated). */
  readonly lifecycle?: {
    readonly waitStartedAt: number | undefined;
    readonly proceededAt: number | undefined;
    /** Why it proceeded: "CompleteLifecycleAction CONTINUE", or the heartbeat timeout. */
    readonly cause: string | undefined;
    readonly heartbeats: number;
  };
  /** spot: when EC2 would take the instance (two minutes after the notice). */
  readonly terminationTime?: number;
}

/**
 * Starts what takes the instance away (`act`: a scale-in or a Spot notice through the local ELB's control actions)
 * and waits, bounded, until its app has exited for good and, for a scale-in, its group says Terminated.
 */
export async function leaveForGood(input: {
  readonly kind: LeaveIncident['kind'];
  readonly instance: FleetInstance;
  readonly observer: BalancerObserver;
  readonly inFlight: (instanceId: string) => number;
  readonly act: () => { terminationTime?: number };
  /** scale-in: the group's view of the instance. */
  readonly groupView?: () => GroupInstanceView | undefined;
  readonly timeoutMs: number;
}): Promise<LeaveIncident> {
  const { instance } = input;
  const before = readSupervisedApp(instance.stateDir);
  if (before?.pid === undefined) throw new Error(`${instance.id}: no app is running`);
  const inFlight = input.inFlight(instance.id);
  const at = Date.now();
  const { terminationTime } = input.act();
  let heartbeats = 0;
  const exited = (): boolean => readSupervisedApp(instance.stateDir)?.lastExit?.pid === before.pid;
  const terminated = (): boolean => {
    if (!input.groupView) return true;
    const view = input.groupView();
    heartbeats = Math.max(heartbeats, view?.action?.heartbeats ?? 0);
    return view?.state === 'Terminated';
  };
  try {
    await input.observer.waitFor(
      (view) => exited() && !view(instance.id).routing && terminated(),
      input.timeoutMs,
      `${instance.id} has left the balancer and exited${input.groupView ? ', and its group says Terminated' : ''}`,
    );
  } catch {
    // Not within the bound: the report shows what did happen, and the scenario's checks fail on what did not.
  }
  const history = input.groupView?.()?.history ?? [];
  const wait = history.find((e) => e.state === 'Terminating:Wait');
  const proceed = history.find((e) => e.state === 'Terminating:Proceed');
  return {
    kind: input.kind,
    ...instanceIncident(instance.id, at, inFlight, before.pid, readSupervisedApp(instance.stateDir)?.lastExit),
    ...(input.groupView ? { lifecycle: { waitStartedAt: wait?.at, proceededAt: proceed?.at, cause: proceed?.cause, heartbeats } } : {}),
    ...(terminationTime !== undefined ? { terminationTime } : {}),
  };
}
