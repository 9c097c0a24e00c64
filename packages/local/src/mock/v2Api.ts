import { checkLoadBalancerAttributes, checkTargetGroupAttributes, isLayer7Protocol, readAttributeChanges } from './attributes.js';
import { AwsQueryError } from './errors.js';
import type { ActionHandler } from './classicApi.js';
import type { HealthCheckProtocol, HealthCheckSpec } from './config.js';
import { LOCAL_ELB_DEFAULTS } from './defaults.js';
import { accountLimitsXml, V2_ACCOUNT_LIMITS } from './accountLimits.js';
import { pageOf } from './paging.js';
import type { QueryRequest } from './queryRequest.js';
import { members } from './queryResponse.js';
import type { LoadBalancerV2, TargetGroup } from './resources.js';
import type { LocalElbStore } from './store.js';
import { readTags } from './tags.js';
import { attributesXml, loadBalancerXml, targetGroupXml } from './v2Xml.js';

export const V2_API_VERSION = '2015-12-01';

const NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;
const MATCHER_PATTERN = /^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/;

/** The ELBv2 actions (API 2015-12-01) on load balancers, target groups and targets; listeners and rules are in v2ListenerApi. */
export function v2Actions(store: LocalElbStore): Record<string, ActionHandler> {
  const tgXml = (tg: TargetGroup) => targetGroupXml(store, tg);

  return {
    CreateLoadBalancer(params) {
      const name = params.string('Name', { required: true, maxLength: 32, pattern: NAME_PATTERN });
      if (name.toLowerCase().startsWith('internal-')) throw params.invalid('Name', name, "Member must not start with 'internal-'");
      const type = (params.string('Type', { oneOf: ['application', 'network', 'gateway'] }) ?? 'application') as 'application' | 'network' | 'gateway';
      if (type === 'gateway') throw new AwsQueryError('InvalidConfigurationRequest', 'The local ELB does not serve gateway load balancers');
      const scheme = (params.string('Scheme', { oneOf: ['internet-facing', 'internal'] }) ?? 'internet-facing') as 'internet-facing' | 'internal';
      const ipAddressType = params.string('IpAddressType', { oneOf: ['ipv4', 'dualstack', 'dualstack-without-public-ipv4'] }) ?? 'ipv4';
      const subnets = readSubnets(params, store, type, true);
      const securityGroups = params.stringList('SecurityGroups') ?? [];
      store.network.checkSecurityGroups(securityGroups);
      const tags = readTags(params);
      const lb = store.createLoadBalancer({ name, type, scheme, ipAddressType, idleTimeoutSeconds: LOCAL_ELB_DEFAULTS.loadBalancerIdleTimeoutSeconds, subnets, securityGroups, tags });
      return { LoadBalancers: members([loadBalancerXml(lb)]) };
    },

    DeleteLoadBalancer(params) {
      const arn = params.string('LoadBalancerArn', { required: true });
      if (store.loadBalancers.has(arn)) store.deleteLoadBalancer(arn);
      return {};
    },

    DescribeLoadBalancers(params) {
      const arns = params.stringList('LoadBalancerArns', { maxItems: 20 });
      const names = params.stringList('Names', { maxItems: 20 });
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
      return { LoadBalancers: members(page.items.map(loadBalancerXml)), NextMarker: page.nextMarker };
    },

    SetSubnets(params) {
      const lb = store.getLoadBalancer(params.string('LoadBalancerArn', { required: true }));
      const subnets = readSubnets(params, store, lb.type, true);
      const ipAddressType = params.string('IpAddressType', { oneOf: ['ipv4', 'dualstack', 'dualstack-without-public-ipv4'] });
      lb.subnets = subnets.map((subnetId) => ({ subnetId, zone: store.network.zoneOf(subnetId) }));
      if (ipAddressType) lb.ipAddressType = ipAddressType;
      return { AvailabilityZones: members(lb.subnets.map((s) => ({ ZoneName: s.zone, SubnetId: s.subnetId, LoadBalancerAddresses: members([]) }))), IpAddressType: lb.ipAddressType };
    },

    SetSecurityGroups(params) {
      const lb = store.getLoadBalancer(params.string('LoadBalancerArn', { required: true }));
      const groups = params.stringList('SecurityGroups', { required: true, maxItems: 5 });
      store.network.checkSecurityGroups(groups);
      // An NLB created without security groups can never have them; an ALB always has at least one.
      if (lb.type === 'network' && lb.securityGroups.length === 0 && groups.length > 0) {
        throw new AwsQueryError('InvalidConfigurationRequest', 'A Network Load Balancer created without security groups cannot have security groups added');
      }
      if (lb.type === 'application' && groups.length === 0) throw new AwsQueryError('InvalidConfigurationRequest', 'An Application Load Balancer must have at least one security group');
      lb.securityGroups = [...groups];
      return { SecurityGroupIds: members(lb.securityGroups) };
    },

    DescribeAccountLimits(params) {
      return accountLimitsXml(params, V2_ACCOUNT_LIMITS);
    },

    CreateTargetGroup(params) {
      const name = params.string('Name', { required: true, maxLength: 32, pattern: NAME_PATTERN });
      const targetType = params.string('TargetType', { oneOf: ['instance', 'ip', 'lambda', 'alb'] }) ?? 'instance';
      if (targetType !== 'instance' && targetType !== 'ip') throw new AwsQueryError('InvalidConfigurationRequest', `The local ELB supports target types 'instance' and 'ip', not '${targetType}'`);
      // For instance and ip targets, Protocol, Port and VpcId are required (API_CreateTargetGroup).
      const protocol = params.string('Protocol', { required: true, oneOf: ['HTTP', 'HTTPS', 'TCP', 'TLS', 'UDP', 'TCP_UDP', 'GENEVE'] });
      if (protocol === 'GENEVE') throw new AwsQueryError('InvalidConfigurationRequest', 'The local ELB does not serve GENEVE (gateway) target groups');
      const port = params.integer('Port', { required: true, min: 1, max: 65535 });
      const vpcId = params.string('VpcId');
      if (vpcId === undefined) throw new AwsQueryError('ValidationError', `A VPC ID must be specified for target groups with target type '${targetType}'`);
      if (!store.network.isVpcId(vpcId)) throw params.invalid('VpcId', vpcId, 'Member must be a VPC id (vpc- and 8 or 17 hex digits)');
      const defaults = LOCAL_ELB_DEFAULTS.targetGroupApi.healthCheck;
      const layer7 = isLayer7Protocol(protocol);
      const healthCheck = readHealthCheck(params, protocol, {
        enabled: true,
        protocol: (layer7 ? protocol : 'TCP') as HealthCheckProtocol,
        port: 'traffic-port',
        path: defaults.path,
        intervalSeconds: defaults.intervalSeconds,
        healthyThreshold: defaults.healthyThreshold,
        unhealthyThreshold: defaults.unhealthyThreshold,
      });
      const tags = readTags(params);
      const tg = store.createTargetGroup({ name, protocol, port, vpcId, healthCheck, deregistrationDelaySeconds: LOCAL_ELB_DEFAULTS.targetGroupApi.deregistrationDelaySeconds, targetType });
      if (tags) for (const tag of tags) tg.tags.set(tag.key, tag.value);
      return { TargetGroups: members([tgXml(tg)]) };
    },

    ModifyTargetGroup(params) {
      const tg = store.getTargetGroup(params.string('TargetGroupArn', { required: true }));
      const healthCheck = readHealthCheck(params, tg.protocol, tg.healthCheck);
      store.modifyTargetGroupHealthCheck(tg, healthCheck);
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
      const changes = readAttributeChanges(params, 'Target group', tg.catalog, tg.attributes, checkTargetGroupAttributes);
      for (const { key, value } of changes) store.setTargetGroupAttribute(tg, key, value);
      return attributesXml(tg.attributes);
    },

    DescribeLoadBalancerAttributes(params) {
      const lb = store.getLoadBalancer(params.string('LoadBalancerArn', { required: true }));
      return attributesXml(lb.attributes);
    },

    ModifyLoadBalancerAttributes(params) {
      const lb: LoadBalancerV2 = store.getLoadBalancer(params.string('LoadBalancerArn', { required: true }));
      const changes = readAttributeChanges(params, 'Load balancer', lb.catalog, lb.attributes, checkLoadBalancerAttributes(lb.attributes));
      for (const { key, value } of changes) lb.attributes.set(key, value);
      store.logLoadBalancerAttributes(lb, changes);
      return attributesXml(lb.attributes);
    },
  };
}

