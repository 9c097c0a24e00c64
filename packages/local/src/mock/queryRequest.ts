import { AwsQueryError } from './errors.js';

/**
 * Typed access to an AWS Query API request (`application/x-www-form-urlencoded`), as the ELB APIs receive it:
 * scalars `Name=v`, structs `Name.Field=v`, lists `Name.member.N` (N from 1) whose items may be structs
 * (`Name.member.N.Field`), and the JS SDK's empty-list marker `Name=`. Parameter order is not guaranteed.
 *
 * Every accessor validates and throws an AWS `ValidationError` whose message names the parameter the way AWS
 * does (lower camel case path, `targets.1.member.port`), so a client sees the same error as against AWS.
 */
export class QueryRequest {
  /** Keys relative to this accessor's prefix. */
  private readonly params: ReadonlyMap<string, string>;
  /** The AWS-style path of this accessor, for messages (`healthCheck`, `targets.2.member`). */
  private readonly path: string;

  private constructor(params: ReadonlyMap<string, string>, path: string) {
    this.params = params;
    this.path = path;
  }

  /** Never throws: URLSearchParams tolerates broken percent escapes and stray separators. */
  static parse(body: string): QueryRequest {
    const params = new Map<string, string>();
    for (const [key, value] of new URLSearchParams(body)) {
      // The first occurrence wins; a repeated key is a client bug AWS does not report either.
      if (!params.has(key)) params.set(key, value);
    }
    return new QueryRequest(params, '');
  }

  /** A raw value without validation (Action, Version: their absence has its own AWS error). */
  raw(name: string): string | undefined {
    return this.params.get(name);
  }

  /** Every parameter as received, unvalidated (for logging what a call named, even a call that fails). */
  rawEntries(): IterableIterator<[string, string]> {
    return this.params.entries();
  }

  string(name: string, rules: StringRules & { required: true }): string;
  string(name: string, rules?: StringRules): string | undefined;
  string(name: string, rules: StringRules = {}): string | undefined {
    const value = this.params.get(name);
    if (value === undefined) {
      if (rules.required) throw this.invalid(name, null, 'Member must not be null');
      return undefined;
    }
    if (rules.minLength !== undefined && value.length < rules.minLength) {
      throw this.invalid(name, value, `Member must have length greater than or equal to ${rules.minLength}`);
    }
    if (rules.maxLength !== undefined && value.length > rules.maxLength) {
      throw this.invalid(name, value, `Member must have length less than or equal to ${rules.maxLength}`);
    }
    if (rules.oneOf && !rules.oneOf.includes(value)) {
      throw this.invalid(name, value, `Member must satisfy enum value set: [${rules.oneOf.join(', ')}]`);
    }
    if (rules.pattern && !rules.pattern.test(value)) {
      throw this.invalid(name, value, `Member must satisfy regular expression pattern: ${rules.pattern.source}`);
    }
    return value;
  }

  integer(name: string, rules: IntegerRules & { required: true }): number;
  integer(name: string, rules?: IntegerRules): number | undefined;
  integer(name: string, rules: IntegerRules = {}): number | undefined {
    const text = this.params.get(name);
    if (text === undefined) {
      if (rules.required) throw this.invalid(name, null, 'Member must not be null');
      return undefined;
    }
    if (!/^-?\d{1,10}$/.test(text.trim())) throw this.invalid(name, text, 'Member must be an integer');
    const value = Number(text.trim());
    if (rules.min !== undefined && value < rules.min) {
      throw this.invalid(name, text, `Member must have value greater than or equal to ${rules.min}`);
    }
    if (rules.max !== undefined && value > rules.max) {
      throw this.invalid(name, text, `Member must have value less than or equal to ${rules.max}`);
    }
    return value;
  }

  boolean(name: string, rules: { required: true }): boolean;
  boolean(name: string, rules?: { required?: boolean }): boolean | undefined;
  boolean(name: string, rules: { required?: boolean } = {}): boolean | undefined {
    const text = this.params.get(name);
    if (text === undefined) {
      if (rules.required) throw this.invalid(name, null, 'Member must not be null');
      return undefined;
    }
    const lower = text.trim().toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    throw this.invalid(name, text, 'Member must be a boolean (true or false)');
  }

  /** A struct parameter (`Name.Field`), or undefined when no key of it is present. */
  struct(name: string, rules: { required: true }): QueryRequest;
  struct(name: string, rules?: { required?: boolean }): QueryRequest | undefined;
  struct(name: string, rules: { required?: boolean } = {}): QueryRequest | undefined {
    const prefix = `${name}.`;
    const scoped = new Map<string, string>();
    for (const [key, value] of this.params) if (key.startsWith(prefix)) scoped.set(key.slice(prefix.length), value);
    if (scoped.size === 0) {
      if (rules.required) throw this.invalid(name, null, 'Member must not be null');
      return undefined;
    }
    return new QueryRequest(scoped, this.pathOf(name));
  }

