import { AwsQueryError } from './errors.js';
import type { QueryRequest } from './queryRequest.js';

/**
 * The attribute sets AWS documents for each kind of resource (botocore's elbv2 model, `LoadBalancerAttribute`,
 * `TargetGroupAttribute`, `ListenerAttribute`), with their defaults and value rules. A key outside the set of a
 * resource's kind is "not recognized", as AWS answers it; a value outside its rule is a ValidationError naming both.
 */
interface AttributeRule {
  /** The value a new resource has. */
  initial: string;
  check(value: string): boolean;
  /** What the value must be, for the error message. */
  expected: string;
}
export type AttributeCatalog = Readonly<Record<string, AttributeRule>>;

const bool = (initial: 'true' | 'false'): AttributeRule => ({ initial, check: (v) => v === 'true' || v === 'false', expected: "'true' or 'false'" });
const oneOf = (initial: string, values: readonly string[]): AttributeRule => ({ initial, check: (v) => values.includes(v), expected: `one of ${values.join(', ')}` });
const range = (initial: string, min: number, max: number, alsoZero = false): AttributeRule => ({
  initial,
  check: (v) => /^\d{1,7}$/.test(v) && ((alsoZero && Number(v) === 0) || (Number(v) >= min && Number(v) <= max)),
  expected: `${alsoZero ? '0 or ' : ''}an integer from ${min} to ${max}`,
});
const text = (initial: string, maxLength: number, check: (v: string) => boolean = () => true, expected = `a string of at most ${maxLength} characters`): AttributeRule => ({
  initial,
  check: (v) => v.length <= maxLength && check(v),
  expected,
});
const countOrOff = (initial: string, allowOff: boolean): AttributeRule => ({
  initial,
  check: (v) => (allowOff && v === 'off') || (/^\d{1,5}$/.test(v) && Number(v) >= 1),
  expected: allowOff ? "'off' or an integer of at least 1" : 'an integer of at least 1',
});
const percentOrOff: AttributeRule = { initial: 'off', check: (v) => v === 'off' || (/^\d{1,3}$/.test(v) && Number(v) >= 1 && Number(v) <= 100), expected: "'off' or an integer from 1 to 100" };
const bucketName = (v: string): boolean => v === '' || /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v);
const s3Logs = (prefix: string): Record<string, AttributeRule> => ({
  [`${prefix}.s3.enabled`]: bool('false'),
  [`${prefix}.s3.bucket`]: text('', 63, bucketName, 'an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)'),
  [`${prefix}.s3.prefix`]: text('', 1024, (v) => !v.startsWith('/') && !v.includes('AWSLogs'), "a prefix that neither starts with '/' nor contains 'AWSLogs'"),
});

const SHARED_LOAD_BALANCER: Record<string, AttributeRule> = {
  'deletion_protection.enabled': bool('false'),
  ...s3Logs('access_logs'),
  'zonal_shift.config.enabled': bool('false'),
};

export function loadBalancerCatalog(type: 'application' | 'network', scheme: 'internet-facing' | 'internal', idleTimeoutSeconds: number): AttributeCatalog {
  const ipv6 = bool(scheme === 'internal' ? 'true' : 'false');
  if (type === 'network') {
    return {
      ...SHARED_LOAD_BALANCER,
      'load_balancing.cross_zone.enabled': bool('false'),
      'ipv6.deny_all_igw_traffic': ipv6,
      'dns_record.client_routing_policy': oneOf('any_availability_zone', ['availability_zone_affinity', 'partial_availability_zone_affinity', 'any_availability_zone']),
      'secondary_ips.auto_assigned.per_subnet': range('0', 0, 7),
    };
  }
  return {
    ...SHARED_LOAD_BALANCER,
    // "The default for Application Load Balancers is true, and can't be changed."
    'load_balancing.cross_zone.enabled': { initial: 'true', check: (v) => v === 'true', expected: "'true' (cross-zone load balancing is always on for an Application Load Balancer)" },
    'ipv6.deny_all_igw_traffic': ipv6,
    'idle_timeout.timeout_seconds': range(String(idleTimeoutSeconds), 1, 4000),
    'client_keep_alive.seconds': range('3600', 60, 604800),
    ...s3Logs('connection_logs'),
    ...s3Logs('health_check_logs'),
    'routing.http.desync_mitigation_mode': oneOf('defensive', ['monitor', 'defensive', 'strictest']),
    'routing.http.drop_invalid_header_fields.enabled': bool('false'),
    'routing.http.preserve_host_header.enabled': bool('false'),
    'routing.http.x_amzn_tls_version_and_cipher_suite.enabled': bool('false'),
    'routing.http.xff_client_port.enabled': bool('false'),
    'routing.http.xff_header_processing.mode': oneOf('append', ['append', 'preserve', 'remove']),
    'routing.http2.enabled': bool('true'),
    'waf.fail_open.enabled': bool('false'),
  };
}