/** Subnets or SubnetMappings (one of them): an ALB needs two zones at least, an NLB one (API_CreateLoadBalancer). */
function readSubnets(params: QueryRequest, store: LocalElbStore, type: 'application' | 'network', required: boolean): string[] {
  const subnets = params.stringList('Subnets');
  const mappings = params.structList('SubnetMappings', (m) => m.string('SubnetId', { required: true }));
  if (subnets?.length && mappings?.length) throw new AwsQueryError('ValidationError', 'Subnets and SubnetMappings cannot be specified at the same time');
  const ids = subnets?.length ? subnets : (mappings ?? []);
  const minimum = type === 'application' ? 2 : 1;
  if (required && ids.length < minimum) {
    throw new AwsQueryError(
      'ValidationError',
      type === 'application' ? 'At least two subnets in two different Availability Zones must be specified' : 'At least one subnet must be specified',
    );
  }
  store.network.checkSubnets(ids);
  store.network.checkOneSubnetPerZone(ids);
  return ids;
}

/** Current settings, or AWS's defaults for a new group (whose timeout and matcher depend on the protocols). */
type HealthCheckBase = Omit<HealthCheckSpec, 'timeoutSeconds' | 'matcher'> & { timeoutSeconds?: number; matcher?: string };

/**
 * Health-check members of CreateTargetGroup / ModifyTargetGroup over `base` (AWS's defaults, or the group's current
 * settings), with the reference's rules: instance and ip groups cannot disable health checks; HTTP(S) groups check
 * with HTTP(S); path and matcher only for HTTP(S) checks; timeout below interval.
 */
