import { isLayer7Protocol } from './attributes.js';
import { AwsQueryError } from './errors.js';
import type { QueryRequest } from './queryRequest.js';
import type { LoadBalancerV2 } from './resources.js';
import { parseCidr, type RuleAction, type RuleCondition } from './rules.js';
import { LOCAL_ELB_LIMITS, type LocalElbStore } from './store.js';

/**
 * Reads listener actions (`DefaultActions` / `Actions`) and rule conditions from a Query request, with the rules
 * of the ELBv2 API reference (Action, RuleCondition and their configs). Target groups are resolved here, so an
 * unknown ARN is TargetGroupNotFound and a group of the wrong protocol family IncompatibleProtocols.
 */
const ACTION_TYPES = ['forward', 'authenticate-oidc', 'authenticate-cognito', 'redirect', 'fixed-response', 'jwt-validation'] as const;
const CONTENT_TYPES = ['text/plain', 'text/css', 'text/html', 'application/javascript', 'application/json'];

export function readActions(params: QueryRequest, name: 'Actions' | 'DefaultActions', store: LocalElbStore, lb: LoadBalancerV2): RuleAction[] {
  const actions = params.structList(name, (item) => readAction(item, store, lb), { required: true });
  if (actions.length === 0) throw params.invalid(name, null, 'Member must have length greater than or equal to 1');
  const terminal = actions.filter((a) => a.type === 'forward' || a.type === 'redirect' || a.type === 'fixed-response');
  if (terminal.length !== 1) throw new AwsQueryError('InvalidLoadBalancerAction', 'Exactly one forward, redirect or fixed-response action must be given');
  if (actions.length > 1) throw new AwsQueryError('TooManyActions', 'Only one action can be given: the local ELB serves no authenticate actions');
  return actions;
}

