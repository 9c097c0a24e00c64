import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { LocalElbConfigError } from './errors.js';
import { IMDS_CREDENTIALS_MIN_TTL_SECONDS, LOCAL_ELB_DEFAULTS } from './defaults.js';

/**
 * The local ELB's configuration file (YAML or JSON: YAML is a superset of JSON, one parser reads both).
 * Everything is optional; without a file the embedded default (`defaultLocalElbConfig()`) applies.
 */
export interface LocalElbConfig {
  region?: string;
  accountId?: string;
  propagationDelayMs?: number;
  /** How long a just-registered target reads `unused` (AWS's eventual consistency). Default 0. */
  targetRegistrationLagMs?: number;
  /** How long an API-created ALB/NLB reads `provisioning` before `active`. Default 2000. */
  provisioningMs?: number;
  /** instanceId -> 'host:port': where traffic and health checks for that instance go. */
  instances?: Record<string, string>;
  imds?: ImdsConfig;
  classic?: ClassicBalancerConfig[];
  loadBalancers?: LoadBalancerConfig[];
  targetGroups?: TargetGroupConfig[];
  /** Auto Scaling groups (API 2011-01-01): their instances, attached balancers and lifecycle hooks. */
  autoScalingGroups?: AutoScalingGroupConfig[];
  /** Instances IMDS reports as Spot (`instance-life-cycle: spot`); any instance may still be sent a notice. */
  spotInstances?: string[];
}

export interface AutoScalingGroupConfig {
  name: string;
  /** Instances in the group, InService from the start. */
  instances?: string[];
  /** Classic ELBs attached to the group: scale-in and EnterStandby deregister the instance from them first. */
  loadBalancers?: string[];
  /** Target groups (names) attached to the group, likewise. */
  targetGroups?: string[];
  /** As on AWS, informational here: `EC2` or `ELB`. */
  healthCheckType?: 'EC2' | 'ELB';
  lifecycleHooks?: Array<{
    name: string;
    /** @default 'autoscaling:EC2_INSTANCE_TERMINATING' */
    transition?: 'autoscaling:EC2_INSTANCE_TERMINATING' | 'autoscaling:EC2_INSTANCE_LAUNCHING';
    /** Seconds in Terminating:Wait before `defaultResult` applies; a heartbeat restarts it. AWS: 30..7200, default 3600. */
    heartbeatTimeoutSeconds?: number;
    /** @default 'ABANDON' (AWS's default) */
    defaultResult?: 'CONTINUE' | 'ABANDON';
  }>;
}

export interface ImdsConfig {
  instanceId?: string;
  region?: string;
  requireToken?: boolean;
  /** The instance profile's role, served at iam/security-credentials/<role>. Default `graceful-elb-local`. */
  roleName?: string;
  /** Lifetime of the temporary credentials; new ones are served from 15 minutes before expiry. Default 21600 (6 h). */
  credentialsTtlSeconds?: number;
}

export interface ClassicBalancerConfig {
  name: string;
  listeners?: Array<{ protocol?: string; loadBalancerPort: number; instanceProtocol?: string; instancePort?: number }>;
  /** `target` as in the API: `HTTP:3000/ping`, `TCP:3000`. Seconds may be fractional here (not in the API). */
  healthCheck?: { target?: string; intervalSeconds?: number; timeoutSeconds?: number; healthyThreshold?: number; unhealthyThreshold?: number };
  connectionDraining?: { enabled?: boolean; timeoutSeconds?: number };
  idleTimeoutSeconds?: number;
  /** Instances registered at start (they still have to pass health checks). */
  instances?: string[];
}

export interface LoadBalancerConfig {
  name: string;
  type?: 'application' | 'network';
  idleTimeoutSeconds?: number;
  listeners?: Array<{ port: number; protocol?: string; targetGroup: string }>;
}

export interface TargetGroupConfig {
  name: string;
  protocol?: string;
  port?: number;
  healthCheck?: {
    enabled?: boolean;
    protocol?: string;
    path?: string;
    port?: number | 'traffic-port';
    intervalSeconds?: number;
    timeoutSeconds?: number;
    healthyThreshold?: number;
    unhealthyThreshold?: number;
    matcher?: string;
  };
  deregistrationDelaySeconds?: number;
  /** TCP groups (NLB): reset a deregistered target's open flows when the delay ends (AWS default false). */
  connectionTermination?: boolean;
  targets?: Array<{ id: string; port?: number }>;
}

