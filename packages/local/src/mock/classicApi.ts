import { AwsQueryError } from './errors.js';
import type { ClassicListenerSpec, HealthCheckSpec } from './config.js';
import { parseClassicHealthTarget } from './config.js';
import { LOCAL_ELB_DEFAULTS } from './defaults.js';
import { accountLimitsXml, CLASSIC_ACCOUNT_LIMITS } from './accountLimits.js';
import { pageOf } from './paging.js';
import { readTags } from './tags.js';
import type { QueryRequest } from './queryRequest.js';
import { members, type XmlStruct } from './queryResponse.js';
import type { ClassicBalancer } from './resources.js';
import type { LocalElbStore } from './store.js';

export const CLASSIC_API_VERSION = '2012-06-01';

export type ActionHandler = (params: QueryRequest) => XmlStruct;

const NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;
const PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'SSL'];

/** The Classic ELB actions (API 2012-06-01) the local ELB answers; any other action is InvalidAction. */
export function classicActions(store: LocalElbStore): Record<string, ActionHandler> {
  return {
    CreateLoadBalancer(params) {
      const name = params.string('LoadBalancerName', { required: true, maxLength: 32, pattern: NAME_PATTERN });
      const listeners = readListeners(params);
      const zones = params.stringList('AvailabilityZones') ?? [];
      const subnets = params.stringList('Subnets') ?? [];
      const securityGroups = params.stringList('SecurityGroups') ?? [];
      const scheme = (params.string('Scheme') ?? 'internet-facing') as 'internet-facing' | 'internal';
      if (scheme !== 'internet-facing' && scheme !== 'internal') throw new AwsQueryError('InvalidScheme', `Invalid scheme '${scheme}': 'internet-facing' or 'internal'`);
      // In a VPC (the only kind left) a balancer takes subnets, or zones of the default VPC: one of the two, never neither.
      if (zones.length === 0 && subnets.length === 0) throw new AwsQueryError('ValidationError', 'Either AvailabilityZones or Subnets must be specified');
      if (zones.length > 0 && subnets.length > 0) throw new AwsQueryError('ValidationError', 'AvailabilityZones and Subnets cannot be specified at the same time');
      store.network.checkZones(zones);
      store.network.checkSubnets(subnets, 409);
      store.network.checkOneSubnetPerZone(subnets, 409);
      store.network.checkSecurityGroups(securityGroups);
      if (subnets.length === 0 && securityGroups.length > 0) throw new AwsQueryError('InvalidConfigurationRequest', 'Security groups can be given only with Subnets (a balancer in a VPC)', 409);
      if (subnets.length === 0 && scheme === 'internal') throw new AwsQueryError('InvalidScheme', "The 'internal' scheme is valid only for a load balancer in a VPC (give Subnets)");
      const tags = readTags(params);
      const api = LOCAL_ELB_DEFAULTS.classicApi;
      const firstPort = listeners[0]!.instancePort;
      // AWS gives an API-created balancer a TCP check on the first instance port and draining off.
      const lb = store.createClassic({
        name,
        listeners,
        healthCheck: { enabled: true, protocol: 'TCP', port: firstPort, path: '', matcher: '200', ...api.healthCheck },
        connectionDraining: { ...api.connectionDraining },
        idleTimeoutSeconds: api.idleTimeoutSeconds,
        scheme,
        availabilityZones: [...new Set(zones)],
        subnets,
        securityGroups,
        tags,
      });
      return { DNSName: lb.dnsName };
    },

    DeleteLoadBalancer(params) {
      store.deleteClassic(params.string('LoadBalancerName', { required: true }));
      return {};
    },

    DescribeLoadBalancers(params) {
      const names = params.stringList('LoadBalancerNames');
      const pageSize = params.integer('PageSize', { min: 1, max: 400 });
      let balancers: ClassicBalancer[];
      if (names && names.length > 0) {
        balancers = names.map((name) => store.getClassic(name));
      } else {
        balancers = [...store.classic.values()];
      }
      const page = pageOf(balancers, params.string('Marker'), pageSize ?? 400);
      return {
        LoadBalancerDescriptions: members(page.items.map((lb) => describeClassic(store, lb))),
        NextMarker: page.nextMarker,
      };
    },

    RegisterInstancesWithLoadBalancer(params) {
      const name = params.string('LoadBalancerName', { required: true });
      const ids = params.structList('Instances', readInstanceId, { required: true });
      return { Instances: instanceList(store.registerClassic(name, ids)) };
    },

    DeregisterInstancesFromLoadBalancer(params) {
      const name = params.string('LoadBalancerName', { required: true });
      const ids = params.structList('Instances', readInstanceId, { required: true });
      return { Instances: instanceList(store.deregisterClassic(name, ids)) };
    },

    DescribeInstanceHealth(params) {
      const name = params.string('LoadBalancerName', { required: true });
      const ids = params.structList('Instances', readInstanceId);
      return { InstanceStates: members(store.describeClassicHealth(name, ids).map((s) => ({ ...s }))) };
    },

    ConfigureHealthCheck(params) {
      const name = params.string('LoadBalancerName', { required: true });
      const hc = params.struct('HealthCheck', { required: true });
      const target = hc.string('Target', { required: true, maxLength: 1024 });
      const parsed = parseClassicHealthTarget(target);
      if (!parsed) throw hc.invalid('Target', target, 'Member must be PROTOCOL:PORT[/PATH] with PROTOCOL one of HTTP, HTTPS, TCP, SSL');
      const interval = hc.integer('Interval', { required: true, min: 5, max: 300 });
      const timeout = hc.integer('Timeout', { required: true, min: 2, max: 60 });
      const unhealthy = hc.integer('UnhealthyThreshold', { required: true, min: 2, max: 10 });
      const healthy = hc.integer('HealthyThreshold', { required: true, min: 2, max: 10 });
      if (timeout >= interval) throw new AwsQueryError('ValidationError', 'HealthCheck Timeout must be less than Interval');
      const spec: HealthCheckSpec = {
        enabled: true,
        ...parsed,
        matcher: '200',
        intervalSeconds: interval,
        timeoutSeconds: timeout,
        healthyThreshold: healthy,
        unhealthyThreshold: unhealthy,
      };
      return { HealthCheck: healthCheckXml(store.configureClassicHealthCheck(name, spec).healthCheck) };
    },

    CreateLoadBalancerListeners(params) {
      const name = params.string('LoadBalancerName', { required: true });
      const listeners = readListeners(params);
      store.addClassicListeners(name, listeners);
      return {};
    },

    DeleteLoadBalancerListeners(params) {
      const name = params.string('LoadBalancerName', { required: true });
      const ports = params.stringList('LoadBalancerPorts', { required: true }).map((text, i) => {
        if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw params.invalid(`LoadBalancerPorts.member.${i + 1}`, text, 'Member must be a port from 1 to 65535');
        return Number(text);
      });
      store.removeClassicListeners(name, ports);
      return {};
    },

    EnableAvailabilityZonesForLoadBalancer(params) {
      const lb = store.getClassic(params.string('LoadBalancerName', { required: true }));
      const zones = params.stringList('AvailabilityZones', { required: true });
      store.network.checkZones(zones);
      if (lb.subnets.length > 0) throw new AwsQueryError('ValidationError', 'A load balancer in a VPC takes subnets: use AttachLoadBalancerToSubnets');
      lb.availabilityZones = [...new Set([...lb.availabilityZones, ...zones])];
      return { AvailabilityZones: members(lb.availabilityZones) };
    },

    DisableAvailabilityZonesForLoadBalancer(params) {
      const lb = store.getClassic(params.string('LoadBalancerName', { required: true }));
      const zones = params.stringList('AvailabilityZones', { required: true });
      store.network.checkZones(zones);
      if (lb.subnets.length > 0) throw new AwsQueryError('InvalidConfigurationRequest', 'A load balancer in a VPC takes subnets: use DetachLoadBalancerFromSubnets', 409);
      const remaining = lb.availabilityZones.filter((z) => !zones.includes(z));
      if (remaining.length === 0) throw new AwsQueryError('InvalidConfigurationRequest', 'A load balancer must remain in at least one Availability Zone', 409);
      lb.availabilityZones = remaining;
      return { AvailabilityZones: members(lb.availabilityZones) };
    },

    AttachLoadBalancerToSubnets(params) {
      const lb = store.getClassic(params.string('LoadBalancerName', { required: true }));
      const subnets = params.stringList('Subnets', { required: true });
      store.network.checkSubnets(subnets, 409);
      if (lb.subnets.length === 0) throw new AwsQueryError('InvalidConfigurationRequest', 'This load balancer was created with Availability Zones, not in a VPC: it takes no subnets', 409);
      const after = [...new Set([...lb.subnets, ...subnets])];
      store.network.checkOneSubnetPerZone(after, 409);
      lb.subnets = after;
      lb.availabilityZones = after.map((s) => store.network.zoneOf(s));
      return { Subnets: members(lb.subnets) };
    },

    DetachLoadBalancerFromSubnets(params) {
      const lb = store.getClassic(params.string('LoadBalancerName', { required: true }));
      const subnets = params.stringList('Subnets', { required: true });
      const remaining = lb.subnets.filter((s) => !subnets.includes(s));
      if (remaining.length === 0) throw new AwsQueryError('InvalidConfigurationRequest', 'A load balancer must remain attached to at least one subnet', 409);
      lb.subnets = remaining;
      lb.availabilityZones = remaining.map((s) => store.network.zoneOf(s));
      return { Subnets: members(lb.subnets) };
    },

    ApplySecurityGroupsToLoadBalancer(params) {
      const lb = store.getClassic(params.string('LoadBalancerName', { required: true }));
      const groups = params.stringList('SecurityGroups', { required: true });
      store.network.checkSecurityGroups(groups);
      if (lb.subnets.length === 0) throw new AwsQueryError('InvalidConfigurationRequest', 'Security groups apply only to a load balancer in a VPC', 409);
      lb.securityGroups = [...groups];
      return { SecurityGroups: members(lb.securityGroups) };
    },

    DescribeAccountLimits(params) {
      return accountLimitsXml(params, CLASSIC_ACCOUNT_LIMITS);
    },

    DescribeLoadBalancerAttributes(params) {
      const lb = store.getClassic(params.string('LoadBalancerName', { required: true }));
      return { LoadBalancerAttributes: attributesXml(lb) };
    },

    ModifyLoadBalancerAttributes(params) {
      const lb = store.getClassic(params.string('LoadBalancerName', { required: true }));
      const attrs = params.struct('LoadBalancerAttributes', { required: true });
      const draining = attrs.struct('ConnectionDraining');
      const settings = attrs.struct('ConnectionSettings');
      const crossZone = attrs.struct('CrossZoneLoadBalancing');
      // Validate everything before changing anything: a rejected call leaves the balancer as it was.
      const drainingEnabled = draining?.boolean('Enabled', { required: true });
      const drainingTimeout = draining?.integer('Timeout', { min: 1, max: 3600 });
      const idleTimeout = settings?.integer('IdleTimeout', { required: true, min: 1, max: 4000 });
      const crossZoneEnabled = crossZone?.boolean('Enabled', { required: true });
      const changed: XmlStruct = {};
      if (crossZoneEnabled !== undefined) {
        lb.crossZone = crossZoneEnabled;
        changed.CrossZoneLoadBalancing = { Enabled: lb.crossZone };
      }
      if (drainingEnabled !== undefined) {
        lb.connectionDraining = { enabled: drainingEnabled, timeoutSeconds: drainingTimeout ?? lb.connectionDraining.timeoutSeconds };
        changed.ConnectionDraining = { Enabled: lb.connectionDraining.enabled, Timeout: lb.connectionDraining.timeoutSeconds };
      }
      if (idleTimeout !== undefined) {
        lb.idleTimeoutSeconds = idleTimeout;
        changed.ConnectionSettings = { IdleTimeout: idleTimeout };
      }
      store.logBalancerAttributes(lb);
      return { LoadBalancerName: lb.name, LoadBalancerAttributes: changed };
    },
  };
}

