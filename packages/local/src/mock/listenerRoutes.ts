import type { Member } from './member.js';
import { CONNECTION_TERMINATION, type ListenerV2, type TargetGroup } from './resources.js';
import { finalAction, redirectLocation, targetGroupsOf, type RequestView, type RuleAction } from './rules.js';
import type { ListenerRoute, LocalElbStore, RouteDecision } from './store.js';

/**
 * The data plane's view of the store: every listener it should serve, each able to pick an in-service member.
 * ALB listeners decide per request through their rules (first match by priority, else the default actions).
 */
export function listenerRoutes(store: LocalElbStore): ListenerRoute[] {
  const routes: ListenerRoute[] = [];
  for (const lb of store.classic.values()) {
    for (const listener of lb.listeners) {
      routes.push({
        id: `classic/${lb.name}/${listener.loadBalancerPort}`,
        balancer: lb.name,
        type: 'classic',
        port: listener.loadBalancerPort,
        protocol: listener.protocol,
        idleTimeoutSeconds: () => lb.idleTimeoutSeconds,
        pick: (now) => {
          const member = lb.members.roundRobin.pick(lb.members.all(), now, false);
          return member && { member, address: store.addressOf(member.instanceId, listener.instancePort) };
        },
      });
    }
  }
  for (const listener of store.listeners.values()) {
    const route: ListenerRoute = {
      // The port is part of the identity: ModifyListener to a new port means a new server.
      id: `${listener.arn}#${listener.port}`,
      balancer: listener.loadBalancer.name,
      type: listener.loadBalancer.type,
      port: listener.port,
      protocol: listener.protocol,
      terminateOnDeregistration: () => targetGroupsOf(listener.defaultActions).some((tg) => tg.attributes.get(CONNECTION_TERMINATION) === 'true'),
      idleTimeoutSeconds: () => listener.loadBalancer.idleTimeoutSeconds,
      pick: (now) => {
        const decision = decideActions(store, listener.defaultActions, undefined, now);
        return decision.kind === 'forward' ? decision : undefined;
      },
    };
    if (listener.loadBalancer.type === 'application') route.dispatch = (req, now) => dispatch(store, listener, req, now);
    routes.push(route);
  }
  return routes;
}

/** The listener ARN a data-plane route serves (routes of ELBv2 listeners carry `#port` after it). */
export function listenerArnOfRoute(routeId: string): string {
  return routeId.split('#')[0]!;
}

function dispatch(store: LocalElbStore, listener: ListenerV2, req: RequestView, now: number): RouteDecision {
  for (const rule of listener.rules) if (rule.matches(req)) return decideActions(store, rule.actions, req, now);
  return decideActions(store, listener.defaultActions, req, now);
}

function decideActions(store: LocalElbStore, actions: readonly RuleAction[], req: RequestView | undefined, now: number): RouteDecision {
  const action = finalAction(actions);
  if (!action) return { kind: 'unavailable' };
  switch (action.type) {
    case 'fixed-response':
      return { kind: 'fixed-response', statusCode: Number(action.statusCode), contentType: action.contentType, body: action.messageBody ?? '' };
    case 'redirect':
      if (!req) return { kind: 'unavailable' };
      return { kind: 'redirect', statusCode: action.statusCode === 'HTTP_301' ? 301 : 302, location: redirectLocation(action, req) };
    case 'forward': {
      const tg = weightedPick(action.targetGroups);
      if (!tg) return { kind: 'unavailable' };
      const member: Member | undefined = tg.members.roundRobin.pick(tg.members.all(), now, true);
      return member ? { kind: 'forward', member, address: store.targetAddress(tg, member) } : { kind: 'unavailable' };
    }
  }
}

/** Weighted forward: each group gets its weight's share of requests (weight 0: none). */
function weightedPick(groups: ReadonlyArray<{ targetGroup: TargetGroup; weight: number }>): TargetGroup | undefined {
  if (groups.length === 1) return groups[0]!.weight > 0 ? groups[0]!.targetGroup : undefined;
  const total = groups.reduce((sum, g) => sum + g.weight, 0);
  if (total <= 0) return undefined;
  let point = Math.random() * total;
  for (const g of groups) {
    point -= g.weight;
    if (point < 0) return g.targetGroup;
  }
  return groups.at(-1)!.targetGroup;
}
