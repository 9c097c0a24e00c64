// forever-monitor 3.0.3 ships no types. Only what the supervisor uses is declared, as read in
// node_modules/forever-monitor/lib/forever-monitor/monitor.js.
declare module 'forever-monitor' {
  import type { ChildProcess } from 'node:child_process';

  export interface MonitorOptions {
    args?: string[];
    /** Default SIGKILL: the app never sees a signal it can handle. */
    killSignal?: NodeJS.Signals;
    /** Default true: signals every descendant found by `ps`, at once. */
    killTree?: boolean;
    /** The child exits sooner than this after its spawn: it is "spinning". */
    minUptime?: number;
    /** Unset: a spinning child is not restarted. Set: restarted after this delay. */
    spinSleepTime?: number;
    /** The monitor gives up once the child has exited this many times. */
    max?: number;
    /** Spawn with an IPC channel (stdio pipe, pipe, pipe, ipc); child messages are re-emitted as 'message'. */
    fork?: boolean;
    /** Do not pipe the child's output to this process's stdout/stderr. */
    silent?: boolean;
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    /** Splits `command` on spaces unless replaced. */
    parser?: (command: string, args: string[]) => { command: string; args: string[] } | false;
  }

  export class Monitor {
    constructor(script: string, options?: MonitorOptions);
    readonly running: boolean;
    readonly child: ChildProcess | undefined;
    readonly times: number;
    /** When the current child was spawned (epoch ms); `now - ctime < minUptime` on exit means spinning. */
    readonly ctime: number;
    readonly minUptime: number;
    /** Read when the child exits: the monitor gives up once `times >= max`. */
    max: number | undefined;
    /**
     * Read when the child exits, right after 'exit:code': true lets the child die without a restart (and emits 'exit');
     * `stop()` sets it. Cleared by the monitor once read.
     */
    forceStop: boolean | undefined;
    start(restart?: boolean): this;
    /** Sends killSignal and prevents the restart. */
    stop(): this;
    on(event: 'start' | 'restart', listener: (monitor: Monitor) => void): this;
    on(event: 'exit', listener: (monitor: Monitor, spinning: boolean) => void): this;
    on(event: 'exit:code', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
    on(event: 'message', listener: (message: unknown) => void): this;
    on(event: 'stdout' | 'stderr', listener: (data: Buffer) => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
    removeAllListeners(event?: string): this;
  }
}
