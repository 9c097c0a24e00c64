import { describeValue, GracefulElbLocalError } from '../localError.js';


/** The local ELB's configuration (file, object or CLI flag) has a value it cannot use; `field` is its path. */
export class LocalElbConfigError extends GracefulElbLocalError {
  readonly field: string;
  readonly value: unknown;

  constructor(field: string, value: unknown, expected: string, options?: { cause?: unknown }) {
    super('ERR_GRACEFUL_ELB_MOCK_CONFIG', `Expected \`${field}\` to be ${expected}, got ${describeValue(value)}`, options);
    this.field = field;
    this.value = value;
  }
}

/** The local ELB could not listen (control plane port taken, bad host). */
export class LocalElbListenError extends GracefulElbLocalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_GRACEFUL_ELB_MOCK_LISTEN', message, options);
  }
}

/**
 * An AWS API error the local ELB answers on the wire (`<ErrorResponse>`): `awsCode` and `httpStatus` are what
 * AWS sends for that failure, so SDK and CLI clients map it to the same exception as against AWS.
 */
export class AwsQueryError extends GracefulElbLocalError {
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

