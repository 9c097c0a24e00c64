import { AwsQueryError } from './errors.js';
import type { ActionHandler } from './classicApi.js';
import type { HealthCheckProtocol, HealthCheckSpec } from './config.js';
import { LOCAL_ELB_DEFAULTS } from './defaults.js';
import { pageOf } from './paging.js';
import type { QueryRequest } from './queryRequest.js';
import { members, type XmlStruct } from './queryResponse.js';
import type { ListenerV2, LoadBalancerV2, TargetGroup } from './resources.js';
import type { LocalElbStore } from './store.js';

export const V2_API_VERSION = '2015-12-01';

const NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;
const MATCHER_PATTERN = /^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/;

/** The ELBv2 actions (API 2015-12-01) the local ELB answers; any other action is InvalidAction. */
export function v2Actions(store: LocalElbStore): Record<string, ActionHandler> {
  const lbXml = (lb: LoadBalancerV2): XmlStruct => ({
    LoadBalancerArn: lb.arn,
    DNSName: lb.dnsName,
    CanonicalHostedZoneId: 'Z35SXDOTRQ7X7K',
    CreatedTime: lb.createdTime,
    LoadBalancerName: lb.name,
    Scheme: lb.scheme,
    VpcId: 'vpc-local',
    State: { Code: 'active' },
    Type: lb.type,
    AvailabilityZones: members([{ ZoneName: `${store.region}${LOCAL_ELB_DEFAULTS.availabilityZoneSuffix}`, SubnetId: 'subnet-local' }]),
    SecurityGroups: lb.type === 'application' ? members([]) : undefined,
    IpAddressType: lb.ipAddressType,
  });

  const listenerXml = (l: ListenerV2): XmlStruct => ({
    ListenerArn: l.arn,
    LoadBalancerArn: l.loadBalancer.arn,
    Port: l.port,
    Protocol: l.protocol,
    DefaultActions: members([
      {
        Type: 'forward',
        TargetGroupArn: l.targetGroup.arn,
        ForwardConfig: {
          TargetGroups: members([{ TargetGroupArn: l.targetGroup.arn, Weight: 1 }]),
          TargetGroupStickinessConfig: { Enabled: false },
        },
      },
    ]),
  });

  const tgXml = (tg: TargetGroup): XmlStruct => {
    const hc = tg.healthCheck;
    const http = hc.protocol === 'HTTP' || hc.protocol === 'HTTPS';
    return {
      TargetGroupArn: tg.arn,
      TargetGroupName: tg.name,
      Protocol: tg.protocol,
      Port: tg.port,
      VpcId: tg.vpcId,
      HealthCheckProtocol: hc.protocol,
      HealthCheckPort: String(hc.port),
      HealthCheckEnabled: hc.enabled,
      HealthCheckIntervalSeconds: Math.max(1, Math.round(hc.intervalSeconds)),
      HealthCheckTimeoutSeconds: Math.max(1, Math.round(hc.timeoutSeconds)),
      HealthyThresholdCount: hc.healthyThreshold,
      UnhealthyThresholdCount: hc.unhealthyThreshold,
      HealthCheckPath: http ? hc.path : undefined,
      Matcher: http ? { HttpCode: hc.matcher } : undefined,
      LoadBalancerArns: members(store.loadBalancerArnsOf(tg)),
      TargetType: tg.targetType,
      ProtocolVersion: tg.protocol === 'HTTP' || tg.protocol === 'HTTPS' ? 'HTTP1' : undefined,
      IpAddressType: 'ipv4',
    };
  };

  const attributesXml = (attributes: Map<string, string>): XmlStruct => ({
    Attributes: members([...attributes].map(([Key, Value]) => ({ Key, Value }))),
  });

  return {
    CreateLoadBalancer(params) {
      const name = params.string('Name', { required: true, maxLength: 32, pattern: NAME_PATTERN });
      if (name.toLowerCase().startsWith('internal-')) throw params.invalid('Name', name, "Member must not start with 'internal-'");
      const type = (params.string('Type', { oneOf: ['application', 'network', 'gateway'] }) ?? 'application') as 'application' | 'network' | 'gateway';
      if (type === 'gateway') throw new AwsQueryError('UnsupportedProtocol', 'The local ELB does not serve gateway load balancers');
      const scheme = (params.string('Scheme', { oneOf: ['internet-facing', 'internal'] }) ?? 'internet-facing') as 'internet-facing' | 'internal';
      const ipAddressType = params.string('IpAddressType', { oneOf: ['ipv4', 'dualstack', 'dualstack-without-public-ipv4'] }) ?? 'ipv4';
      // Subnets and security groups are accepted and ignored: every local listener lives on the loopback.
      params.stringList('Subnets');
      params.stringList('SecurityGroups');
      const lb = store.createLoadBalancer({ name, type, scheme, ipAddressType, idleTimeoutSeconds: LOCAL_ELB_DEFAULTS.loadBalancerIdleTimeoutSeconds });
      return { LoadBalancers: members([lbXml(lb)]) };
    },

    DeleteLoadBalancer(params) {
      const arn = params.string('LoadBalancerArn', { required: true });
      if (store.loadBalancers.has(arn)) store.deleteLoadBalancer(arn);
      return {};
    },

    DescribeLoadBalancers(params) {
      const arns = params.stringList('LoadBalancerArns');
      const names = params.stringList('Names');
      const pageSize = params.integer('PageSize', { min: 1, max: 400 });
      if (arns?.length && names?.length) throw new AwsQueryError('ValidationError', 'Load balancer names and load balancer ARNs cannot be specified at the same time');
      let lbs = [...store.loadBalancers.values()];
      if (arns?.length) lbs = arns.map((arn) => store.getLoadBalancer(arn));
      else if (names?.length) {
        lbs = names.map((name) => {
          const lb = lbs.find((l) => l.name === name);
          if (!lb) throw new AwsQueryError('LoadBalancerNotFound', `One or more load balancers not found`);
          return lb;
        });
      }
      const page = pageOf(lbs, params.string('Marker'), pageSize ?? 400);
      return { LoadBalancers: members(page.items.map(lbXml)), NextMarker: page.nextMarker };
    },

    CreateListener(params) {
      const loadBalancerArn = params.string('LoadBalancerArn', { required: true });
      const actions = params.structList('DefaultActions', (a) => a, { required: true });
      const lb = store.getLoadBalancer(loadBalancerArn);
      const protocol = (params.string('Protocol') ?? (lb.type === 'application' ? 'HTTP' : 'TCP')).toUpperCase();
      const allowed = lb.type === 'application' ? ['HTTP', 'HTTPS'] : ['TCP', 'TLS', 'UDP', 'TCP_UDP'];
      if (!allowed.includes(protocol)) throw new AwsQueryError('IncompatibleProtocols', `Protocol '${protocol}' is not supported by a ${lb.type} load balancer`);
      if (protocol !== 'HTTP' && protocol !== 'TCP') throw new AwsQueryError('UnsupportedProtocol', `The local ELB serves HTTP and TCP listeners only, not ${protocol}`);
      const port = params.integer('Port', { required: true, min: 1, max: 65535 });
      if (actions.length !== 1) throw new AwsQueryError('TooManyActions', 'The local ELB supports exactly one default action (forward)');
      const action = actions[0]!;
      const type = action.string('Type', { required: true });
      if (type !== 'forward') throw new AwsQueryError('InvalidLoadBalancerAction', `The local ELB supports only 'forward' actions, not '${type}'`);
      const forwardTo = action.struct('ForwardConfig')?.structList('TargetGroups', (t) => t.string('TargetGroupArn', { required: true })) ?? [];
      const direct = action.string('TargetGroupArn');
      const targetGroupArns = [...new Set([...(direct ? [direct] : []), ...forwardTo])];
      if (targetGroupArns.length === 0) throw new AwsQueryError('ValidationError', 'A target group ARN must be specified for a forward action');
      if (targetGroupArns.length > 1) throw new AwsQueryError('TooManyUniqueTargetGroupsPerLoadBalancer', 'The local ELB forwards each listener to exactly one target group');
      const listener = store.createListener({ loadBalancerArn, port, protocol, targetGroupArn: targetGroupArns[0]! });
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

    CreateTargetGroup(params) {
      const name = params.string('Name', { required: true, maxLength: 32, pattern: NAME_PATTERN });
      const targetType = params.string('TargetType', { oneOf: ['instance', 'ip', 'lambda', 'alb'] }) ?? 'instance';
      if (targetType !== 'instance' && targetType !== 'ip') throw new AwsQueryError('ValidationError', `The local ELB supports target types 'instance' and 'ip', not '${targetType}'`);
      const protocol = params.string('Protocol', { required: true, oneOf: ['HTTP', 'HTTPS', 'TCP', 'TLS', 'UDP', 'TCP_UDP', 'GENEVE'] });
      const port = params.integer('Port', { required: true, min: 1, max: 65535 });
      const vpcId = params.string('VpcId') ?? 'vpc-local';
      const api = LOCAL_ELB_DEFAULTS.targetGroupApi.healthCheck;
      const httpTg = protocol === 'HTTP' || protocol === 'HTTPS';
      const hcProtocol = (params.string('HealthCheckProtocol', { oneOf: ['HTTP', 'HTTPS', 'TCP'] }) ?? (httpTg ? protocol : 'TCP')) as HealthCheckProtocol;
      const hcPortText = params.string('HealthCheckPort');
      let hcPort: number | 'traffic-port' = 'traffic-port';
      if (hcPortText !== undefined && hcPortText !== 'traffic-port') {
        hcPort = params.integer('HealthCheckPort', { min: 1, max: 65535 })!;
      }
      const interval = params.integer('HealthCheckIntervalSeconds', { min: 5, max: 300 }) ?? api.intervalSeconds;
      const timeout = params.integer('HealthCheckTimeoutSeconds', { min: 2, max: 120 }) ?? (hcProtocol === 'TCP' ? 10 : api.timeoutSeconds);
      if (timeout >= interval) throw new AwsQueryError('ValidationError', 'Health check interval must be greater than the timeout.');
      const matcher = params.struct('Matcher')?.string('HttpCode', { pattern: MATCHER_PATTERN }) ?? api.matcher;
      const healthCheck: HealthCheckSpec = {
        enabled: params.boolean('HealthCheckEnabled') ?? true,
        protocol: hcProtocol,
        port: hcPort,
        path: params.string('HealthCheckPath', { minLength: 1, maxLength: 1024, pattern: /^\// }) ?? api.path,
        intervalSeconds: interval,
        timeoutSeconds: timeout,
        healthyThreshold: params.integer('HealthyThresholdCount', { min: 2, max: 10 }) ?? api.healthyThreshold,
        unhealthyThreshold: params.integer('UnhealthyThresholdCount', { min: 2, max: 10 }) ?? api.unhealthyThreshold,
        matcher,
      };
      const tg = store.createTargetGroup({
        name,
        protocol,
        port,
        vpcId,
        healthCheck,
        deregistrationDelaySeconds: LOCAL_ELB_DEFAULTS.targetGroupApi.deregistrationDelaySeconds,
        targetType,
      });
      return { TargetGroups: members([tgXml(tg)]) };
    },

    DeleteTargetGroup(params) {
      store.deleteTargetGroup(params.string('TargetGroupArn', { required: true }));
      return {};
    },

    DescribeTargetGroups(params) {
      const loadBalancerArn = params.string('LoadBalancerArn');
      const arns = params.stringList('TargetGroupArns');
      const names = params.stringList('Names');
      const pageSize = params.integer('PageSize', { min: 1, max: 400 });
      const filters = [loadBalancerArn !== undefined, Boolean(arns?.length), Boolean(names?.length)].filter(Boolean).length;
      if (filters > 1) throw new AwsQueryError('ValidationError', 'Only one of LoadBalancerArn, TargetGroupArns or Names can be specified');
      let groups = [...store.targetGroups.values()];
      if (loadBalancerArn !== undefined) {
        const lb = store.getLoadBalancer(loadBalancerArn);
        groups = groups.filter((tg) => store.loadBalancerArnsOf(tg).includes(lb.arn));
      } else if (arns?.length) {
        groups = arns.map((arn) => store.getTargetGroup(arn));
      } else if (names?.length) {
        groups = names.map((name) => {
          const tg = groups.find((g) => g.name === name);
          if (!tg) throw new AwsQueryError('TargetGroupNotFound', 'One or more target groups not found');
          return tg;
        });
      }
      const page = pageOf(groups, params.string('Marker'), pageSize ?? 400);
      return { TargetGroups: members(page.items.map(tgXml)), NextMarker: page.nextMarker };
    },

    RegisterTargets(params) {
      const arn = params.string('TargetGroupArn', { required: true });
      const targets = params.structList('Targets', readTarget, { required: true });
      store.registerTargets(arn, targets);
      return {};
    },

    DeregisterTargets(params) {
      const arn = params.string('TargetGroupArn', { required: true });
      const targets = params.structList('Targets', readTarget, { required: true });
      store.deregisterTargets(arn, targets);
      return {};
    },

    DescribeTargetHealth(params) {
      const arn = params.string('TargetGroupArn', { required: true });
      const targets = params.structList('Targets', readTarget);
      const descriptions = store.describeTargetHealth(arn, targets).map((d) => ({
        Target: { Id: d.id, Port: d.port },
        HealthCheckPort: d.healthCheckPort,
        TargetHealth: { ...d.health },
      }));
      return { TargetHealthDescriptions: members(descriptions) };
    },

    DescribeTargetGroupAttributes(params) {
      const tg = store.getTargetGroup(params.string('TargetGroupArn', { required: true }));
      return attributesXml(tg.attributes);
    },

    ModifyTargetGroupAttributes(params) {
      const tg = store.getTargetGroup(params.string('TargetGroupArn', { required: true }));
      const changes = readAttributeChanges(params, 'Target group', tg.attributes, TARGET_GROUP_ATTRIBUTE_RULES);
      for (const { key, value } of changes) store.setTargetGroupAttribute(tg, key, value);
      return attributesXml(tg.attributes);
    },

    DescribeLoadBalancerAttributes(params) {
      const lb = store.getLoadBalancer(params.string('LoadBalancerArn', { required: true }));
      return attributesXml(lb.attributes);
    },

    ModifyLoadBalancerAttributes(params) {
      const lb = store.getLoadBalancer(params.string('LoadBalancerArn', { required: true }));
      const changes = readAttributeChanges(params, 'Load balancer', lb.attributes, LOAD_BALANCER_ATTRIBUTE_RULES);
      for (const { key, value } of changes) lb.attributes.set(key, value);
      store.logLoadBalancerAttributes(lb, changes);
      return attributesXml(lb.attributes);
    },
  };
}

function readTarget(item: QueryRequest): { id: string; port?: number } {
  return { id: item.string('Id', { required: true }), port: item.integer('Port', { min: 1, max: 65535 }) };
}

/** Per attribute key: a check on the value, and what the error says it must be. */
type AttributeRules = Record<string, [check: (value: string) => boolean, expected: string]>;

const isBoolean = (v: string): boolean => v === 'true' || v === 'false';
const TARGET_GROUP_ATTRIBUTE_RULES: AttributeRules = {
  'deregistration_delay.timeout_seconds': [(v) => isIntegerIn(v, 0, 3600), 'a number of seconds from 0 to 3600'],
  'stickiness.enabled': [isBoolean, "'true' or 'false'"],
  'deregistration_delay.connection_termination.enabled': [isBoolean, "'true' or 'false'"],
  'slow_start.duration_seconds': [(v) => v === '0' || isIntegerIn(v, 30, 900), '0 or a number of seconds from 30 to 900'],
};
const LOAD_BALANCER_ATTRIBUTE_RULES: AttributeRules = {
  'idle_timeout.timeout_seconds': [(v) => isIntegerIn(v, 1, 4000), 'a number of seconds from 1 to 4000'],
  'deletion_protection.enabled': [isBoolean, "'true' or 'false'"],
};

/** Reads `Attributes.member.N.{Key,Value}` and validates every change before any is applied (a rejected call changes nothing). */
function readAttributeChanges(params: QueryRequest, owner: string, current: Map<string, string>, rules: AttributeRules): Array<{ key: string; value: string }> {
  const changes = params.structList('Attributes', readAttribute, { required: true });
  for (const { key, value } of changes) {
    if (!current.has(key)) throw new AwsQueryError('ValidationError', `${owner} attribute key '${key}' is not recognized`);
    const rule = rules[key];
    if (rule && !rule[0](value)) throw new AwsQueryError('ValidationError', `'${value}' is not a valid value for ${owner.toLowerCase()} attribute '${key}': expected ${rule[1]}`);
  }
  return changes;
}

function readAttribute(item: QueryRequest): { key: string; value: string } {
  return { key: item.string('Key', { required: true, maxLength: 256 }), value: item.string('Value', { required: true, maxLength: 1024 }) };
}

function isIntegerIn(text: string, min: number, max: number): boolean {
  return /^\d{1,5}$/.test(text) && Number(text) >= min && Number(text) <= max;
}