function readAction(item: QueryRequest, store: LocalElbStore, lb: LoadBalancerV2): RuleAction {
  const type = item.string('Type', { required: true, oneOf: ACTION_TYPES });
  const order = item.integer('Order', { min: 1, max: 50000 });
  if (type === 'authenticate-oidc' || type === 'authenticate-cognito' || type === 'jwt-validation') {
    throw new AwsQueryError('InvalidLoadBalancerAction', `'${type}' actions are supported only on HTTPS listeners (the local ELB serves HTTP)`);
  }
  if (lb.type === 'network' && type !== 'forward') throw new AwsQueryError('InvalidLoadBalancerAction', `A Network Load Balancer listener supports only 'forward' actions, not '${type}'`);
  if (type === 'forward') return readForward(item, order, store, lb);
  if (type === 'redirect') {
    const config = item.struct('RedirectConfig');
    if (!config) throw new AwsQueryError('InvalidLoadBalancerAction', "A 'redirect' action needs a RedirectConfig");
    const redirect: RuleAction = {
      type: 'redirect',
      order,
      protocol: config.string('Protocol', { pattern: /^(HTTPS?|#\{protocol\})$/i }) ?? '#{protocol}',
      port: config.string('Port', { pattern: /^((6553[0-5]|655[0-2]\d|65[0-4]\d\d|6[0-4]\d{3}|[1-5]\d{4}|[1-9]\d{0,3})|#\{port\})$/ }) ?? '#{port}',
      host: config.string('Host', { minLength: 1, maxLength: 128 }) ?? '#{host}',
      path: config.string('Path', { minLength: 1, maxLength: 128, pattern: /^\// }) ?? '/#{path}',
      query: config.string('Query', { maxLength: 128 }) ?? '#{query}',
      statusCode: config.string('StatusCode', { required: true, oneOf: ['HTTP_301', 'HTTP_302'] }) as 'HTTP_301' | 'HTTP_302',
    };
    if (redirect.protocol.toLowerCase() === '#{protocol}' && redirect.port === '#{port}' && redirect.host === '#{host}' && redirect.path === '/#{path}' && redirect.query === '#{query}') {
      throw new AwsQueryError('InvalidLoadBalancerAction', 'A redirect must change at least one of protocol, port, host, path or query (it would redirect to itself)');
    }
    return redirect;
  }
  const config = item.struct('FixedResponseConfig');
  if (!config) throw new AwsQueryError('InvalidLoadBalancerAction', "A 'fixed-response' action needs a FixedResponseConfig");
  return {
    type: 'fixed-response',
    order,
    statusCode: config.string('StatusCode', { required: true, pattern: /^(2|4|5)\d\d$/ }),
    contentType: config.string('ContentType', { oneOf: CONTENT_TYPES }),
    messageBody: config.string('MessageBody', { maxLength: 1024 }),
  };
}

function readForward(item: QueryRequest, order: number | undefined, store: LocalElbStore, lb: LoadBalancerV2): RuleAction {
  const direct = item.string('TargetGroupArn');
  const config = item.struct('ForwardConfig');
  const listed = config?.structList('TargetGroups', (t) => ({ arn: t.string('TargetGroupArn', { required: true }), weight: t.integer('Weight', { min: 0, max: 999 }) ?? 1 })) ?? [];
  if (direct !== undefined && listed.length > 0 && (listed.length !== 1 || listed[0]!.arn !== direct)) {
    throw new AwsQueryError('InvalidLoadBalancerAction', 'TargetGroupArn and ForwardConfig must name the same single target group when both are given');
  }
  const chosen = listed.length > 0 ? listed : direct !== undefined ? [{ arn: direct, weight: 1 }] : [];
  if (chosen.length === 0) throw new AwsQueryError('InvalidLoadBalancerAction', "A 'forward' action needs a TargetGroupArn or ForwardConfig.TargetGroups");
  if (new Set(chosen.map((c) => c.arn)).size !== chosen.length) throw new AwsQueryError('InvalidLoadBalancerAction', 'A target group can appear only once in a forward action');
  const limit = lb.type === 'network' ? 1 : LOCAL_ELB_LIMITS.targetGroupsPerAction;
  if (chosen.length > limit) throw new AwsQueryError('TooManyUniqueTargetGroupsPerLoadBalancer', `A forward action on a ${lb.type} load balancer takes at most ${limit} target group(s)`);
  const targetGroups = chosen.map((c) => {
    const targetGroup = store.getTargetGroup(c.arn);
    if (isLayer7Protocol(targetGroup.protocol) !== (lb.type === 'application')) {
      throw new AwsQueryError('IncompatibleProtocols', `Target group '${targetGroup.name}' (${targetGroup.protocol}) cannot be used with a ${lb.type} load balancer`);
    }
    return { targetGroup, weight: c.weight };
  });
  const sticky = config?.struct('TargetGroupStickinessConfig');
  const enabled = sticky?.boolean('Enabled') ?? false;
  const durationSeconds = sticky?.integer('DurationSeconds', { min: 1, max: 604800 });
  if (enabled && durationSeconds === undefined) throw new AwsQueryError('ValidationError', 'TargetGroupStickinessConfig.DurationSeconds is required when stickiness is enabled');
  return { type: 'forward', order, targetGroups, stickiness: { enabled, durationSeconds } };
}

const FIELDS = ['http-header', 'http-request-method', 'host-header', 'path-pattern', 'query-string', 'source-ip'] as const;
const ONCE_PER_RULE = new Set(['http-request-method', 'host-header', 'path-pattern', 'source-ip']);
const PATH_VALUE = /^[A-Za-z0-9_\-.$/~"'@:+&*?]{1,128}$/;
const HOST_VALUE = /^[A-Za-z0-9\-.*?]{1,128}$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,40}$/;
const METHOD = /^[A-Z_-]{1,40}$/;
/** AWS: at most 5 condition values per rule (condition-values-per-alb-rule), 5 wildcards (condition-wildcards-per-alb-rule). */
const MAX_VALUES_PER_RULE = 5;

export function readConditions(params: QueryRequest, required: boolean): RuleCondition[] | undefined {
  const conditions = params.structList('Conditions', readCondition, { required });
  if (!conditions) return undefined;
  const seen = new Set<string>();
  for (const c of conditions) {
    if (ONCE_PER_RULE.has(c.field) && seen.has(c.field)) throw new AwsQueryError('ValidationError', `A rule can have only one '${c.field}' condition`);
    seen.add(c.field);
  }
  const values = conditions.reduce((n, c) => n + c.values.length, 0);
  if (values > MAX_VALUES_PER_RULE) throw new AwsQueryError('ValidationError', `A rule can have at most ${MAX_VALUES_PER_RULE} condition values, got ${values}`);
  const wildcards = conditions.flatMap((c) => c.values.map((v) => (typeof v === 'string' ? v : `${v.key ?? ''}${v.value}`))).join('').replace(/[^*?]/g, '').length;
  if (wildcards > MAX_VALUES_PER_RULE) throw new AwsQueryError('ValidationError', `A rule can have at most ${MAX_VALUES_PER_RULE} wildcards, got ${wildcards}`);
  return conditions;
}

function readCondition(item: QueryRequest): RuleCondition {
  const field = item.string('Field', { required: true, oneOf: FIELDS });
  const legacy = item.stringList('Values');
  const values = (config: string, pattern: RegExp): string[] => {
    const fromConfig = item.struct(config)?.stringList('Values');
    const chosen = fromConfig ?? legacy;
    if (!chosen || chosen.length === 0) throw item.invalid(`${config}.Values`, null, 'Member must have length greater than or equal to 1');
    const bad = chosen.find((v) => !pattern.test(v));
    if (bad !== undefined) throw item.invalid(`${config}.Values`, bad, `Member must match ${pattern.source}`);
    return chosen;
  };
  if (legacy && field !== 'path-pattern' && field !== 'host-header') throw item.invalid('Values', null, `Values can be given only for host-header and path-pattern; use the ${field} config`);
  switch (field) {
    case 'path-pattern':
      return { field, values: values('PathPatternConfig', PATH_VALUE), legacy: legacy !== undefined };
    case 'host-header':
      return { field, values: values('HostHeaderConfig', HOST_VALUE), legacy: legacy !== undefined };
    case 'http-header': {
      const config = item.struct('HttpHeaderConfig', { required: true });
      return { field, name: config.string('HttpHeaderName', { required: true, pattern: HEADER_NAME }), values: values('HttpHeaderConfig', /^.{1,128}$/s) };
    }
    case 'http-request-method':
      return { field, values: values('HttpRequestMethodConfig', METHOD) };
    case 'source-ip': {
      const cidrs = values('SourceIpConfig', /^[0-9a-fA-F:./]{1,64}$/);
      const bad = cidrs.find((c) => parseCidr(c) === undefined);
      if (bad !== undefined) throw item.invalid('SourceIpConfig.Values', bad, 'Member must be an IPv4 CIDR block (a.b.c.d/n)');
      return { field, values: cidrs };
    }
    case 'query-string': {
      const pairs = item.struct('QueryStringConfig', { required: true }).structList('Values', (p) => ({ key: p.string('Key', { minLength: 1, maxLength: 128 }), value: p.string('Value', { required: true, minLength: 1, maxLength: 128 }) }), { required: true });
      if (pairs.length === 0) throw item.invalid('QueryStringConfig.Values', null, 'Member must have length greater than or equal to 1');
      return { field, values: pairs };
    }
    default:
      throw item.invalid('Field', field, `Member must satisfy enum value set: [${FIELDS.join(', ')}]`);
  }
}
