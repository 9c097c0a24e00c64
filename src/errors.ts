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

// --- demo: simulated CodeDeploy deployment (src/demo) ---

/** An appspec file cannot be used: unreadable, not YAML, or a hook entry without a usable `location`/`timeout`. */
export class AppSpecError extends GracefulElbError {
  readonly file: string;
  readonly field: string | undefined;

  constructor(file: string, field: string | undefined, problem: string, options?: { cause?: unknown }) {
    super('ERR_GRACEFUL_ELB_INVALID_APPSPEC', `${file}${field ? ` (${field})` : ''}: ${problem}`, options);
    this.file = file;
    this.field = field;
  }
}

/** A lifecycle hook script failed on an instance: CodeDeploy fails that instance's deployment. */
export class HookFailedError extends GracefulElbError {
  readonly instanceId: string;
  readonly event: string;
  readonly script: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  /** The last lines the script printed (stdout and stderr interleaved), as CodeDeploy shows them. */
  readonly outputTail: string;

  constructor(details: {
    instanceId: string;
    event: string;
    script: string;
    exitCode: number | null;
    signal: string | null;
    timedOut: boolean;
    timeoutSeconds: number;
    outputTail: string;
    cause?: unknown;
  }) {
    const why = details.timedOut
      ? `did not finish within its timeout of ${details.timeoutSeconds} s`
      : details.exitCode === null
        ? `could not run or was killed (${details.signal ?? 'no exit code'})`
        : `exited with code ${details.exitCode}`;
    const lastLine = details.outputTail.trim().split('\n').at(-1);
    super(
      'ERR_GRACEFUL_ELB_HOOK_FAILED',
      `${details.event} failed on ${details.instanceId}: ${details.script} ${why}${lastLine ? ` (last output: ${lastLine})` : ''}`,
      { cause: details.cause },
    );
    this.instanceId = details.instanceId;
    this.event = details.event;
    this.script = details.script;
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.timedOut = details.timedOut;
    this.outputTail = details.outputTail;
  }
}