const HEALTH_THRESHOLDS: Record<string, AttributeRule> = {
  'load_balancing.cross_zone.enabled': oneOf('use_load_balancer_configuration', ['true', 'false', 'use_load_balancer_configuration']),
  'target_group_health.dns_failover.minimum_healthy_targets.count': countOrOff('1', true),
  'target_group_health.dns_failover.minimum_healthy_targets.percentage': percentOrOff,
  'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count': countOrOff('1', false),
  'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage': percentOrOff,
};

/** An HTTP/HTTPS group is an ALB's; TCP, TLS, UDP and TCP_UDP groups are an NLB's (each kind has its own set). */
export function isLayer7Protocol(protocol: string): boolean {
  return protocol === 'HTTP' || protocol === 'HTTPS';
}

export function targetGroupCatalog(protocol: string, targetType: 'instance' | 'ip', deregistrationDelaySeconds: number): AttributeCatalog {
  const delay = range(String(deregistrationDelaySeconds), 0, 3600);
  if (isLayer7Protocol(protocol)) {
    return {
      'deregistration_delay.timeout_seconds': delay,
      'stickiness.enabled': bool('false'),
      'stickiness.type': oneOf('lb_cookie', ['lb_cookie', 'app_cookie']),
      'stickiness.lb_cookie.duration_seconds': range('86400', 1, 604800),
      'stickiness.app_cookie.cookie_name': text('', 128, (v) => !/^AWSALB(APP|TG)?/i.test(v) && /^[A-Za-z0-9!#$%&'*+\-.^_`|~]*$/.test(v), 'a cookie name not starting with AWSALB, AWSALBAPP or AWSALBTG'),
      'stickiness.app_cookie.duration_seconds': range('86400', 1, 604800),
      'slow_start.duration_seconds': range('0', 30, 900, true),
      'load_balancing.algorithm.type': oneOf('round_robin', ['round_robin', 'least_outstanding_requests', 'weighted_random']),
      'load_balancing.algorithm.anomaly_mitigation': oneOf('off', ['on', 'off']),
      ...HEALTH_THRESHOLDS,
    };
  }
  const udp = protocol === 'UDP' || protocol === 'TCP_UDP';
  return {
    'deregistration_delay.timeout_seconds': delay,
    'deregistration_delay.connection_termination.enabled': bool(udp ? 'true' : 'false'),
    'stickiness.enabled': bool('false'),
    'stickiness.type': oneOf('source_ip', ['source_ip']),
    'preserve_client_ip.enabled': udp ? { initial: 'true', check: (v) => v === 'true', expected: "'true' (client IP preservation can't be disabled for UDP and TCP_UDP)" } : bool(targetType === 'ip' ? 'false' : 'true'),
    'proxy_protocol_v2.enabled': bool('false'),
    'target_health_state.unhealthy.connection_termination.enabled': udp ? { initial: 'true', check: (v) => v === 'true', expected: "'true' (UDP and TCP_UDP groups)" } : bool('true'),
    'target_health_state.unhealthy.draining_interval_seconds': range('0', 0, 360000),
    ...HEALTH_THRESHOLDS,
  };
}

const HEADER_NAME: AttributeRule = { initial: '', check: (v) => /^[A-Za-z0-9-]{0,40}$/.test(v), expected: 'an HTTP header name (letters, digits and hyphens, at most 40)' };
const HEADER_VALUE = text('', 1024);

export function listenerCatalog(type: 'application' | 'network'): AttributeCatalog {
  if (type === 'network') return { 'tcp.idle_timeout.seconds': range('350', 60, 6000) };
  const names = ['x_amzn_mtls_clientcert_serial_number', 'x_amzn_mtls_clientcert_issuer', 'x_amzn_mtls_clientcert_subject', 'x_amzn_mtls_clientcert_validity', 'x_amzn_mtls_clientcert_leaf', 'x_amzn_mtls_clientcert', 'x_amzn_tls_version', 'x_amzn_tls_cipher_suite'];
  const values = ['strict_transport_security', 'access_control_allow_origin', 'access_control_allow_methods', 'access_control_allow_headers', 'access_control_allow_credentials', 'access_control_expose_headers', 'access_control_max_age', 'content_security_policy', 'x_content_type_options', 'x_frame_options'];
  return {
    ...Object.fromEntries(names.map((n) => [`routing.http.request.${n}.header_name`, { ...HEADER_NAME, initial: n.split('_').map((p) => p[0]!.toUpperCase() + p.slice(1)).join('-') }])),
    'routing.http.response.server.enabled': bool('true'),
    ...Object.fromEntries(values.map((n) => [`routing.http.response.${n}.header_value`, HEADER_VALUE])),
  };
}

export function initialAttributes(catalog: AttributeCatalog): Map<string, string> {
  return new Map(Object.entries(catalog).map(([key, rule]) => [key, rule.initial]));
}

export interface AttributeChange {
  key: string;
  value: string;
}

/**
 * Reads `Attributes.member.N.{Key,Value}` and validates every change against the catalog, then the resulting set as
 * a whole (`crossCheck`), before any is applied: a rejected call changes nothing.
 */
export function readAttributeChanges(
  params: QueryRequest,
  owner: 'Load balancer' | 'Target group' | 'Listener',
  catalog: AttributeCatalog,
  current: ReadonlyMap<string, string>,
  crossCheck: (after: ReadonlyMap<string, string>, changed: ReadonlySet<string>) => void = () => undefined,
): AttributeChange[] {
  const changes = params.structList('Attributes', (item) => ({ key: item.string('Key', { required: true, maxLength: 256 }), value: item.string('Value', { maxLength: 1024 }) ?? '' }), { required: true, maxItems: 20 });
  const after = new Map(current);
  for (const { key, value } of changes) {
    const rule = catalog[key];
    if (!rule) throw new AwsQueryError('ValidationError', `${owner} attribute key '${key}' is not recognized`);
    if (!rule.check(value)) throw new AwsQueryError('ValidationError', `'${value}' is not a valid value for ${owner.toLowerCase()} attribute '${key}': expected ${rule.expected}`);
    after.set(key, value);
  }
  crossCheck(after, new Set(changes.map((c) => c.key)));
  return changes;
}

/** Logs enabled without a bucket: AWS refuses ("This attribute is required if access logs are enabled"). */
export function checkLogBuckets(after: ReadonlyMap<string, string>): void {
  for (const kind of ['access_logs', 'connection_logs', 'health_check_logs']) {
    if (after.get(`${kind}.s3.enabled`) === 'true' && !after.get(`${kind}.s3.bucket`)) {
      throw new AwsQueryError('InvalidConfigurationRequest', `'${kind}.s3.bucket' is required when '${kind}.s3.enabled' is true`);
    }
  }
}

export function checkLoadBalancerAttributes(current: ReadonlyMap<string, string>) {
  return (after: ReadonlyMap<string, string>): void => {
    checkLogBuckets(after);
    const before = Number(current.get('secondary_ips.auto_assigned.per_subnet') ?? 0);
    if (Number(after.get('secondary_ips.auto_assigned.per_subnet') ?? 0) < before) {
      throw new AwsQueryError('InvalidConfigurationRequest', "'secondary_ips.auto_assigned.per_subnet' can't be decreased");
    }
  };
}

export function checkTargetGroupAttributes(after: ReadonlyMap<string, string>): void {
  if (after.get('load_balancing.algorithm.anomaly_mitigation') === 'on' && after.get('load_balancing.algorithm.type') !== 'weighted_random') {
    throw new AwsQueryError('InvalidConfigurationRequest', "'load_balancing.algorithm.anomaly_mitigation' can be 'on' only when 'load_balancing.algorithm.type' is 'weighted_random'");
  }
  if (after.get('stickiness.enabled') === 'true' && after.get('stickiness.type') === 'app_cookie' && !after.get('stickiness.app_cookie.cookie_name')) {
    throw new AwsQueryError('InvalidConfigurationRequest', "'stickiness.app_cookie.cookie_name' is required for app_cookie stickiness");
  }
  if (after.get('slow_start.duration_seconds') !== '0' && after.get('load_balancing.algorithm.type') === 'least_outstanding_requests') {
    throw new AwsQueryError('InvalidConfigurationRequest', 'Slow start cannot be combined with the least_outstanding_requests algorithm');
  }
  if (after.get('target_health_state.unhealthy.draining_interval_seconds') !== undefined && after.get('target_health_state.unhealthy.draining_interval_seconds') !== '0' && after.get('target_health_state.unhealthy.connection_termination.enabled') !== 'false') {
    throw new AwsQueryError('InvalidConfigurationRequest', "'target_health_state.unhealthy.draining_interval_seconds' can be set only when 'target_health_state.unhealthy.connection_termination.enabled' is false");
  }
}
