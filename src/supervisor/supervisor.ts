import { createWriteStream, existsSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { Monitor } from 'forever-monitor';
import type { Logger } from 'pino';
import { isLifecycleMessage, parseJoinedBalancers, type JoinedBalancers } from '../lifecycleMessage.js';
import { MAX_TIMER_SECONDS } from '../maxTimer.js';
import { openPrivateAppend } from '../privateFiles.js';
import { SUPERVISOR_DEFAULTS } from './defaults.js';
import { deregisterDeadChild, hasBalancers } from './deregisterOnDeath.js';
import { describeExit, finalExitReason, instanceLeaving } from './describeExit.js';
import { identifyProcess, type ProcessIdentity } from './processIdentity.js';
import { readJsonFile, writeJsonFileAtomic, type StopRequest, type SupervisorState } from './stateFile.js';
import { ensureStateDir, type StatePaths } from './statePaths.js';
import { acquireLock, releaseLock } from './supervisorLock.js';

export interface SupervisorOptions {
  paths: StatePaths;
  name: string;
  /** Absolute path of the app's entry script, run as `node <script> ...args`. */
  script: string;
  args: string[];
  cwd: string;
  minUptimeMs: number;
  maxRestarts: number;
  /** The bound applied when stopped by a bare signal (no stop request from `graceful-elb stop`). */
  stopTimeoutSeconds: number;
  codedeploy?: SupervisorState['codedeploy'];
  logger: Logger;
}

export interface SupervisorOutcome {
  status: 'stopped' | 'exited';
  /** 0: stopped, the app exited on SIGTERM, or left because the instance is going away. 1: the app died for good, or needed SIGKILL. */
  exitCode: 0 | 1;
  reason?: string;
}

/**
 * Runs the app under forever-monitor until it is stopped (SIGTERM or SIGINT to this process) or dies for
 * good, keeping `state.json` current. Resolves once the app has exited and the state is final.
 */
export async function runSupervisor(options: SupervisorOptions): Promise<SupervisorOutcome> {
  const { paths } = options;
  const self = identifyProcess(process.pid);
  ensureStateDir(paths);
  acquireLock(paths.lock, paths.dir, self);
  try {
    keepPreviousLog(paths.outLog);
    keepPreviousLog(paths.errLog);
    // A request left by an earlier `stop` must not set the bound for this run.
    rmSync(paths.stopRequest, { force: true });
    return await supervise(options, self);
  } finally {
    releaseLock(paths.lock, self);
  }
}

function supervise(options: SupervisorOptions, self: ProcessIdentity): Promise<SupervisorOutcome> {
  const { paths, logger } = options;
  const outLog = createWriteStream(paths.outLog, { fd: openPrivateAppend(paths.outLog) });
  const errLog = createWriteStream(paths.errLog, { fd: openPrivateAppend(paths.errLog) });
  const state: SupervisorState = {
    version: 1,
    name: options.name,
    status: 'starting',
    supervisor: { ...self, startedAt: Date.now() },
    app: { script: options.script, args: [...options.args], cwd: options.cwd, restarts: 0 },
    ready: false,
    stopTimeoutSeconds: options.stopTimeoutSeconds,
    logs: { out: paths.outLog, err: paths.errLog, supervisor: paths.supervisorLog },
    ...(options.codedeploy ? { codedeploy: options.codedeploy } : {}),
    updatedAt: Date.now(),
  };
  const save = (): void => {
    state.updatedAt = Date.now();
    writeJsonFileAtomic(paths.state, state);
  };
  save();

  const monitor = new Monitor(options.script, {
    // A copy: forever-monitor puts the script in front of the array it is given.
    args: [...options.args],
    // An IPC channel to the app: the library's LifecycleMessages come back as 'message' events.
    fork: true,
    silent: true,
    // forever-monitor's default is SIGKILL: no graceful code would ever run.
    killSignal: 'SIGTERM',
    // The default signals every descendant at once (found with `ps`); the app's own children are the
    // app's to stop, after its drain.
    killTree: false,
    minUptime: options.minUptimeMs,
    // No spinSleepTime: a crash within minUptime is final instead of a restart loop.
    // forever-monitor counts exits, not restarts.
    max: options.maxRestarts + 1,
    cwd: options.cwd,
    // The default parser splits the command (node's path) on spaces.
    parser: (command, args) => ({ command, args }),
  });

  let stopping = false;
  let finished = false;
  let killTimer: NodeJS.Timeout | undefined;
  /** The balancers the current child reported it may be registered with (lifecycleMessage.ts `membership`). */
  let joined: JoinedBalancers | undefined;
  /** A dead child's deregistration in flight: a restart waits for it, and so does the supervisor's end. */
  let leaving: Promise<void> | undefined;
  /** The restart forever-monitor was about to make, held back until `leaving` settles. */
  let restartHeld = false;

  return new Promise<SupervisorOutcome>((resolve) => {
    const onSpawn = (restarted: boolean) => (): void => {
      const pid = monitor.child?.pid;
      if (pid === undefined) return;
      state.app.process = identifyProcess(pid);
      state.app.startedAt = Date.now();
      if (restarted) state.app.restarts += 1;
      state.lifecycle = undefined;
      joined = undefined;
      state.ready = false;
      state.status = stopping ? 'stopping' : 'running';
      save();
      logger.info({ pid, restarts: state.app.restarts }, restarted ? 'app restarted' : 'app spawned');
      // A crash just before the stop signal may have queued a restart: stop the new child too.
      if (stopping && restarted) monitor.stop();
    };

    const onMessage = (message: unknown): void => {
      if (message === 'ready') {
        state.ready = true;
      } else if (isLifecycleMessage(message)) {
        const error = message.error ? { code: String(message.error.code), message: String(message.error.message) } : undefined;
        state.lifecycle = { state: message.state, at: message.at, ...(error ? { error } : {}) };
        if (message.membership !== undefined) joined = parseJoinedBalancers(message.membership);
        logger.info({ pid: message.pid, state: message.state, ...(error ? { error } : {}) }, 'app lifecycle');
      } else {
        return;
      }
      save();
    };

    const onExitCode = (code: number | null, signal: NodeJS.Signals | null): void => {
      const pid = state.app.process?.pid ?? 0;
      const uptimeMs = Date.now() - (state.app.startedAt ?? Date.now());
      state.lastExit = { pid, code, signal, at: Date.now(), uptimeMs };
      const restarting = !stopping && !(code !== null && SUPERVISOR_DEFAULTS.finalExitCodes.includes(code)) && willRestart(monitor);
      if (hasBalancers(joined)) {
        // Died registered (process.exit(), SIGKILL, OOM, a native crash, a failed leave): the balancer would route to a
        // closed port until its health check notices. Leave for it, and only then let forever-monitor restart it.
        leaving = leaveForDeadChild(pid, joined);
        joined = undefined;
        if (restarting) {
          restartHeld = true;
          monitor.forceStop = true;
          void leaving.then(() => {
            restartHeld = false;
            if (stopping || finished) {
              void finish({ status: 'stopped', exitCode: 0 });
              return;
            }
            logger.info({ pid }, 'restarting the app after deregistering it');
            monitor.start(true);
          });
        }
      }
      if (stopping) {
        if (state.stop) state.stop.exitedAt = Date.now();
      } else if (code !== null && SUPERVISOR_DEFAULTS.finalExitCodes.includes(code)) {
        // forever-monitor decides on the restart right after this event, from `times >= max`.
        monitor.max = 0;
      } else if (willRestart(monitor)) {
        // Only when forever-monitor will really restart: a spinning child or the last allowed exit is final, and
        // saying 'restarting' for it would make `validate` report a restart that never comes.
        state.status = 'restarting';
      }
      save();
      logger.info({ pid, code, signal, uptimeMs }, 'app exited');
    };

    const onGiveUp = (_monitor: Monitor, spinning: boolean): void => {
      // Not a give-up: the restart waits for the dead child's deregistration (onExitCode).
      if (restartHeld) return;
      if (stopping) {
        const escalated = state.stop?.escalatedAt !== undefined;
        const reason = escalated
          ? `killed with SIGKILL after ${state.stop?.timeoutSeconds} s: it did not exit on SIGTERM`
          : undefined;
        void finish({ status: 'stopped', exitCode: escalated ? 1 : 0, ...(reason ? { reason } : {}) });
        return;
      }
      const exit = state.lastExit;
      const how = exit ? describeExit(exit.code, exit.signal) : 'exited';
      const final = exit?.code != null && SUPERVISOR_DEFAULTS.finalExitCodes.includes(exit.code);
      const reason = final
        ? `the app ${how}: ${finalExitReason(exit.code ?? 0)}: not restarted`
        : spinning
        ? `the app ${how} ${exit?.uptimeMs ?? 0} ms after its start, sooner than minUptime (${options.minUptimeMs} ms): not restarted`
        : `the app ${how}; it has exited ${state.app.restarts + 1} times (max restarts ${options.maxRestarts}): not restarted`;
      void finish({ status: 'exited', exitCode: instanceLeaving(exit?.code ?? null) ? 0 : 1, reason });
    };

    const onError = (error: Error): void => {
      // forever-monitor emits 'error' for a missing script and for stopping a child that has just exited.
      logger.error({ err: error }, 'forever-monitor error');
      if (monitor.running && !stopping) return;
      void finish(stopping ? { status: 'stopped', exitCode: 0 } : { status: 'exited', exitCode: 1, reason: error.message });
    };

    const onStopSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.info({ signal }, 'already stopping; the bound set by the first stop applies');
        return;
      }
      stopping = true;
      const timeoutSeconds = takeStopRequest(paths.stopRequest)?.timeoutSeconds ?? options.stopTimeoutSeconds;
      state.status = 'stopping';
      state.stop = { requestedAt: Date.now(), timeoutSeconds };
      save();
      logger.info({ signal, timeoutSeconds, pid: monitor.child?.pid }, 'stopping the app with SIGTERM');
      if (!monitor.running) {
        // A held restart sees `stopping` once its deregistration ends, and finishes then.
        if (!restartHeld) void finish({ status: 'stopped', exitCode: 0 });
        return;
      }
      monitor.stop();
      // forever-monitor's own killTTL would re-send SIGTERM, which an app ignoring it survives.
      killTimer = setTimeout(() => {
        const pid = monitor.child?.pid;
        if (state.stop) state.stop.escalatedAt = Date.now();
        save();
        logger.warn({ pid, timeoutSeconds }, 'the app did not exit on SIGTERM in time: SIGKILL');
        if (pid !== undefined) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // It exited in the meantime.
          }
        }
      }, timeoutSeconds * 1000);
    };

    const finish = async (outcome: SupervisorOutcome): Promise<void> => {
      if (finished) return;
      finished = true;
      clearTimeout(killTimer);
      process.off('SIGTERM', onStopSignal);
      process.off('SIGINT', onStopSignal);
      // A dead child's deregistration is bounded (deregisterOnDeath.ts): the instance must not stay registered.
      await leaving;
      // 'exit' can come before the child's pipes are read to the end: the last lines would be lost.
      await Promise.all([waitClosed(monitor.child?.stdout), waitClosed(monitor.child?.stderr)]);
      monitor.removeAllListeners();
      await Promise.all([endStream(outLog), endStream(errLog)]);
      state.status = outcome.status;
      if (outcome.reason !== undefined) state.reason = outcome.reason;
      save();
      rmSync(paths.stopRequest, { force: true });
      logger.info({ status: outcome.status, reason: outcome.reason }, 'supervisor done');
      resolve(outcome);
    };

    const leaveForDeadChild = async (pid: number, membership: JoinedBalancers): Promise<void> => {
      const results = await deregisterDeadChild({ membership, pid, logger });
      const left = results.filter((r) => r.left).map((r) => r.label);
      const failed = results.filter((r) => !r.left).map((r) => r.label);
      logger.info({ pid, left, failed }, failed.length === 0 ? 'the dead app is out of every balancer' : 'the dead app could not be taken out of every balancer');
    };

    monitor.on('start', onSpawn(false));
    monitor.on('restart', onSpawn(true));
    monitor.on('message', onMessage);
    monitor.on('stdout', (data) => outLog.write(data));
    monitor.on('stderr', (data) => errLog.write(data));
    monitor.on('exit:code', onExitCode);
    monitor.on('exit', onGiveUp);
    monitor.on('error', onError);
    process.on('SIGTERM', onStopSignal);
    process.on('SIGINT', onStopSignal);
    monitor.start();
  });
}