/** A Listeners list: not empty, one listener per LoadBalancerPort. */
function readListeners(params: QueryRequest): ClassicListenerSpec[] {
  const listeners = params.structList('Listeners', readListener, { required: true });
  if (listeners.length === 0) throw params.invalid('Listeners', null, 'Member must not be empty');
  const ports = listeners.map((l) => l.loadBalancerPort);
  if (new Set(ports).size !== ports.length) throw new AwsQueryError('DuplicateListener', 'Duplicate LoadBalancerPort in Listeners');
  return listeners;
}

function readListener(item: QueryRequest): ClassicListenerSpec {
  const protocol = item.string('Protocol', { required: true }).toUpperCase();
  if (!PROTOCOLS.includes(protocol)) throw item.invalid('Protocol', protocol, `Member must satisfy enum value set: [${PROTOCOLS.join(', ')}]`);
  // The local ELB has no certificates: it serves HTTP (and TCP as HTTP), never TLS.
  if (protocol === 'HTTPS' || protocol === 'SSL') {
    throw new AwsQueryError('UnsupportedProtocol', `The local ELB serves HTTP and TCP listeners only, not ${protocol}`);
  }
  // In a VPC any port 1-65535 is allowed (the 25/80/443/465/587/1024+ rule was EC2-Classic's, retired in 2022).
  const loadBalancerPort = item.integer('LoadBalancerPort', { required: true, min: 1, max: 65535 });
  const instancePort = item.integer('InstancePort', { required: true, min: 1, max: 65535 });
  const instanceProtocol = (item.string('InstanceProtocol') ?? protocol).toUpperCase();
  if (!PROTOCOLS.includes(instanceProtocol)) throw item.invalid('InstanceProtocol', instanceProtocol, `Member must satisfy enum value set: [${PROTOCOLS.join(', ')}]`);
  // A layer-7 front end (HTTP/HTTPS) needs a layer-7 back end, a layer-4 one (TCP/SSL) a layer-4 back end.
  const layer7 = (p: string): boolean => p === 'HTTP' || p === 'HTTPS';
  if (layer7(protocol) !== layer7(instanceProtocol)) {
    throw new AwsQueryError('InvalidConfigurationRequest', `Listener protocol ${protocol} and instance protocol ${instanceProtocol} are not compatible: HTTP/HTTPS go with HTTP/HTTPS, TCP/SSL with TCP/SSL`, 409);
  }
  return { protocol, loadBalancerPort, instanceProtocol, instancePort };
}