  /** A list of strings (`Name.member.N`); `Name=` alone is the empty list. */
  stringList(name: string, rules: ListRules & { required: true }): string[];
  stringList(name: string, rules?: ListRules): string[] | undefined;
  stringList(name: string, rules: ListRules = {}): string[] | undefined {
    const items = this.listItems(name, rules);
    if (items === undefined) return undefined;
    return items.map(([index, entry]) => {
      const value = entry.get('');
      if (value === undefined || entry.size !== 1) {
        throw this.invalid(`${name}.member.${index}`, null, 'Member must be a string');
      }
      return value;
    });
  }

  /** A list of structs (`Name.member.N.Field`), each read with its own scoped accessor. */
  structList<T>(name: string, read: (item: QueryRequest) => T, rules: ListRules & { required: true }): T[];
  structList<T>(name: string, read: (item: QueryRequest) => T, rules?: ListRules): T[] | undefined;
  structList<T>(name: string, read: (item: QueryRequest) => T, rules: ListRules = {}): T[] | undefined {
    const items = this.listItems(name, rules);
    if (items === undefined) return undefined;
    return items.map(([index, entry]) => {
      if (entry.has('')) throw this.invalid(`${name}.member.${index}`, entry.get(''), 'Member must be a structure');
      const fields = new Map<string, string>();
      for (const [key, value] of entry) fields.set(key.slice(1), value);
      return read(new QueryRequest(fields, `${this.pathOf(name)}.${index}.member`));
    });
  }

  /** A ValidationError naming `name` (relative to this accessor) the way AWS does. */
  invalid(name: string, value: string | null | undefined, constraint: string): AwsQueryError {
    const shown = value === null || value === undefined ? 'null' : `'${value.length > 100 ? `${value.slice(0, 100)}…` : value}'`;
    return new AwsQueryError(
      'ValidationError',
      `1 validation error detected: Value ${shown} at '${this.pathOf(name)}' failed to satisfy constraint: ${constraint}`,
    );
  }

  /**
   * Groups `Name.member.N[.rest]` by N and checks the indexes run 1..n without gaps; anything else under
   * `Name.` is a broken list. Returns entries keyed by the rest ('' for a scalar item, '.Field' for a struct).
   */
  private listItems(name: string, rules: ListRules): Array<[number, Map<string, string>]> | undefined {
    const prefix = `${name}.`;
    const byIndex = new Map<number, Map<string, string>>();
    for (const [key, value] of this.params) {
      if (!key.startsWith(prefix)) continue;
      const match = /^member\.([1-9]\d{0,5})((?:\.[A-Za-z0-9_.]+)?)$/.exec(key.slice(prefix.length));
      if (!match) throw this.invalid(key, value, `Member must be a list item ${name}.member.N with N from 1`);
      const index = Number(match[1]);
      let entry = byIndex.get(index);
      if (!entry) byIndex.set(index, (entry = new Map()));
      entry.set(match[2] ?? '', value);
    }
    if (byIndex.size === 0) {
      // `Name=` (the SDK's empty list) and an absent list differ only for required lists.
      if (this.params.has(name)) return [];
      if (rules.required) throw this.invalid(name, null, 'Member must not be null');
      return undefined;
    }
    for (let index = 1; index <= byIndex.size; index += 1) {
      if (!byIndex.has(index)) throw this.invalid(`${name}.member.${index}`, null, 'Member must not be null (list indexes must run from 1 without gaps)');
    }
    if (rules.maxItems !== undefined && byIndex.size > rules.maxItems) {
      throw this.invalid(name, `${byIndex.size} items`, `Member must have length less than or equal to ${rules.maxItems}`);
    }
    return [...byIndex.entries()].sort((a, b) => a[0] - b[0]);
  }

  private pathOf(name: string): string {
    // AWS names members in lower camel case: LoadBalancerName -> loadBalancerName, HealthCheck.Target -> healthCheck.target.
    const camel = name
      .split('.')
      .map((part) => (part.length > 0 ? part[0]!.toLowerCase() + part.slice(1) : part))
      .join('.');
    return this.path ? `${this.path}.${camel}` : camel;
  }
}

export interface StringRules {
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: RegExp;
  oneOf?: readonly string[];
}

export interface IntegerRules {
  required?: boolean;
  min?: number;
  max?: number;
}

export interface ListRules {
  required?: boolean;
  maxItems?: number;
}
