import type { DataPlane, ServedListener } from './dataPlane.js';
import type { Faults, FaultsSnapshot } from './faults.js';
import type { Member } from './member.js';
import { listenerArnOfRoute } from './listenerRoutes.js';
import { targetGroupsOf } from './rules.js';
import type { LocalElbStore } from './store.js';

export interface MemberStatus {
  instanceId: string;
  port?: number;
  address: string;
  /** As the API reports it (Classic InService/OutOfService, ELBv2 healthy/draining/…). */
  state: string;
  description?: string;
  /** Would the data plane send it a new request now? */
  routing: boolean;
  routed: number;
  inFlight: number;
}

/** The read-only JSON served at GET /_local/status and returned by `lb.status()`. */
export interface LocalElbStatus {
  endpoint: string;
  region: string;
  propagationDelayMs: number;
  classic: Array<{
    name: string;
    dnsName: string;
    listeners: ServedListener[];
    healthCheck: { target: string; intervalSeconds: number; timeoutSeconds: number; healthyThreshold: number; unhealthyThreshold: number };
    connectionDraining: { enabled: boolean; timeoutSeconds: number };
    idleTimeoutSeconds: number;
    instances: MemberStatus[];
  }>;
  loadBalancers: Array<{ name: string; arn: string; type: string; listeners: Array<ServedListener & { targetGroupArn: string }> }>;
  targetGroups: Array<{ name: string; arn: string; port: number; inUse: boolean; deregistrationDelaySeconds: number; targets: MemberStatus[] }>;
  /** Totals per instance id across every balancer and target group. */
  instances: Record<string, { routed: number; inFlight: number }>;
  faults: FaultsSnapshot;
}

export function buildStatus(endpoint: string, store: LocalElbStore, dataPlane: DataPlane, faults: Faults): LocalElbStatus {
  const now = Date.now();
  const served = dataPlane.listeners();
  const totals: LocalElbStatus['instances'] = {};
  const count = (m: Member): void => {
    const t = (totals[m.instanceId] ??= { routed: 0, inFlight: 0 });
    t.routed += m.routed;
    t.inFlight += m.inFlight;
  };

  const classic = [...store.classic.values()].map((lb) => {
    const hc = lb.healthCheck;
    return {
      name: lb.name,
      dnsName: lb.dnsName,
      listeners: served.filter((l) => l.type === 'classic' && l.balancer === lb.name),
      healthCheck: {
        target: hc.path ? `${hc.protocol}:${String(hc.port)}${hc.path}` : `${hc.protocol}:${String(hc.port)}`,
        intervalSeconds: hc.intervalSeconds,
        timeoutSeconds: hc.timeoutSeconds,
        healthyThreshold: hc.healthyThreshold,
        unhealthyThreshold: hc.unhealthyThreshold,
      },
      connectionDraining: { ...lb.connectionDraining },
      idleTimeoutSeconds: lb.idleTimeoutSeconds,
      instances: lb.members.all().map((m): MemberStatus => {
        count(m);
        const state = store.classicInstanceState(lb, m.instanceId);
        return {
          instanceId: m.instanceId,
          address: store.addressOf(m.instanceId, lb.listeners[0]?.instancePort ?? 80),
          state: m.phase === 'leaving' ? 'leaving' : state.State,
          description: state.Description,
          routing: m.routable(now),
          routed: m.routed,
          inFlight: m.inFlight,
        };
      }),
    };
  });

  const loadBalancers = [...store.loadBalancers.values()].map((lb) => ({
    name: lb.name,
    arn: lb.arn,
    type: lb.type,
    listeners: [...store.listeners.values()]
      .filter((l) => l.loadBalancer === lb)
      .flatMap((l) => {
        const s = served.find((x) => listenerArnOfRoute(x.id) === l.arn);
        return s ? [{ ...s, targetGroupArn: targetGroupsOf(l.defaultActions)[0]?.arn ?? '' }] : [];
      }),
  }));

  const targetGroups = [...store.targetGroups.values()].map((tg) => ({
    name: tg.name,
    arn: tg.arn,
    port: tg.port,
    inUse: store.inUse(tg),
    deregistrationDelaySeconds: tg.deregistrationDelaySeconds,
    targets: tg.members.all().map((m): MemberStatus => {
      count(m);
      const health = store.targetHealth(tg, m);
      return {
        instanceId: m.instanceId,
        port: m.port,
        address: store.targetAddress(tg, m),
        state: m.phase === 'leaving' ? 'leaving' : health.State,
        description: health.Description,
        routing: m.routable(now),
        routed: m.routed,
        inFlight: m.inFlight,
      };
    }),
  }));

  return { endpoint, region: store.region, propagationDelayMs: store.propagationDelayMs, classic, loadBalancers, targetGroups, instances: totals, faults: faults.snapshot() };
}
