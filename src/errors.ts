/**
 * Every failure graceful-elb reports is one of these classes: a stable `code` to branch on,
 * a message for people, and the underlying error (AWS SDK, socket, IMDS) as `cause`.
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

// ---- Local ELB (src/mock) ----

/** The local ELB's configuration (file, object or CLI flag) has a value it cannot use; `field` is its path. */
export class LocalElbConfigError extends GracefulElbError {
  readonly field: string;
  readonly value: unknown;

  constructor(field: string, value: unknown, expected: string, options?: { cause?: unknown }) {
    super('ERR_GRACEFUL_ELB_MOCK_CONFIG', `Expected \`${field}\` to be ${expected}, got ${describeValue(value)}`, options);
    this.field = field;
    this.value = value;
  }
}

/** The local ELB could not listen (control plane port taken, bad host). */
export class LocalElbListenError extends GracefulElbError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_GRACEFUL_ELB_MOCK_LISTEN', message, options);
  }
}

/**
 * An AWS API error the local ELB answers on the wire (`<ErrorResponse>`): `awsCode` and `httpStatus` are what
 * AWS sends for that failure, so SDK and CLI clients map it to the same exception as against AWS.
 */
export class AwsQueryError extends GracefulElbError {
  readonly awsCode: string;
  readonly httpStatus: number;

  constructor(awsCode: string, message: string, httpStatus = 400, options?: { cause?: unknown }) {
    super('ERR_GRACEFUL_ELB_MOCK_API', message, options);
    this.awsCode = awsCode;
    this.httpStatus = httpStatus;
  }

  /** AWS marks server-side failures (5xx) `Receiver`, the caller's mistakes `Sender`. */
  get faultType(): 'Sender' | 'Receiver' {
    return this.httpStatus >= 500 ? 'Receiver' : 'Sender';
  }
}
