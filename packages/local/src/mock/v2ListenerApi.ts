import { readAttributeChanges } from './attributes.js';
import { AwsQueryError } from './errors.js';
import type { ActionHandler } from './classicApi.js';
import { pageOf } from './paging.js';
import type { QueryRequest } from './queryRequest.js';
import { members } from './queryResponse.js';
import type { ListenerV2, LoadBalancerV2 } from './resources.js';
import { readActions, readConditions } from './ruleParams.js';
import type { ListenerRule } from './rules.js';
import type { LocalElbStore } from './store.js';
import { addTags, readTags } from './tags.js';
import { attributesXml, listenerXml, ruleXml } from './v2Xml.js';

/** The ELBv2 actions on listeners, listener attributes and listener rules. */
export function v2ListenerActions(store: LocalElbStore): Record<string, ActionHandler> {
  return {
    CreateListener(params) {
      const loadBalancerArn = params.string('LoadBalancerArn', { required: true });
      const lb = store.getLoadBalancer(loadBalancerArn);
      const protocol = readProtocol(params, lb) ?? (lb.type === 'application' ? 'HTTP' : 'TCP');
      const port = params.integer('Port', { required: true, min: 1, max: 65535 });
      const defaultActions = readActions(params, 'DefaultActions', store, lb);
      const tags = readTags(params);
      const listener = store.createListener({ loadBalancerArn, port, protocol, defaultActions });
      if (tags) addTags(listener.tags, tags);
      return { Listeners: members([listenerXml(listener)]) };
    },

    ModifyListener(params) {
      const listener = store.getListener(params.string('ListenerArn', { required: true }));
      const lb = listener.loadBalancer;
      const protocol = readProtocol(params, lb);
      const port = params.integer('Port', { min: 1, max: 65535 });
      const defaultActions = params.structList('DefaultActions', (a) => a) ? readActions(params, 'DefaultActions', store, lb) : undefined;
      store.modifyListener(listener.arn, { port, protocol, defaultActions });
      return { Listeners: members([listenerXml(listener)]) };
    },

    DeleteListener(params) {
      store.deleteListener(params.string('ListenerArn', { required: true }));
      return {};
    },

    DescribeListeners(params) {
      const loadBalancerArn = params.string('LoadBalancerArn');
      const arns = params.stringList('ListenerArns');
      const pageSize = params.integer('PageSize', { min: 1, max: 400 });
      let listeners: ListenerV2[];
      if (arns?.length) {
        listeners = arns.map((arn) => {
          const l = store.listeners.get(arn);
          if (!l) throw new AwsQueryError('ListenerNotFound', 'One or more listeners not found');
          return l;
        });
      } else if (loadBalancerArn !== undefined) {
        const lb = store.getLoadBalancer(loadBalancerArn);
        listeners = [...store.listeners.values()].filter((l) => l.loadBalancer === lb);
      } else {
        throw new AwsQueryError('ValidationError', 'You must specify either listener ARNs or a load balancer ARN');
      }
      const page = pageOf(listeners, params.string('Marker'), pageSize ?? 400);
      return { Listeners: members(page.items.map(listenerXml)), NextMarker: page.nextMarker };
    },

    DescribeListenerAttributes(params) {
      const listener = store.getListener(params.string('ListenerArn', { required: true }));
      return attributesXml(listener.attributes);
    },

    ModifyListenerAttributes(params) {
      const listener = store.getListener(params.string('ListenerArn', { required: true }));
      const changes = readAttributeChanges(params, 'Listener', listener.catalog, listener.attributes);
      for (const { key, value } of changes) listener.attributes.set(key, value);
      return attributesXml(listener.attributes);
    },

    CreateRule(params) {
      const listener = store.getListener(params.string('ListenerArn', { required: true }));
      if (listener.loadBalancer.type !== 'application') throw new AwsQueryError('UnsupportedProtocol', 'Rules can be added only to the listeners of an Application Load Balancer');
      const conditions = readConditions(params, true)!;
      if (conditions.length === 0) throw params.invalid('Conditions', null, 'Member must have length greater than or equal to 1');
      const priority = params.integer('Priority', { required: true, min: 1, max: 50000 });
      const actions = readActions(params, 'Actions', store, listener.loadBalancer);
      const tags = readTags(params);
      const rule = store.createRule(listener.arn, priority, conditions, actions);
      if (tags) addTags(rule.tags, tags);
      return { Rules: members([ruleXml(rule)]) };
    },

    ModifyRule(params) {
      const { listener } = store.findRule(params.string('RuleArn', { required: true }));
      const conditions = readConditions(params, false);
      const actions = params.structList('Actions', (a) => a) ? readActions(params, 'Actions', store, listener.loadBalancer) : undefined;
      const rule = store.modifyRule(params.string('RuleArn', { required: true }), conditions, actions);
      return { Rules: members([ruleXml(rule)]) };
    },

    DeleteRule(params) {
      store.deleteRule(params.string('RuleArn', { required: true }));
      return {};
    },

    DescribeRules(params) {
      const listenerArn = params.string('ListenerArn');
      const arns = params.stringList('RuleArns');
      const pageSize = params.integer('PageSize', { min: 1, max: 400 });
      let rules: ListenerRule[];
      if (arns?.length) rules = arns.map((arn) => store.findRule(arn).rule);
      else if (listenerArn !== undefined) rules = store.getListener(listenerArn).allRules();
      else throw new AwsQueryError('ValidationError', 'You must specify either listener ARNs or rule ARNs');
      const page = pageOf(rules, params.string('Marker'), pageSize ?? 400);
      return { Rules: members(page.items.map(ruleXml)), NextMarker: page.nextMarker };
    },

    SetRulePriorities(params) {
      const changes = params.structList('RulePriorities', (p) => ({ arn: p.string('RuleArn', { required: true }), priority: p.integer('Priority', { required: true, min: 1, max: 50000 }) }), { required: true });
      return { Rules: members(store.setRulePriorities(changes).map(ruleXml)) };
    },
  };
}

/** ALB listeners take HTTP/HTTPS, NLB listeners TCP/TLS/UDP/TCP_UDP; the local ELB serves no TLS. */
function readProtocol(params: QueryRequest, lb: LoadBalancerV2): string | undefined {
  const protocol = params.string('Protocol', { oneOf: ['HTTP', 'HTTPS', 'TCP', 'TLS', 'UDP', 'TCP_UDP', 'GENEVE', 'QUIC', 'TCP_QUIC'] });
  if (protocol === undefined) return undefined;
  const allowed = lb.type === 'application' ? ['HTTP', 'HTTPS'] : ['TCP', 'TLS', 'UDP', 'TCP_UDP'];
  if (!allowed.includes(protocol)) throw new AwsQueryError('IncompatibleProtocols', `Protocol '${protocol}' is not supported by a ${lb.type} load balancer`);
  if (protocol !== 'HTTP' && protocol !== 'TCP') throw new AwsQueryError('UnsupportedProtocol', `The local ELB serves HTTP and TCP listeners only, not ${protocol}`);
  return protocol;
}
