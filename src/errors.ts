/**
 * Every failure graceful-elb reports is a GracefulElbError: a stable `code` to branch on, a message for people, and
 * the underlying error (AWS SDK, socket, IMDS) as `cause`. Each subsystem keeps its own classes beside it
 * (lifecycleErrors.ts, balancers/errors.ts, supervisor/errors.ts); bad input is an InvalidOptionError everywhere.
 */
export class GracefulElbError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An option (or the env var that overrides it) has a value the library cannot use. */
export class InvalidOptionError extends GracefulElbError {
  readonly option: string;
  readonly value: unknown;

  constructor(option: string, value: unknown, expected: string, options?: { cause?: unknown }) {
    super('ERR_GRACEFUL_ELB_INVALID_OPTION', `Expected \`${option}\` to be ${expected}, got ${describeValue(value)}`, options);
    this.option = option;
    this.value = value;
  }
}

/** Renders a bad value for an error message without dumping whole objects (or secrets) into it. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  const ctor = (value as object).constructor?.name;
  return ctor && ctor !== 'Object' ? `an instance of ${ctor}` : 'an object';
}