function readHealthCheck(params: QueryRequest, protocol: string, base: HealthCheckBase): HealthCheckSpec {
  const layer7 = isLayer7Protocol(protocol);
  const enabled = params.boolean('HealthCheckEnabled');
  if (enabled === false) throw new AwsQueryError('ValidationError', "Health checks cannot be disabled for target groups with target type 'instance' or 'ip'");
  const hcProtocol = (params.string('HealthCheckProtocol', { oneOf: layer7 ? ['HTTP', 'HTTPS'] : ['HTTP', 'HTTPS', 'TCP'] }) ?? base.protocol) as HealthCheckProtocol;
  const hcHttp = hcProtocol === 'HTTP' || hcProtocol === 'HTTPS';
  const portText = params.string('HealthCheckPort');
  let port = base.port;
  if (portText === 'traffic-port') port = 'traffic-port';
  else if (portText !== undefined) port = params.integer('HealthCheckPort', { min: 1, max: 65535 })!;
  const path = params.string('HealthCheckPath', { minLength: 1, maxLength: 1024, pattern: /^\// });
  const matcherStruct = params.struct('Matcher');
  if (!hcHttp && (path !== undefined || matcherStruct)) throw new AwsQueryError('ValidationError', 'Health check path and matcher are supported only for HTTP and HTTPS health checks');
  if (matcherStruct?.string('GrpcCode') !== undefined) throw new AwsQueryError('ValidationError', 'GrpcCode matchers are for gRPC target groups (the local ELB serves HTTP1)');
  const matcher = matcherStruct?.string('HttpCode', { required: true, pattern: MATCHER_PATTERN });
  const interval = params.integer('HealthCheckIntervalSeconds', { min: 5, max: 300 }) ?? base.intervalSeconds;
  // AWS: 5 s for HTTP(S) checks of HTTP groups, 10 s for TCP and for the HTTP checks of TCP groups.
  const defaultTimeout = layer7 ? LOCAL_ELB_DEFAULTS.targetGroupApi.healthCheck.timeoutSeconds : 10;
  const timeout = params.integer('HealthCheckTimeoutSeconds', { min: 2, max: 120 }) ?? base.timeoutSeconds ?? defaultTimeout;
  if (timeout >= interval) throw new AwsQueryError('ValidationError', 'Health check interval must be greater than the timeout.');
  return {
    enabled: true,
    protocol: hcProtocol,
    port,
    path: path ?? base.path ?? LOCAL_ELB_DEFAULTS.targetGroupApi.healthCheck.path,
    intervalSeconds: interval,
    timeoutSeconds: timeout,
    healthyThreshold: params.integer('HealthyThresholdCount', { min: 2, max: 10 }) ?? base.healthyThreshold,
    unhealthyThreshold: params.integer('UnhealthyThresholdCount', { min: 2, max: 10 }) ?? base.unhealthyThreshold,
    // The default matcher: 200 for ALB groups, 200-399 for an NLB group's HTTP check.
    matcher: matcher ?? base.matcher ?? (layer7 ? LOCAL_ELB_DEFAULTS.targetGroupApi.healthCheck.matcher : '200-399'),
  };
}

function readTarget(item: QueryRequest): { id: string; port?: number } {
  return { id: item.string('Id', { required: true }), port: item.integer('Port', { min: 1, max: 65535 }) };
}
