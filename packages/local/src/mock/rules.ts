import { isIPv4 } from 'node:net';
import type { TargetGroup } from './resources.js';

/**
 * Listener rules as ALBs evaluate them: the rules of a listener in priority order (lowest first), the first whose
 * conditions all match decides; none matching → the default actions. Within a condition, values are alternatives.
 * Wildcards: `*` any run of characters, `?` exactly one. Path patterns are case-sensitive and match the path only;
 * host, header values and query strings match case-insensitively (as the ALB documentation states).
 */
export type RuleAction =
  | { type: 'forward'; order: number | undefined; targetGroups: Array<{ targetGroup: TargetGroup; weight: number }>; stickiness: { enabled: boolean; durationSeconds: number | undefined } }
  | { type: 'redirect'; order: number | undefined; protocol: string; port: string; host: string; path: string; query: string; statusCode: 'HTTP_301' | 'HTTP_302' }
  | { type: 'fixed-response'; order: number | undefined; statusCode: string; contentType: string | undefined; messageBody: string | undefined };

export type RuleCondition =
  | { field: 'path-pattern' | 'host-header'; values: string[]; legacy: boolean }
  | { field: 'http-header'; name: string; values: string[] }
  | { field: 'http-request-method'; values: string[] }
  | { field: 'query-string'; values: Array<{ key: string | undefined; value: string }> }
  | { field: 'source-ip'; values: string[] };

/** What a rule sees of a request. */
export interface RequestView {
  method: string;
  host: string;
  path: string;
  query: Array<[string, string]>;
  headers: Record<string, string | string[] | undefined>;
  sourceIp: string;
  port: number;
}

export class ListenerRule {
  readonly arn: string;
  /** undefined for the default rule (its actions are the listener's default actions). */
  priority: number | undefined;
  conditions: RuleCondition[];
  actions: RuleAction[];
  readonly tags = new Map<string, string>();
  private compiled: Array<(req: RequestView) => boolean>;

  constructor(arn: string, priority: number | undefined, conditions: RuleCondition[], actions: RuleAction[]) {
    this.arn = arn;
    this.priority = priority;
    this.conditions = conditions;
    this.actions = actions;
    this.compiled = conditions.map(compileCondition);
  }

  update(conditions: RuleCondition[] | undefined, actions: RuleAction[] | undefined): void {
    if (conditions) {
      this.conditions = conditions;
      this.compiled = conditions.map(compileCondition);
    }
    if (actions) this.actions = actions;
  }

  matches(req: RequestView): boolean {
    return this.compiled.every((test) => test(req));
  }
}

/** The action that ends a request: the last one in `Order` (the authenticate actions that would precede it are not served). */
export function finalAction(actions: readonly RuleAction[]): RuleAction | undefined {
  return [...actions].sort((a, b) => (a.order ?? 50001) - (b.order ?? 50001)).at(-1);
}

export function targetGroupsOf(actions: readonly RuleAction[]): TargetGroup[] {
  return actions.flatMap((a) => (a.type === 'forward' ? a.targetGroups.map((t) => t.targetGroup) : []));
}

/** `#{protocol}`, `#{host}`, `#{port}`, `#{path}`, `#{query}` replaced by the request's own parts, as ALB redirects do. */
export function redirectLocation(action: Extract<RuleAction, { type: 'redirect' }>, req: RequestView): string {
  const query = req.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  const fill = (template: string): string =>
    template
      .replaceAll('#{protocol}', 'http')
      .replaceAll('#{host}', req.host)
      .replaceAll('#{port}', String(req.port))
      .replaceAll('#{path}', req.path.replace(/^\//, ''))
      .replaceAll('#{query}', query);
  const protocol = fill(action.protocol).toLowerCase();
  const port = fill(action.port);
  const defaultPort = (protocol === 'https' && port === '443') || (protocol === 'http' && port === '80');
  const path = fill(action.path);
  const q = fill(action.query);
  return `${protocol}://${fill(action.host)}${defaultPort ? '' : `:${port}`}${path.startsWith('/') ? path : `/${path}`}${q ? `?${q}` : ''}`;
}

export function wildcard(pattern: string, caseInsensitive: boolean): RegExp {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${source}$`, caseInsensitive ? 'is' : 's');
}

function compileCondition(condition: RuleCondition): (req: RequestView) => boolean {
  switch (condition.field) {
    case 'path-pattern': {
      const patterns = condition.values.map((v) => wildcard(v, false));
      return (req) => patterns.some((p) => p.test(req.path));
    }
    case 'host-header': {
      const patterns = condition.values.map((v) => wildcard(v, true));
      return (req) => patterns.some((p) => p.test(req.host));
    }
    case 'http-header': {
      const name = condition.name.toLowerCase();
      const patterns = condition.values.map((v) => wildcard(v, true));
      return (req) => {
        const header = req.headers[name];
        const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
        return values.some((value) => patterns.some((p) => p.test(value)));
      };
    }
    case 'http-request-method': {
      const methods = new Set(condition.values);
      return (req) => methods.has(req.method);
    }
    case 'query-string': {
      const pairs = condition.values.map((v) => ({ key: v.key === undefined ? undefined : wildcard(v.key, true), value: wildcard(v.value, true) }));
      return (req) => pairs.some((pair) => req.query.some(([k, v]) => (pair.key === undefined || pair.key.test(k)) && pair.value.test(v)));
    }
    case 'source-ip': {
      const ranges = condition.values.map(parseCidr);
      return (req) => {
        const ip = req.sourceIp.replace(/^::ffff:/, '');
        if (!isIPv4(ip)) return false;
        const n = ipv4ToInt(ip);
        return ranges.some((r) => r !== undefined && (n & r.mask) >>> 0 === r.base);
      };
    }
  }
}

export function parseCidr(text: string): { base: number; mask: number } | undefined {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text);
  if (!match || !isIPv4(match[1]!) || Number(match[2]) > 32) return undefined;
  const bits = Number(match[2]);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (ipv4ToInt(match[1]!) & mask) >>> 0, mask };
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);
}