// ---- The resolved (validated, defaults applied) model the store is built from ----

export type HealthCheckProtocol = 'HTTP' | 'HTTPS' | 'TCP' | 'SSL';

export interface HealthCheckSpec {
  enabled: boolean;
  protocol: HealthCheckProtocol;
  /** A port, or the traffic port of each instance/target. */
  port: number | 'traffic-port';
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  /** ELBv2 success codes ('200', '200-299', '200,302'); Classic HTTP checks accept only 200. */
  matcher: string;
}

export interface ClassicListenerSpec {
  protocol: string;
  loadBalancerPort: number;
  instanceProtocol: string;
  instancePort: number;
}

export interface ClassicBalancerSpec {
  name: string;
  listeners: ClassicListenerSpec[];
  healthCheck: HealthCheckSpec;
  connectionDraining: { enabled: boolean; timeoutSeconds: number };
  idleTimeoutSeconds: number;
  instances: string[];
}

export interface LoadBalancerSpec {
  name: string;
  type: 'application' | 'network';
  idleTimeoutSeconds: number;
  listeners: Array<{ port: number; protocol: string; targetGroup: string }>;
}

export interface TargetGroupSpec {
  name: string;
  protocol: string;
  port: number;
  healthCheck: HealthCheckSpec;
  deregistrationDelaySeconds: number;
  connectionTermination: boolean | undefined;
  targets: Array<{ id: string; port?: number }>;
}

export interface ResolvedLocalElbConfig {
  region: string;
  accountId: string;
  propagationDelayMs: number | undefined;
  targetRegistrationLagMs: number | undefined;
  instances: Record<string, string>;
  provisioningMs: number | undefined;
  imds: { instanceId: string | undefined; region: string | undefined; requireToken: boolean; roleName: string | undefined; credentialsTtlSeconds: number | undefined };
  classic: ClassicBalancerSpec[];
  loadBalancers: LoadBalancerSpec[];
  targetGroups: TargetGroupSpec[];
  autoScalingGroups: AutoScalingGroupSpec[];
  spotInstances: string[];
}

export interface LifecycleHookSpec {
  name: string;
  transition: 'autoscaling:EC2_INSTANCE_TERMINATING' | 'autoscaling:EC2_INSTANCE_LAUNCHING';
  heartbeatTimeoutSeconds: number;
  defaultResult: 'CONTINUE' | 'ABANDON';
}

export interface AutoScalingGroupSpec {
  name: string;
  instances: string[];
  loadBalancers: string[];
  targetGroups: string[];
  healthCheckType: 'EC2' | 'ELB';
  lifecycleHooks: LifecycleHookSpec[];
}

/** The embedded setup: Classic `web` and ALB `web-alb` → `web-tg`, with fast local health checks (see defaults.ts). */
export function defaultLocalElbConfig(): LocalElbConfig {
  const local = LOCAL_ELB_DEFAULTS.local;
  return {
    classic: [
      {
        name: local.classicName,
        listeners: [{ protocol: 'HTTP', loadBalancerPort: local.classicListenerPort, instanceProtocol: 'HTTP', instancePort: local.instancePort }],
        healthCheck: { target: `HTTP:${local.instancePort}${local.healthPath}`, ...local.healthCheck },
        connectionDraining: { enabled: true, timeoutSeconds: local.connectionDrainingTimeoutSeconds },
        idleTimeoutSeconds: local.idleTimeoutSeconds,
      },
    ],
    loadBalancers: [
      {
        name: local.albName,
        type: 'application',
        idleTimeoutSeconds: local.idleTimeoutSeconds,
        listeners: [{ port: local.albListenerPort, protocol: 'HTTP', targetGroup: local.targetGroupName }],
      },
    ],
    targetGroups: [
      {
        name: local.targetGroupName,
        protocol: 'HTTP',
        port: local.instancePort,
        healthCheck: { path: local.healthPath, ...local.healthCheck },
        deregistrationDelaySeconds: local.deregistrationDelaySeconds,
      },
    ],
  };
}

