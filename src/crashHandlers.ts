import { GracefulElbError } from './errors.js';

export type CrashEvent = 'uncaughtException' | 'unhandledRejection';

/** The part of `process` crash handling needs (tests inject an EventEmitter). */
export interface CrashSource {
  on(event: CrashEvent, listener: (error: unknown) => void): unknown;
  off(event: CrashEvent, listener: (error: unknown) => void): unknown;
  listenerCount(event: CrashEvent): number;
}

/** An uncaught exception or unhandled rejection turned the process into a shutdown. `cause` is what was thrown. */
export class AppCrashedError extends GracefulElbError {
  readonly event: CrashEvent;

  constructor(event: CrashEvent, options: { cause: unknown }) {
    super('ERR_GRACEFUL_ELB_APP_CRASHED', event === 'uncaughtException' ? 'The app threw an uncaught exception' : 'The app left a promise rejection unhandled', options);
    this.event = event;
  }
}

export interface CrashHandlersInput {
  readonly source: CrashSource;
  /**
   * Node's own flags (`process.execArgv` and `NODE_OPTIONS`): with `--unhandled-rejections=warn|none|warn-with-error-code`
   * the operator chose not to crash on a rejection, and a listener of ours would turn it into a crash again.
   */
  readonly nodeFlags: readonly string[];
  /** A crash the library takes over: called once per crash. */
  onCrash(error: AppCrashedError): void;
  /** A crash some other listener of the app handles: the library stays out of it. */
  onLeftToApp(event: CrashEvent, error: unknown): void;
}

export interface CrashHandlers {
  /** Removes both listeners. */
  remove(): void;
}

// Node's default ('throw' since Node 15) and 'strict' raise an unhandled rejection as an uncaught exception.
const NON_CRASHING_REJECTION_MODES = new Set(['warn', 'none', 'warn-with-error-code']);

/**
 * Listens for uncaught exceptions and unhandled rejections and reports the ones nobody else handles.
 *
 * Whether the app handles one is decided at the time of the crash, not at install time: the app may add its listener
 * later (after `gracefulElb()`), and a listener is how Node itself decides (any `uncaughtException` listener stops the
 * process from dying). So a crash is ours only when our listener is the only one for that event.
 */
export function installCrashHandlers(input: CrashHandlersInput): CrashHandlers {
  const { source } = input;
  const handleRejections = !NON_CRASHING_REJECTION_MODES.has(unhandledRejectionsMode(input.nodeFlags) ?? 'throw');
  const listener = (event: CrashEvent) => (error: unknown): void => {
    if (source.listenerCount(event) > 1) input.onLeftToApp(event, error);
    else input.onCrash(new AppCrashedError(event, { cause: error }));
  };
  const onException = listener('uncaughtException');
  const onRejection = listener('unhandledRejection');
  source.on('uncaughtException', onException);
  if (handleRejections) source.on('unhandledRejection', onRejection);
  return {
    remove() {
      source.off('uncaughtException', onException);
      source.off('unhandledRejection', onRejection);
    },
  };
}

/** The last `--unhandled-rejections` mode given (`--unhandled-rejections=warn` or `--unhandled-rejections warn`). */
function unhandledRejectionsMode(flags: readonly string[]): string | undefined {
  let mode: string | undefined;
  flags.forEach((flag, i) => {
    if (flag === '--unhandled-rejections') mode = flags[i + 1];
    else if (flag.startsWith('--unhandled-rejections=')) mode = flag.slice('--unhandled-rejections='.length);
  });
  return mode;
}

/** Node's flags as the process was started with them: its own argv flags, then NODE_OPTIONS split on spaces. */
export function nodeFlagsOf(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  return [...execArgv, ...(nodeOptions ?? '').split(/\s+/).filter(Boolean)];
}