function readInstanceId(item: QueryRequest): string {
  return item.string('InstanceId', { required: true });
}

function instanceList(ids: string[]): XmlStruct {
  return members(ids.map((id) => ({ InstanceId: id })));
}

/** Seconds may be fractional in a local config; the API's Interval/Timeout are integers. */
function healthCheckXml(hc: HealthCheckSpec): XmlStruct {
  return {
    Target: hc.path ? `${hc.protocol}:${String(hc.port)}${hc.path}` : `${hc.protocol}:${String(hc.port)}`,
    Interval: Math.max(1, Math.round(hc.intervalSeconds)),
    Timeout: Math.max(1, Math.round(hc.timeoutSeconds)),
    UnhealthyThreshold: hc.unhealthyThreshold,
    HealthyThreshold: hc.healthyThreshold,
  };
}

function attributesXml(lb: ClassicBalancer): XmlStruct {
  return {
    CrossZoneLoadBalancing: { Enabled: lb.crossZone },
    AccessLog: { Enabled: false },
    ConnectionDraining: { Enabled: lb.connectionDraining.enabled, Timeout: lb.connectionDraining.timeoutSeconds },
    ConnectionSettings: { IdleTimeout: lb.idleTimeoutSeconds },
    AdditionalAttributes: members([{ Key: 'elb.http.desyncmitigationmode', Value: 'defensive' }]),
  };
}