/** The request `graceful-elb stop` left for this stop, if fresh; consumed. */
function takeStopRequest(path: string): StopRequest | undefined {
  let request: StopRequest | undefined;
  try {
    request = readJsonFile<StopRequest>(path);
  } catch {
    request = undefined;
  }
  rmSync(path, { force: true });
  if (request === undefined) return undefined;
  const fresh = Date.now() - request.requestedAt < SUPERVISOR_DEFAULTS.stopRequestMaxAgeMs;
  const valid = typeof request.timeoutSeconds === 'number' && request.timeoutSeconds > 0 && request.timeoutSeconds <= MAX_TIMER_SECONDS;
  return fresh && valid ? request : undefined;
}

function keepPreviousLog(path: string): void {
  if (existsSync(path)) renameSync(path, `${path}.1`);
}

function waitClosed(stream: Readable | null | undefined): Promise<void> {
  if (!stream || stream.closed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, 2000);
    function done(): void {
      clearTimeout(timer);
      stream?.off('close', done);
      resolve();
    }
    stream.once('close', done);
  });
}

function endStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => stream.end(resolve));
}

/** forever-monitor's own restart decision, taken right after 'exit:code' (monitor.js, child 'exit' handler). */
function willRestart(monitor: Monitor): boolean {
  const spinning = Date.now() - monitor.ctime < monitor.minUptime;
  return !spinning && monitor.times + 1 < (monitor.max ?? Number.POSITIVE_INFINITY);
}
