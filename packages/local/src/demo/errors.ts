import { describeValue, GracefulElbLocalError } from '../localError.js';

/** A demo flag has a value the demo cannot use; `option` names the flag. */
export class InvalidOptionError extends GracefulElbLocalError {
  readonly option: string;
  readonly value: unknown;

  constructor(option: string, value: unknown, expected: string, options?: { cause?: unknown }) {
    super('ERR_GRACEFUL_ELB_INVALID_OPTION', `Expected \`${option}\` to be ${expected}, got ${describeValue(value)}`, options);
    this.option = option;
    this.value = value;
  }
}


/** An appspec file cannot be used: unreadable, not YAML, or a hook entry without a usable `location`/`timeout`. */
export class AppSpecError extends GracefulElbLocalError {
  readonly file: string;
  readonly field: string | undefined;

  constructor(file: string, field: string | undefined, problem: string, options?: { cause?: unknown }) {
    super('ERR_GRACEFUL_ELB_INVALID_APPSPEC', `${file}${field ? ` (${field})` : ''}: ${problem}`, options);
    this.file = file;
    this.field = field;
  }
}

/** A lifecycle hook script failed on an instance: CodeDeploy fails that instance's deployment. */
export class HookFailedError extends GracefulElbLocalError {
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

/** CodeDeploy's BlockTraffic/AllowTraffic (the `--codedeploy-builtin` baseline) waited past its bound for the balancer. */
export class TrafficWaitError extends GracefulElbLocalError {
  readonly waitedFor: string;
  readonly timeoutMs: number;
  readonly lastState: string;

  constructor(waitedFor: string, timeoutMs: number, lastState: string) {
    super('ERR_GRACEFUL_ELB_TRAFFIC_WAIT', `timed out after ${timeoutMs} ms waiting until ${waitedFor} (last state: ${lastState})`);
    this.waitedFor = waitedFor;
    this.timeoutMs = timeoutMs;
    this.lastState = lastState;
  }
}