function describeClassic(store: LocalElbStore, lb: ClassicBalancer): XmlStruct {
  return {
    LoadBalancerName: lb.name,
    DNSName: lb.dnsName,
    CanonicalHostedZoneName: lb.dnsName,
    CanonicalHostedZoneNameID: 'Z35SXDOTRQ7X7K',
    ListenerDescriptions: members(
      lb.listeners.map((l) => ({
        Listener: { Protocol: l.protocol, LoadBalancerPort: l.loadBalancerPort, InstanceProtocol: l.instanceProtocol, InstancePort: l.instancePort },
        PolicyNames: members([]),
      })),
    ),
    Policies: { AppCookieStickinessPolicies: members([]), LBCookieStickinessPolicies: members([]), OtherPolicies: members([]) },
    BackendServerDescriptions: members([]),
    AvailabilityZones: members(lb.availabilityZones),
    Subnets: members(lb.subnets),
    VPCId: lb.vpcId,
    Instances: instanceList(store.classicInstances(lb)),
    HealthCheck: healthCheckXml(lb.healthCheck),
    SourceSecurityGroup: { OwnerAlias: 'amazon-elb', GroupName: 'amazon-elb-sg' },
    SecurityGroups: members(lb.securityGroups),
    CreatedTime: lb.createdTime,
    Scheme: lb.scheme,
  };
}
