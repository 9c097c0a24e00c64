import { request } from 'node:http';
import type { BalancerObserver } from './balancerObserver.js';
import { CRASH_PATH } from './crashApp.js';
import type { FleetInstance } from './fleet.js';
import { instanceIncident, type InstanceIncident } from './instanceIncident.js';
import { readSupervisedApp } from './supervisorState.js';

/** What happened to the instance whose app crashed (the report turns the times into ms since the load started). */
export interface CrashIncident extends InstanceIncident {
  /** The supervisor spawned the app again. */
  readonly restartedAt: number | undefined;
}

/**
 * Crashes one instance's app under load (it throws an uncaught exception outside any request) and waits, bounded,
 * until the supervisor has restarted it and the balancer routes to it again. The balancer's own view (the observer)
 * says when it stopped and started routing; the supervisor's state says when the process exited and came back.
 */
export async function crashInstance(input: {
  readonly instance: FleetInstance;
  readonly observer: BalancerObserver;
  /** Requests the balancer has in flight to an instance now. */
  readonly inFlight: (instanceId: string) => number;
  readonly timeoutMs: number;
}): Promise<CrashIncident> {
  const { instance, observer } = input;
  const before = readSupervisedApp(instance.stateDir);
  if (before?.pid === undefined) throw new Error(`${instance.id}: no app is running to crash`);
  const inFlight = input.inFlight(instance.id);
  const at = Date.now();
  await trigger(instance.port);
  const restarted = (): boolean => {
    const now = readSupervisedApp(instance.stateDir);
    return now !== undefined && now.pid !== undefined && now.pid !== before.pid;
  };
  // Back: a new process, and the balancer routing to the instance (again, or still, for a baseline it never left).
  await observer.waitFor((view) => restarted() && view(instance.id).routing, input.timeoutMs, `${instance.id} is restarted and routed to again after its crash`);
  const after = readSupervisedApp(instance.stateDir);
  return { ...instanceIncident(instance.id, at, inFlight, before.pid, after?.lastExit), restartedAt: after?.startedAt };
}

/** Asks the app to crash; its answer (202) or a reset (it died first) are both fine. */
function trigger(port: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: CRASH_PATH, method: 'POST', agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', resolve).on('error', () => resolve());
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve());
    req.end();
  });
}