/** Reads a YAML or JSON file; errors name the file and, for bad values, the field path. */
export function loadLocalElbConfigFile(path: string): ResolvedLocalElbConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new LocalElbConfigError('config', path, 'a readable YAML or JSON file', { cause });
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (cause) {
    throw new LocalElbConfigError('config', path, `valid YAML or JSON (${(cause as Error).message.split('\n')[0]})`, { cause });
  }
  return resolveLocalElbConfig(parsed ?? {});
}

/** Validates a config object (never mutates it) and applies the defaults. */
export function resolveLocalElbConfig(input: unknown): ResolvedLocalElbConfig {
  const root = object(input, 'config');
  knownKeys(root, 'config', ['region', 'accountId', 'propagationDelayMs', 'targetRegistrationLagMs', 'provisioningMs', 'instances', 'imds', 'classic', 'loadBalancers', 'targetGroups', 'autoScalingGroups', 'spotInstances']);
  const instances: Record<string, string> = {};
  const instancesInput = optional(root.instances, (v) => object(v, 'instances'));
  for (const [id, address] of Object.entries(instancesInput ?? {})) {
    instanceId(id, `instances (key ${JSON.stringify(id)})`);
    instances[id] = hostPort(address, `instances.${id}`);
  }
  const imdsInput = optional(root.imds, (v) => object(v, 'imds')) ?? {};
  knownKeys(imdsInput, 'imds', ['instanceId', 'region', 'requireToken', 'roleName', 'credentialsTtlSeconds']);

  const classic = optional(root.classic, (v) => array(v, 'classic'))?.map((c, i) => classicSpec(c, `classic[${i}]`)) ?? [];
  const targetGroups = optional(root.targetGroups, (v) => array(v, 'targetGroups'))?.map((t, i) => targetGroupSpec(t, `targetGroups[${i}]`)) ?? [];
  const loadBalancers = optional(root.loadBalancers, (v) => array(v, 'loadBalancers'))?.map((l, i) => loadBalancerSpec(l, `loadBalancers[${i}]`)) ?? [];

  unique(classic.map((c) => c.name), 'classic', 'name');
  unique(loadBalancers.map((l) => l.name), 'loadBalancers', 'name');
  unique(targetGroups.map((t) => t.name), 'targetGroups', 'name');
  loadBalancers.forEach((lb, i) =>
    lb.listeners.forEach((listener, j) => {
      if (!targetGroups.some((tg) => tg.name === listener.targetGroup)) {
        throw new LocalElbConfigError(`loadBalancers[${i}].listeners[${j}].targetGroup`, listener.targetGroup, 'the name of a target group in `targetGroups`');
      }
    }),
  );

  const autoScalingGroups = optional(root.autoScalingGroups, (v) => array(v, 'autoScalingGroups'))?.map((g, i) => autoScalingGroupSpec(g, `autoScalingGroups[${i}]`)) ?? [];
  unique(autoScalingGroups.map((g) => g.name), 'autoScalingGroups', 'name');
  const grouped = new Set<string>();
  autoScalingGroups.forEach((group, i) => {
    group.loadBalancers.forEach((name, j) => {
      if (!classic.some((c) => c.name === name)) throw new LocalElbConfigError(`autoScalingGroups[${i}].loadBalancers[${j}]`, name, 'the name of a Classic ELB in `classic`');
    });
    group.targetGroups.forEach((name, j) => {
      if (!targetGroups.some((t) => t.name === name)) throw new LocalElbConfigError(`autoScalingGroups[${i}].targetGroups[${j}]`, name, 'the name of a target group in `targetGroups`');
    });
    group.instances.forEach((id, j) => {
      // An instance belongs to one group at most, as on AWS.
      if (grouped.has(id)) throw new LocalElbConfigError(`autoScalingGroups[${i}].instances[${j}]`, id, 'in one Auto Scaling group only');
      grouped.add(id);
    });
  });
  const spotInstances = (optional(root.spotInstances, (v) => array(v, 'spotInstances')) ?? []).map((id, i) => instanceId(id, `spotInstances[${i}]`));

  return {
    autoScalingGroups,
    spotInstances,
    region: optional(root.region, (v) => string(v, 'region', /^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region like us-east-1')) ?? LOCAL_ELB_DEFAULTS.region,
    accountId: optional(root.accountId, (v) => string(String(v), 'accountId', /^\d{12}$/, 'a 12-digit account id')) ?? LOCAL_ELB_DEFAULTS.accountId,
    propagationDelayMs: optional(root.propagationDelayMs, (v) => number(v, 'propagationDelayMs', 0, 600_000)),
    targetRegistrationLagMs: optional(root.targetRegistrationLagMs, (v) => number(v, 'targetRegistrationLagMs', 0, 600_000)),
    provisioningMs: optional(root.provisioningMs, (v) => number(v, 'provisioningMs', 0, 600_000)),
    instances,
    imds: {
      instanceId: optional(imdsInput.instanceId, (v) => instanceId(v, 'imds.instanceId')),
      region: optional(imdsInput.region, (v) => string(v, 'imds.region', /^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region like us-east-1')),
      requireToken: optional(imdsInput.requireToken, (v) => boolean(v, 'imds.requireToken')) ?? false,
      roleName: optional(imdsInput.roleName, (v) => string(v, 'imds.roleName', /^[\w+=,.@-]{1,64}$/, 'an IAM role name (1-64 of letters, digits and +=,.@_-)')),
      credentialsTtlSeconds: optional(imdsInput.credentialsTtlSeconds, (v) => number(v, 'imds.credentialsTtlSeconds', IMDS_CREDENTIALS_MIN_TTL_SECONDS, 43_200)),
    },
    classic,
    loadBalancers,
    targetGroups,
  };
}

function classicSpec(input: unknown, path: string): ClassicBalancerSpec {
  const c = object(input, path);
  knownKeys(c, path, ['name', 'listeners', 'healthCheck', 'connectionDraining', 'idleTimeoutSeconds', 'instances']);
  const name = string(c.name, `${path}.name`, /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/, 'a balancer name (1-32 letters, digits, hyphens)');
  const listenersInput = optional(c.listeners, (v) => array(v, `${path}.listeners`)) ?? [
    { loadBalancerPort: LOCAL_ELB_DEFAULTS.local.classicListenerPort },
  ];
  if (listenersInput.length === 0) throw new LocalElbConfigError(`${path}.listeners`, listenersInput, 'at least one listener');
  const listeners = listenersInput.map((l, i): ClassicListenerSpec => {
    const lp = `${path}.listeners[${i}]`;
    const listener = object(l, lp);
    knownKeys(listener, lp, ['protocol', 'loadBalancerPort', 'instanceProtocol', 'instancePort']);
    const protocol = optional(listener.protocol, (v) => oneOf(v, `${lp}.protocol`, ['HTTP', 'TCP'])) ?? 'HTTP';
    return {
      protocol,
      loadBalancerPort: port(listener.loadBalancerPort, `${lp}.loadBalancerPort`),
      instanceProtocol: optional(listener.instanceProtocol, (v) => oneOf(v, `${lp}.instanceProtocol`, ['HTTP', 'TCP'])) ?? protocol,
      instancePort: optional(listener.instancePort, (v) => port(v, `${lp}.instancePort`)) ?? LOCAL_ELB_DEFAULTS.local.instancePort,
    };
  });
  const hcInput = optional(c.healthCheck, (v) => object(v, `${path}.healthCheck`)) ?? {};
  knownKeys(hcInput, `${path}.healthCheck`, ['target', 'intervalSeconds', 'timeoutSeconds', 'healthyThreshold', 'unhealthyThreshold']);
  const firstPort = listeners[0]!.instancePort;
  const target = optional(hcInput.target, (v) => string(v, `${path}.healthCheck.target`)) ?? `HTTP:${firstPort}${LOCAL_ELB_DEFAULTS.local.healthPath}`;
  const parsedTarget = parseClassicHealthTarget(target);
  if (!parsedTarget) throw new LocalElbConfigError(`${path}.healthCheck.target`, target, 'PROTOCOL:PORT[/path] like HTTP:3000/ping or TCP:3000');
  const timing = healthTiming(hcInput, `${path}.healthCheck`, LOCAL_ELB_DEFAULTS.local.healthCheck);
  const drainingInput = optional(c.connectionDraining, (v) => object(v, `${path}.connectionDraining`)) ?? {};
  knownKeys(drainingInput, `${path}.connectionDraining`, ['enabled', 'timeoutSeconds']);
  return {
    name,
    listeners,
    healthCheck: { enabled: true, ...parsedTarget, matcher: '200', ...timing },
    connectionDraining: {
      enabled: optional(drainingInput.enabled, (v) => boolean(v, `${path}.connectionDraining.enabled`)) ?? true,
      timeoutSeconds:
        optional(drainingInput.timeoutSeconds, (v) => number(v, `${path}.connectionDraining.timeoutSeconds`, 0, 3600)) ??
        LOCAL_ELB_DEFAULTS.local.connectionDrainingTimeoutSeconds,
    },
    idleTimeoutSeconds: optional(c.idleTimeoutSeconds, (v) => number(v, `${path}.idleTimeoutSeconds`, 1, 4000)) ?? LOCAL_ELB_DEFAULTS.local.idleTimeoutSeconds,
    instances: (optional(c.instances, (v) => array(v, `${path}.instances`)) ?? []).map((id, i) => instanceId(id, `${path}.instances[${i}]`)),
  };
}

function autoScalingGroupSpec(input: unknown, path: string): AutoScalingGroupSpec {
  const g = object(input, path);
  knownKeys(g, path, ['name', 'instances', 'loadBalancers', 'targetGroups', 'healthCheckType', 'lifecycleHooks']);
  const names = (key: string): string[] => (optional(g[key], (v) => array(v, `${path}.${key}`)) ?? []).map((n, i) => string(n, `${path}.${key}[${i}]`));
  const hooks = (optional(g.lifecycleHooks, (v) => array(v, `${path}.lifecycleHooks`)) ?? []).map((h, i): LifecycleHookSpec => {
    const hp = `${path}.lifecycleHooks[${i}]`;
    const hook = object(h, hp);
    knownKeys(hook, hp, ['name', 'transition', 'heartbeatTimeoutSeconds', 'defaultResult']);
    const transitions = ['autoscaling:EC2_INSTANCE_TERMINATING', 'autoscaling:EC2_INSTANCE_LAUNCHING'];
    return {
      name: string(hook.name, `${hp}.name`, /^[A-Za-z0-9\-_/]{1,255}$/, 'a hook name (1-255 letters, digits, - _ /)'),
      transition: (optional(hook.transition, (v) => oneOf(v, `${hp}.transition`, transitions)) ?? transitions[0]) as LifecycleHookSpec['transition'],
      // Below AWS's 30 s minimum on purpose, like the local health checks: a local hook timeout need not take minutes.
      heartbeatTimeoutSeconds: optional(hook.heartbeatTimeoutSeconds, (v) => integer(v, `${hp}.heartbeatTimeoutSeconds`, 1, 7200)) ?? LOCAL_ELB_DEFAULTS.autoScaling.heartbeatTimeoutSeconds,
      defaultResult: (optional(hook.defaultResult, (v) => oneOf(v, `${hp}.defaultResult`, ['CONTINUE', 'ABANDON'])) ?? LOCAL_ELB_DEFAULTS.autoScaling.defaultResult) as 'CONTINUE' | 'ABANDON',
    };
  });
  unique(hooks.map((h) => h.name), `${path}.lifecycleHooks`, 'name');
  return {
    name: string(g.name, `${path}.name`, /^[\u0020-\uD7FF\uE000-\uFFFD]{1,255}$/, 'a group name (1-255 characters)'),
    instances: (optional(g.instances, (v) => array(v, `${path}.instances`)) ?? []).map((id, i) => instanceId(id, `${path}.instances[${i}]`)),
    loadBalancers: names('loadBalancers'),
    targetGroups: names('targetGroups'),
    healthCheckType: (optional(g.healthCheckType, (v) => oneOf(v, `${path}.healthCheckType`, ['EC2', 'ELB'])) ?? 'EC2') as 'EC2' | 'ELB',
    lifecycleHooks: hooks,
  };
}

function loadBalancerSpec(input: unknown, path: string): LoadBalancerSpec {
  const l = object(input, path);
  knownKeys(l, path, ['name', 'type', 'idleTimeoutSeconds', 'listeners']);
  const type = (optional(l.type, (v) => oneOf(v, `${path}.type`, ['application', 'network'])) ?? 'application') as 'application' | 'network';
  return {
    name: string(l.name, `${path}.name`, /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/, 'a balancer name (1-32 letters, digits, hyphens)'),
    type,
    idleTimeoutSeconds: optional(l.idleTimeoutSeconds, (v) => number(v, `${path}.idleTimeoutSeconds`, 1, 4000)) ?? LOCAL_ELB_DEFAULTS.local.idleTimeoutSeconds,
    listeners: (optional(l.listeners, (v) => array(v, `${path}.listeners`)) ?? []).map((x, i) => {
      const lp = `${path}.listeners[${i}]`;
      const listener = object(x, lp);
      knownKeys(listener, lp, ['port', 'protocol', 'targetGroup']);
      return {
        port: port(listener.port, `${lp}.port`),
        protocol: optional(listener.protocol, (v) => oneOf(v, `${lp}.protocol`, type === 'network' ? ['TCP', 'HTTP'] : ['HTTP'])) ?? (type === 'network' ? 'TCP' : 'HTTP'),
        targetGroup: string(listener.targetGroup, `${lp}.targetGroup`),
      };
    }),
  };
}

function targetGroupSpec(input: unknown, path: string): TargetGroupSpec {
  const t = object(input, path);
  knownKeys(t, path, ['name', 'protocol', 'port', 'healthCheck', 'deregistrationDelaySeconds', 'connectionTermination', 'targets']);
  const protocol = optional(t.protocol, (v) => oneOf(v, `${path}.protocol`, ['HTTP', 'TCP'])) ?? 'HTTP';
  const hcPath = `${path}.healthCheck`;
  const hc = optional(t.healthCheck, (v) => object(v, hcPath)) ?? {};
  knownKeys(hc, hcPath, ['enabled', 'protocol', 'path', 'port', 'intervalSeconds', 'timeoutSeconds', 'healthyThreshold', 'unhealthyThreshold', 'matcher']);
  const hcProtocol = (optional(hc.protocol, (v) => oneOf(v, `${hcPath}.protocol`, ['HTTP', 'TCP'])) ?? protocol) as HealthCheckProtocol;
  return {
    name: string(t.name, `${path}.name`, /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/, 'a target group name (1-32 letters, digits, hyphens)'),
    protocol,
    port: optional(t.port, (v) => port(v, `${path}.port`)) ?? LOCAL_ELB_DEFAULTS.local.instancePort,
    healthCheck: {
      enabled: optional(hc.enabled, (v) => boolean(v, `${hcPath}.enabled`)) ?? true,
      protocol: hcProtocol,
      path: optional(hc.path, (v) => string(v, `${hcPath}.path`, /^\//, 'a path starting with /')) ?? LOCAL_ELB_DEFAULTS.local.healthPath,
      port: optional(hc.port, (v) => (v === 'traffic-port' ? 'traffic-port' : port(v, `${hcPath}.port`))) ?? 'traffic-port',
      matcher: optional(hc.matcher, (v) => string(String(v), `${hcPath}.matcher`, /^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/, 'HTTP codes like 200, 200-299 or 200,302')) ?? '200',
      ...healthTiming(hc, hcPath, LOCAL_ELB_DEFAULTS.local.healthCheck),
    },
    deregistrationDelaySeconds:
      optional(t.deregistrationDelaySeconds, (v) => number(v, `${path}.deregistrationDelaySeconds`, 0, 3600)) ?? LOCAL_ELB_DEFAULTS.local.deregistrationDelaySeconds,
    connectionTermination: optional(t.connectionTermination, (v) => {
      if (protocol !== 'TCP') throw new LocalElbConfigError(`${path}.connectionTermination`, v, `absent for a ${protocol} group (it applies to TCP groups, on an NLB)`);
      return boolean(v, `${path}.connectionTermination`);
    }),
    targets: (optional(t.targets, (v) => array(v, `${path}.targets`)) ?? []).map((x, i) => {
      const tp = `${path}.targets[${i}]`;
      const target = object(x, tp);
      knownKeys(target, tp, ['id', 'port']);
      return { id: instanceId(target.id, `${tp}.id`), port: optional(target.port, (v) => port(v, `${tp}.port`)) };
    }),
  };
}

function healthTiming(
  input: Record<string, unknown>,
  path: string,
  defaults: { intervalSeconds: number; timeoutSeconds: number; healthyThreshold: number; unhealthyThreshold: number },
): Pick<HealthCheckSpec, 'intervalSeconds' | 'timeoutSeconds' | 'healthyThreshold' | 'unhealthyThreshold'> {
  return {
    intervalSeconds: optional(input.intervalSeconds, (v) => number(v, `${path}.intervalSeconds`, 0.05, 300)) ?? defaults.intervalSeconds,
    timeoutSeconds: optional(input.timeoutSeconds, (v) => number(v, `${path}.timeoutSeconds`, 0.05, 120)) ?? defaults.timeoutSeconds,
    healthyThreshold: optional(input.healthyThreshold, (v) => integer(v, `${path}.healthyThreshold`, 1, 10)) ?? defaults.healthyThreshold,
    unhealthyThreshold: optional(input.unhealthyThreshold, (v) => integer(v, `${path}.unhealthyThreshold`, 1, 10)) ?? defaults.unhealthyThreshold,
  };
}

/** `HTTP:3000/ping`, `HTTPS:443/`, `TCP:3000`, `SSL:443` as the Classic API writes a health check target. */
export function parseClassicHealthTarget(target: string): Pick<HealthCheckSpec, 'protocol' | 'port' | 'path'> | undefined {
  const match = /^(HTTP|HTTPS|TCP|SSL):(\d{1,5})(\/[^\s]*)?$/i.exec(target);
  if (!match) return undefined;
  const protocol = match[1]!.toUpperCase() as HealthCheckProtocol;
  const portNumber = Number(match[2]);
  const path = match[3];
  if (portNumber < 1 || portNumber > 65535) return undefined;
  const isHttp = protocol === 'HTTP' || protocol === 'HTTPS';
  if (isHttp !== (path !== undefined)) return undefined; // HTTP(S) needs a path; TCP/SSL must not have one
  return { protocol, port: portNumber, path: path ?? '' };
}

/** `host:port` → validated string; used for config, the CLI flag and setInstanceAddress. */
export function hostPort(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new LocalElbConfigError(field, value, 'a "host:port" string like 127.0.0.1:3001');
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const portNumber = match ? Number(match[2]) : 0;
  if (!match || portNumber < 1 || portNumber > 65535) throw new LocalElbConfigError(field, value, 'a "host:port" string like 127.0.0.1:3001');
  return value;
}

/** Instance ids as EC2 writes them (`i-` and hex), plus readable local ones like `i-local-1`. */
export const INSTANCE_ID_PATTERN = /^i-[0-9A-Za-z][0-9A-Za-z-]{0,39}$/;

export function instanceId(value: unknown, field: string): string {
  return string(value, field, INSTANCE_ID_PATTERN, 'an instance id like i-0123456789abcdef0');
}

// ---- small validators: each names the field and the value ----

function optional<T>(value: unknown, read: (v: unknown) => T): T | undefined {
  return value === undefined || value === null ? undefined : read(value);
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new LocalElbConfigError(field, value, 'an object');
  return value as Record<string, unknown>;
}

function array(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw new LocalElbConfigError(field, value, 'a list');
  return value;
}

function string(value: unknown, field: string, pattern?: RegExp, expected = 'a non-empty string'): string {
  if (typeof value !== 'string' || value.length === 0 || (pattern && !pattern.test(value))) throw new LocalElbConfigError(field, value, expected);
  return value;
}

function oneOf(value: unknown, field: string, allowed: readonly string[]): string {
  const text = typeof value === 'string' ? value.toUpperCase() : value;
  const match = allowed.find((a) => a.toUpperCase() === text);
  if (match === undefined) throw new LocalElbConfigError(field, value, `one of ${allowed.join(', ')}`);
  return match;
}

function number(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new LocalElbConfigError(field, value, `a number from ${min} to ${max}`);
  }
  return value;
}

function integer(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new LocalElbConfigError(field, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

function port(value: unknown, field: string): number {
  return integer(value, field, 1, 65535);
}

function boolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new LocalElbConfigError(field, value, 'true or false');
  return value;
}

function knownKeys(value: Record<string, unknown>, field: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new LocalElbConfigError(`${field}.${key}`, value[key], `absent (unknown key; known: ${allowed.join(', ')})`);
  }
}

function unique(names: string[], field: string, key: string): void {
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (seen.has(name)) throw new LocalElbConfigError(`${field}[${i}].${key}`, name, 'unique');
    seen.add(name);
  });
}
