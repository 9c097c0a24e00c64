import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { abortAfter } from './abortAfter.js';
import { createInstanceNotices, type InstanceNoticeHooks, type InstanceNotices } from './autoScaling/instanceNotices.js';
import type { Balancer } from './balancers/balancer.js';
import { boundCalls } from './balancers/boundedClient.js';
import { requireRegion } from './balancers/requireRegion.js';
import { createElbClient } from './balancers/elbClient.js';
import { createElbV2Client } from './balancers/elbV2Client.js';
import { membershipsOf, resolveBalancers } from './balancers/resolveBalancers.js';
import { waitInService } from './balancers/waitInService.js';
import { AppCrashedError, installCrashHandlers, nodeFlagsOf, type CrashEvent, type CrashHandlers, type CrashSource } from './crashHandlers.js';
import { decideDrain, type DrainDecision, type DrainReason } from './drainDecision.js';
import { NotInServiceError } from './balancers/errors.js';
import { GracefulElbError } from './errors.js';
import { ForcedBySignalError, LeaveFailedError, ShutdownBeforeReadyError, ShutdownTimeoutError } from './lifecycleErrors.js';
import { EXIT_CODES, signalExitCode } from './exitCodes.js';
import { probeHealth } from './healthProbe.js';
import { resolveIdentity } from './identity.js';
import { createIpcNotifier, type IpcNotifier, type Send } from './ipc.js';
import { AWS_DEFAULT_IDLE_TIMEOUT_SECONDS, raiseKeepAlive } from './keepAlive.js';
import type { JoinedBalancers, LifecycleState } from './lifecycleMessage.js';
import { countOpen, trackUpgrades, type OpenConnections, type UpgradeTracker } from './longLivedConnections.js';
import { resolveOptions, type ElbClient, type ElbV2Client, type Env, type GracefulElbOptions, type ResolvedOptions } from './options.js';
import { isAbortError } from './retry.js';
import { prepareServerClose, type ServerCloser } from './serverClose.js';
import { createStateMachine, type StateMachine } from './stateMachine.js';
import { trackTraffic, type TrafficTracker } from './trafficTracker.js';
import { waitListening } from './waitListening.js';

/** What `ready` resolves with. */
export interface ReadyInfo {
  /** 'in-service': every balancer reports this instance InService. 'serving': no balancer (off EC2), health passed. */
  readonly state: 'in-service' | 'serving';
  readonly instanceId: string | undefined;
  /** Labels of the balancers joined, e.g. `elb/web`. */
  readonly balancers: readonly string[];
  /** From gracefulElb() to ready. */
  readonly durationMs: number;
}

/** What `shutdown()` resolves with (and the process exits with, when a signal started it). */
export interface ShutdownSummary {
  readonly reason: string;
  /** Why the drain ended: 'drained' (traffic stopped) or 'deadline' (drainSeconds ran out). */
  readonly drain: DrainReason | 'interrupted';
  readonly exitCode: number;
  /** Requests cut at the end of the grace period (their socket closed before the response finished). */
  readonly cutRequests: number;
  /** Everything cut when the server closed, by kind (`cutRequests` = stream + request). */
  readonly cut: OpenConnections;
  /** Every balancer the shutdown tried to leave, and whether it did; `left: false` may still be registered (exit 4). */
  readonly balancers: ReadonlyArray<{ readonly label: string; readonly left: boolean }>;
  readonly durationMs: number;
}

/** What the `draining` event says: the app's cue to close its long-lived connections (WebSocket 1001, end SSE streams). */
export interface DrainingInfo {
  readonly reason: string;
  /** epoch ms: what is still open then is cut (the drain's bound; the server closes right after). */
  readonly deadlineAt: number;
  /** What is open as the drain starts, by kind. */
  readonly open: OpenConnections;
}

export type GracefulElbEvents = {
  state: [state: LifecycleState, previous: LifecycleState];
  ready: [info: ReadyInfo];
  /** The balancers have been told to stop routing here: close long-lived connections now, properly. */
  draining: [info: DrainingInfo];
};

/** The handle `gracefulElb()` returns. */
export interface GracefulElb extends EventEmitter<GracefulElbEvents> {
  /** Resolves when every balancer reports this instance in service; rejects with a coded error if it never will. */
  readonly ready: Promise<ReadyInfo>;
  readonly state: LifecycleState;
  /** Leave, drain, close the server. Idempotent: a repeat call returns the same promise. Does not exit the process. */
  shutdown(reason?: string): Promise<ShutdownSummary>;
  /** Removes every listener, timer and server hook the library added. */
  close(): void;
}

/** What the lifecycle touches outside the options; tests inject their own. */
export interface LifecycleDeps {
  readonly env: Env;
  readonly process: {
    on(signal: NodeJS.Signals, listener: () => void): unknown;
    off(signal: NodeJS.Signals, listener: () => void): unknown;
    readonly send?: Send | undefined;
    readonly pid: number;
  };
  readonly createClient?: (input: { region: string | undefined; apiTimeoutMs: number }) => ElbClient;
  readonly createV2Client?: (input: { region: string | undefined; apiTimeoutMs: number }) => ElbV2Client;
  /** Where uncaught exceptions and unhandled rejections are heard (`process`); absent: crashes are not handled. */
  readonly crashSource?: CrashSource;
  /** Node's own flags (execArgv + NODE_OPTIONS), for `--unhandled-rejections`. */
  readonly nodeFlags?: readonly string[];
}

// How often the drain re-decides from the traffic counters (cheap, local); the balancer is polled at pollIntervalMs.
const DRAIN_TICK_MS = 100;
// Before exiting, how long the last IPC messages may take to reach the supervisor.
const IPC_FLUSH_MS = 1000;
// A Spot notice's two minutes must hold the drain, the grace period and this much more (the last API calls, the exit).
const SPOT_CLOSE_MARGIN_MS = 5000;

/**
 * Puts `server` behind the lifecycle: joins the balancer when healthy, leaves and drains on SIGTERM.
 * Options are checked here (throws InvalidOptionError); env overrides are read here, never at import.
 */
export function gracefulElb(options: GracefulElbOptions): GracefulElb {
  return createGracefulElb(options, {
    env: process.env,
    process: { on: process.on.bind(process), off: process.off.bind(process), send: process.send?.bind(process) as Send | undefined, pid: process.pid },
    crashSource: process,
    nodeFlags: nodeFlagsOf(process.execArgv, process.env.NODE_OPTIONS),
  });
}

/** gracefulElb() with the outside world injected (tests). */
export function createGracefulElb(options: GracefulElbOptions, deps: LifecycleDeps): GracefulElb {
  return new Lifecycle(resolveOptions(options, deps.env), deps);
}

class Lifecycle extends EventEmitter<GracefulElbEvents> implements GracefulElb {
  readonly ready: Promise<ReadyInfo>;
  readonly #config: ResolvedOptions;
  readonly #deps: LifecycleDeps;
  readonly #log: Logger;
  readonly #ipc: IpcNotifier;
  readonly #machine: StateMachine;
  readonly #traffic: TrafficTracker;
  readonly #closer: ServerCloser;
  readonly #upgrades: UpgradeTracker;
  readonly #crashHandlers: CrashHandlers | undefined;
  readonly #onServerClose = (): void => this.#serverClosedByApp();
  readonly #startedAt = Date.now();
  /** Aborted when the shutdown starts (or close()): every startup wait ends at once. */
  readonly #startup = new AbortController();
  /** Aborted by close(): every shutdown wait ends at once. */
  readonly #stopping = new AbortController();
  readonly #signalHandlers = new Map<NodeJS.Signals, () => void>();
  readonly #registered = new Set<Balancer>();
  #balancers: Balancer[] = [];
  #instanceId: string | undefined;
  /** The drain is never worth more than this (every balancer bounds it: target groups' deregistration delay). */
  #maxDrainSeconds: number | undefined;
  #settleReady: { resolve(info: ReadyInfo): void; reject(error: unknown): void } | undefined;
  #startupTask: Promise<void>;
  #shutdown: Promise<ShutdownSummary> | undefined;
  #hardDeadline: NodeJS.Timeout | undefined;
  #exiting = false;
  #closed = false;
  #signalsSeen = 0;
  #signalAt: number | undefined;
  /** Auto Scaling and Spot notices (src/autoScaling); undefined without an instance identity. */
  #notices: InstanceNotices | undefined;
  /** Aborted when the shutdown starts: ends a Standby leave or rejoin. */
  readonly #rejoin = new AbortController();
  #standbyTask: Promise<void> = Promise.resolve();
  /** Set when the instance is leaving for good (scale-in, Spot): the exit code whatever the drain, and the last step. */
  #leavingForGood: { exitCode: number; afterClose: (() => Promise<void>) | undefined } | undefined;
  /** Balancers the shutdown could not leave (said again in the exit line). */
  #notLeft: string[] = [];
  /** Carried by the next IPC state message ('failed' says why). */
  #stateError: { code: string; message: string } | undefined;
  /** Carried by the next IPC state message: the balancers a supervisor must leave for us if we die (lifecycleMessage.ts). */
  #stateMembership: JoinedBalancers | undefined;
  #region: string | undefined;
  #crashed = false;

  constructor(config: ResolvedOptions, deps: LifecycleDeps) {
    super();
    this.#config = config;
    this.#deps = deps;
    this.#log = config.logger.child({ lib: 'graceful-elb' });
    this.#ipc = createIpcNotifier(deps.process.send, deps.process.pid);
    this.#machine = createStateMachine((next, previous) => {
      this.#log.debug({ state: next, previous }, `state ${next}`);
      this.#ipc.state(next, this.#stateError, this.#stateMembership);
      this.#stateError = undefined;
      this.#stateMembership = undefined;
      this.emit('state', next, previous);
    });
    this.ready = new Promise<ReadyInfo>((resolve, reject) => {
      this.#settleReady = { resolve, reject };
    });
    // A caller who never awaits `ready` must not get an unhandled rejection (which kills the process on Node >= 15).
    this.ready.catch(() => undefined);
    // Both hook the server now: the tracker must see every request, the closer every connection.
    this.#traffic = trackTraffic({ server: config.server, healthPath: config.healthPath });
    this.#closer = prepareServerClose(config.server, config.graceMs);
    this.#upgrades = trackUpgrades(config.server);
    config.server.on('close', this.#onServerClose);
    this.#crashHandlers =
      config.handleCrashes && deps.crashSource !== undefined
        ? installCrashHandlers({
            source: deps.crashSource,
            nodeFlags: deps.nodeFlags ?? [],
            onCrash: (error) => this.#onCrash(error),
            onLeftToApp: (event, error) => this.#crashLeftToApp(event, error),
          })
        : undefined;
    for (const signal of config.signals) {
      const handler = (): void => this.#onSignal(signal);
      this.#signalHandlers.set(signal, handler);
      deps.process.on(signal, handler);
    }
    this.#ipc.state('starting');
    this.#startupTask = this.#start();
  }

  get state(): LifecycleState {
    return this.#machine.state;
  }

  // ── Startup ──────────────────────────────────────────────────────────────────────────────────────────────────────

  async #start(): Promise<void> {
    const config = this.#config;
    const signal = this.#startup.signal;
    try {
      // 1. Identity: instance id and region (overrides, else IMDSv2), or the decision to run without a balancer.
      await waitListening(config.server, signal);
      const identity = await this.#phase(
        'identity',
        () =>
          resolveIdentity({
            instanceId: config.instanceId,
            region: config.region,
            clientGiven: config.client !== undefined || config.elbv2Client !== undefined,
            imdsTimeoutMs: config.imdsTimeoutMs,
            env: this.#deps.env,
            signal,
          }),
        (id) => (id.kind === 'aws' ? { instanceId: id.instanceId, region: id.region, source: id.source } : { mode: 'no-balancer' }),
      );
      if (identity.kind === 'none') {
        this.#log.warn(
          { phase: 'identity', reason: identity.reason },
          'Not on EC2 and no balancer configured: running WITHOUT a load balancer (nothing is registered). ' +
            'A signal still drains and exits gracefully. Set GRACEFUL_ELB_INSTANCE_ID and AWS_REGION to use one.',
        );
      }
      const aws = identity.kind === 'aws' ? identity : undefined;
      if (aws !== undefined) {
        this.#instanceId = aws.instanceId;
        this.#region = aws.region;
        this.#notices = this.#createNotices(aws.instanceId, aws.region);
      }
      const clientInput = { region: aws?.region, apiTimeoutMs: config.apiTimeoutMs };
      // Every call bounded by apiTimeoutMs, the caller's own clients' too.
      let client: ElbClient | undefined;
      let v2Client: ElbV2Client | undefined;
      const classicClient = (): ElbClient => (client ??= boundCalls(config.client ?? (this.#deps.createClient ?? createElbClient)(clientInput), config.apiTimeoutMs));
      const elbV2Client = (): ElbV2Client => (v2Client ??= boundCalls(config.elbv2Client ?? (this.#deps.createV2Client ?? createElbV2Client)(clientInput), config.apiTimeoutMs));
      if (aws !== undefined && aws.region === undefined && config.client === undefined && config.elbv2Client === undefined) {
        await this.#phase('region', () => requireRegion(config.targetGroups.length > 0 && config.elbNames.length === 0 ? elbV2Client() : classicClient()));
      }

      // 2. The app proves it is healthy on the loopback before any balancer sends it traffic.
      this.#enter('probing');
      await this.#phase(
        'probe',
        () =>
          probeHealth({
            server: config.server,
            path: config.healthPath,
            intervalMs: config.probeIntervalMs,
            timeoutMs: config.probeTimeoutMs,
            requestTimeoutMs: config.probeRequestTimeoutMs,
            signal,
          }),
        (r) => ({ url: r.url, attempts: r.attempts, status: r.status }),
      );
      if (aws === undefined) {
        this.#enter('serving');
        this.#resolveReady('serving');
        return;
      }

      // A Standby deployment: out of Standby first (the group's own balancers take the instance back).
      await this.#notices?.beforeJoin(signal);
      // 3. Every balancer API step of the startup within inServiceTimeoutMs: find the balancers (discovery too),
      //    read their settings, register, and wait until every one reports InService. A balancer API that hangs or
      //    keeps failing rejects `ready` with a coded error by then, whichever step it is in.
      const joinStart = Date.now();
      const joinWindow = abortAfter(signal, config.inServiceTimeoutMs);
      const byDeadline = async <T>(label: () => string, run: () => Promise<T>): Promise<T> => {
        try {
          return await run();
        } catch (error) {
          if (!signal.aborted && joinWindow.signal.aborted && !(error instanceof NotInServiceError)) {
            throw new NotInServiceError(label(), config.inServiceTimeoutMs, this.state === 'joining' ? undefined : 'not registered yet', { cause: error });
          }
          throw error;
        }
      };
      const allLabels = (): string => this.#balancers.map((b) => b.label).join(', ') || 'the balancers (still being found)';
      try {
        this.#balancers = await byDeadline(allLabels, () =>
          this.#phase(
            'balancers',
            () =>
              resolveBalancers({
                config,
                instanceId: aws.instanceId,
                port: listeningPort(config.server),
                classicClient,
                v2Client: elbV2Client,
                retry: { maxAttempts: config.retryMaxAttempts, baseMs: config.retryBaseMs, maxDelayMs: config.retryMaxDelayMs },
                onRetry: (balancer) => ({ attempt, delayMs, error }) =>
                  this.#log.warn({ balancer: balancer ?? 'discovery', attempt, delayMs, err: error }, 'balancer API call failed; retrying'),
                log: this.#log,
                signal: joinWindow.signal,
              }),
            (list) => ({ balancers: list.map((b) => b.label) }),
          ),
        );
        await byDeadline(allLabels, () => this.#readBalancerSettings(joinWindow.signal));
        // The supervisor learns of them first (its backstop if this process dies registered).
        this.#stateMembership = this.#membership(this.#balancers);
        this.#enter('registering');
        await this.#phase('register', () =>
          this.#eachBalancer(this.#balancers, (b) => {
            // Counted before the call: an aborted request may still have reached AWS, so shutdown deregisters it too.
            this.#registered.add(b);
            return byDeadline(() => b.label, () => b.register(joinWindow.signal));
          }),
        );
        this.#enter('joining');
        await this.#phase('in-service', () =>
          this.#eachBalancer(this.#balancers, (b) =>
            byDeadline(
              () => b.label,
              () =>
                waitInService(b, {
                  intervalMs: config.pollIntervalMs,
                  // Its own bound, not the window's abort: its error keeps the last API failure as the cause. A poll
                  // in flight at the bound ends within apiTimeoutMs.
                  timeoutMs: Math.max(0, config.inServiceTimeoutMs - (Date.now() - joinStart)),
                  boundMs: config.inServiceTimeoutMs,
                  signal,
                  onView: (view) => this.#log.debug({ balancer: b.label, view }, 'waiting for InService'),
                }),
            ),
          ),
        );
      } finally {
        joinWindow.dispose();
      }
      this.#enter('in-service');
      this.#resolveReady('in-service');
      this.#notices?.watch();
    } catch (error) {
      // A shutdown (or close()) took over: it settles `ready` itself.
      if (signal.aborted) return;
      this.#failStartup(error);
    }
  }

  /** Moves the startup on, unless a shutdown has taken over meanwhile (then the startup just ends). */
  #enter(state: LifecycleState): void {
    this.#startup.signal.throwIfAborted();
    this.#machine.to(state);
  }

  #resolveReady(state: ReadyInfo['state']): void {
    const info: ReadyInfo = {
      state,
      instanceId: this.#instanceId,
      balancers: this.#balancers.map((b) => b.label),
      durationMs: Date.now() - this.#startedAt,
    };
    this.#settleReady?.resolve(info);
    this.#settleReady = undefined;
    this.#log.info({ phase: 'ready', ...info }, state === 'in-service' ? 'in service: every balancer routes here' : 'serving without a balancer');
    this.#ipc.ready();
    this.emit('ready', info);
  }

  #rejectReady(error: unknown): void {
    this.#settleReady?.reject(error);
    this.#settleReady = undefined;
  }

  #failStartup(error: unknown): void {
    const coded = error instanceof GracefulElbError ? error : undefined;
    this.#stateError = { code: coded?.code ?? 'ERR_GRACEFUL_ELB_UNEXPECTED', message: error instanceof Error ? error.message : String(error) };
    this.#machine.to('failed');
    this.#rejectReady(error);
    const next = this.#config.exitOnStartupFailure ? 'leaving and exiting (exitOnStartupFailure)' : 'still serving, not in service';
    this.#log.error({ phase: 'startup', err: error }, `startup failed: ${next}`);
    if (this.#config.exitOnStartupFailure) {
      void this.#shutdownOnce('startup failed', EXIT_CODES.startupFailed).then((summary) => this.#exit(summary.exitCode));
    }
  }

  /** Keep-alive above the balancer's idle timeout; a warning when the balancer cuts in-flight requests before drainSeconds. */
  async #readBalancerSettings(signal: AbortSignal): Promise<void> {
    const idle = await Promise.all(this.#balancers.map((b) => b.idleTimeoutSeconds(signal)));
    const longestIdle = Math.max(...idle.map((s) => s ?? AWS_DEFAULT_IDLE_TIMEOUT_SECONDS));
    if (this.#config.adjustKeepAlive) {
      const change = raiseKeepAlive(this.#config.server, longestIdle);
      this.#log.info({ phase: 'keep-alive', idleTimeoutSeconds: longestIdle, ...change }, 'keep-alive checked against the balancer idle timeout');
    }
    const limits = await Promise.all(this.#balancers.map(async (b) => ({ label: b.label, seconds: await b.drainLimitSeconds(signal) })));
    for (const { label, seconds } of limits) {
      if (seconds !== undefined && seconds < this.#config.drainSeconds) {
        this.#log.warn({ balancer: label, connectionDrainingSeconds: seconds, drainSeconds: this.#config.drainSeconds }, 'the balancer cuts in-flight requests before drainSeconds ends (connection draining shorter or off)');
      }
    }
    // Requests may still arrive through the balancer that drains longest, so the drain is bounded by the longest
    // bound, and only when every balancer has one (a Classic ELB has none: it is drained on drainSeconds alone).
    const bounds = await Promise.all(this.#balancers.map((b) => (b.maxDrainSeconds === undefined ? undefined : b.maxDrainSeconds(signal))));
    if (bounds.length > 0 && bounds.every((s) => s !== undefined)) {
      this.#maxDrainSeconds = Math.max(...(bounds as number[]));
      if (this.#maxDrainSeconds < this.#config.drainSeconds) {
        this.#log.info({ phase: 'drain-bound', maxDrainSeconds: this.#maxDrainSeconds, drainSeconds: this.#config.drainSeconds }, 'the drain ends by the deregistration delay at the latest');
      }
    }
  }

  // ── Shutdown ─────────────────────────────────────────────────────────────────────────────────────────────────────

  shutdown(reason = 'shutdown'): Promise<ShutdownSummary> {
    return this.#shutdownOnce(reason, EXIT_CODES.ok);
  }

  /** `drainSeconds`: this shutdown's bound (a crash's is shorter than a signal's). */
  #shutdownOnce(reason: string, exitCode: number, drainSeconds = this.#config.drainSeconds): Promise<ShutdownSummary> {
    this.#shutdown ??= this.#runShutdown(reason, exitCode, drainSeconds).then(async (summary) => {
      // Leaving for good (whoever started the shutdown): its last step, and an exit code the supervisor never restarts.
      const forGood = this.#leavingForGood;
      if (forGood === undefined) return summary;
      await forGood.afterClose?.();
      return { ...summary, exitCode: forGood.exitCode };
    });
    this.#notices?.stopWatching();
    this.#rejoin.abort();
    return this.#shutdown;
  }

  /**
   * An uncaught exception or unhandled rejection nobody else handles: the same graceful close as a signal, bounded by
   * crashDrainSeconds, exit 70. A crash while a shutdown already runs means "now" (as close-with-grace's second error):
   * the process cannot be trusted to finish a drain it is already failing in.
   */
  #onCrash(error: AppCrashedError): void {
    this.#log.fatal({ phase: 'crash', event: error.event, err: error.cause, state: this.state }, `${error.message}: leaving the balancers, then exit ${EXIT_CODES.crashed}`);
    if (this.#shutdown !== undefined || this.#crashed) {
      void this.#forceExit(error, EXIT_CODES.crashed);
      return;
    }
    this.#crashed = true;
    void this.#shutdownOnce(error.event, EXIT_CODES.crashed, this.#config.crashDrainSeconds).then((summary) => this.#exit(summary.exitCode));
  }

  #crashLeftToApp(event: CrashEvent, error: unknown): void {
    this.#log.warn({ phase: 'crash', event, err: error }, `${event}: the app handles it with its own listener; the library does not shut down`);
  }

  /**
   * The app closed its server itself (not through us): nothing will answer here any more, so leave every balancer now
   * rather than let it send requests to a closed port until its health checks notice. The process is not exited: the app
   * chose to close, and it ends once the deregistration is done and nothing else holds the event loop.
   */
  #serverClosedByApp(): void {
    if (this.#shutdown !== undefined || this.#closed) return;
    this.#log.warn({ phase: 'server-closed', registered: [...this.#registered].map((b) => b.label) }, 'the app closed its server itself: leaving the balancers');
    void this.#shutdownOnce('server closed by the app', EXIT_CODES.ok, this.#config.crashDrainSeconds).then(() => this.close());
  }

  // ── Auto Scaling and Spot ────────────────────────────────────────────────────────────────────────────────────────

  #createNotices(instanceId: string, region: string | undefined): InstanceNotices {
    const config = this.#config;
    const hooks: InstanceNoticeHooks = {
      leaveForGood: ({ reason, exitCode, drainBoundSeconds, afterClose }) => {
        this.#leavingForGood = { exitCode, afterClose };
        if (drainBoundSeconds !== undefined) this.#maxDrainSeconds = Math.min(this.#maxDrainSeconds ?? Number.POSITIVE_INFINITY, drainBoundSeconds);
        void this.#shutdownOnce(reason, exitCode).then((summary) => this.#exit(summary.exitCode));
      },
      pause: (reason) => this.#inStandby(() => this.#pause(reason)),
      resume: (reason) => this.#inStandby(() => this.#resume(reason)),
    };
    return createInstanceNotices({
      options: config.notices,
      instanceId,
      region,
      env: this.#deps.env,
      imdsTimeoutMs: config.imdsTimeoutMs,
      apiTimeoutMs: config.apiTimeoutMs,
      retry: { maxAttempts: config.retryMaxAttempts, baseMs: config.retryBaseMs, maxDelayMs: config.retryMaxDelayMs },
      closeReserveMs: config.graceMs + SPOT_CLOSE_MARGIN_MS,
      log: this.#log,
      hooks,
    });
  }

  /** Standby leaves and rejoins run one after the other, in the order AWS reported them. */
  #inStandby(step: () => Promise<void>): void {
    this.#standbyTask = this.#standbyTask.then(step).catch((error: unknown) => {
      if (!this.#rejoin.signal.aborted) this.#log.error({ phase: 'standby', err: error }, 'standby step failed');
    });
  }

  /** Standby/Detached: leave every balancer and keep serving (the group may bring the instance back). */
  async #pause(reason: string): Promise<void> {
    if (this.#rejoin.signal.aborted || this.state !== 'in-service') return;
    this.#machine.to('standby');
    this.#log.info({ phase: 'standby', reason }, `${reason}: leaving the balancers, still serving`);
    const notLeftBefore = this.#notLeft.length;
    await this.#phase('standby-left', () => this.#leave(this.#rejoin.signal), (l) => ({ balancers: l.map((b) => ({ label: b.balancer.label, left: b.routing !== null })) }));
    // Logged by #leave; only the shutdown's own leave decides the exit code (it deregisters every balancer again).
    this.#notLeft.length = notLeftBefore;
  }

  /** InService again: join the balancers left in #pause, as at startup. */
  async #resume(reason: string): Promise<void> {
    const signal = this.#rejoin.signal;
    if (signal.aborted || this.state !== 'standby') return;
    this.#log.info({ phase: 'rejoin', reason }, `${reason}: joining the balancers again`);
    const balancers = [...this.#registered];
    this.#machine.to('registering');
    await this.#phase('register', () => this.#eachBalancer(balancers, (b) => b.register(signal)));
    if (signal.aborted) return;
    this.#machine.to('joining');
    await this.#phase('in-service', () =>
      this.#eachBalancer(balancers, (b) => waitInService(b, { intervalMs: this.#config.pollIntervalMs, timeoutMs: this.#config.inServiceTimeoutMs, signal })),
    );
    if (signal.aborted) return;
    this.#machine.to('in-service');
  }

  #onSignal(signal: NodeJS.Signals): void {
    // Counted per signal, not per shutdown: a shutdown the app started itself (or exitOnStartupFailure) is joined by
    // the first signal, which then exits when it ends; only a second signal means "now".
    this.#signalsSeen++;
    if (this.#signalsSeen === 1) {
      void this.#shutdownOnce(signal, EXIT_CODES.ok).then((summary) => this.#exit(summary.exitCode));
    } else {
      void this.#forceExit(new ForcedBySignalError(signal), signalExitCode(signal));
    }
  }

  async #runShutdown(reason: string, exitCodeIfClean: number, drainSeconds: number): Promise<ShutdownSummary> {
    const { graceMs } = this.#config;
    const signalAt = Date.now();
    this.#signalAt = signalAt;
    const deadlineMs = drainSeconds * 1000 + graceMs;
    // e. The one hard deadline over the whole shutdown, armed before anything else can block or throw.
    this.#hardDeadline = setTimeout(
      () => void this.#forceExit(new ShutdownTimeoutError(deadlineMs, this.#traffic.inFlight), this.#crashed ? EXIT_CODES.crashed : EXIT_CODES.shutdownTimeout),
      deadlineMs,
    );
    this.#hardDeadline.unref();

    // a. From now on the health route answers 503 and every response closes its connection.
    this.#traffic.startDraining();
    this.#log.info({ phase: 'signal', reason, state: this.state, inFlight: this.#traffic.inFlight, drainSeconds }, `shutdown: ${reason}`);
    this.#startup.abort();
    this.#rejectReady(new ShutdownBeforeReadyError(reason));
    this.#machine.to('leaving');
    await this.#startupTask; // every startup wait is abortable: this settles at once

    const drainWindow = abortAfter(this.#stopping.signal, drainSeconds * 1000 - (Date.now() - signalAt));
    try {
      // A Standby deployment: EnterStandby first, so the group neither health-checks nor replaces the instance.
      await this.#notices?.beforeLeave(drainWindow.signal);
      // b. Leave every balancer joined (or maybe joined), in parallel; one failing does not stop the others.
      //    A signal before registration has nothing to leave.
      const left = await this.#phase('deregister', () => this.#leave(drainWindow.signal), (l) => ({ balancers: l.map((b) => ({ label: b.balancer.label, left: b.routing !== null })) }));
      const leftAt = Date.now();

      // c. Drain: until nobody routes here, nothing is in flight and the quiet window passed; never past drainSeconds.
      //    The supervisor hears which balancers could not be left (usually none); the app hears it may close its
      //    long-lived connections (WebSocket, SSE), which count in the drain like requests.
      this.#stateMembership = this.#membership(left.filter((l) => l.routing === null).map((l) => l.balancer));
      this.#machine.to('draining');
      const open = this.#openConnections();
      this.#log.info({ phase: 'draining', open }, 'draining');
      try {
        this.emit('draining', { reason, deadlineAt: signalAt + drainSeconds * 1000, open });
      } catch (error) {
        // The app's listener failing must not stop the drain it is a part of.
        this.#log.error({ phase: 'draining', err: error }, 'a draining listener threw');
      }
      const decision = await this.#phase('drained', () => this.#drain(signalAt, leftAt, left, drainSeconds), (d) => ({ drain: d.reason, inFlight: this.#traffic.inFlight, open: this.#openConnections() }));

      // d. Stop accepting, close idle keep-alive sockets, give stragglers the grace, destroy what is left.
      //    Upgraded sockets have no request to finish: the closer destroys them at once, so they are counted here.
      //    What is left is reported now, by kind, before the grace can run into the hard deadline.
      this.#machine.to('closing');
      const openAtClose = this.#openConnections();
      if (countOpen(openAtClose) > 0) {
        this.#log.error(
          { phase: 'closing', open: openAtClose },
          `the drain ended with ${describeOpen(openAtClose)} still open: upgraded sockets are cut now, requests and streams after graceMs (${this.#config.graceMs} ms)`,
        );
      }
      await this.#phase('closed', () => this.#closer.close());
      clearTimeout(this.#hardDeadline);

      const cutRequests = this.#traffic.cutAfterSignal;
      const cutStreams = this.#traffic.cutStreamsAfterSignal;
      const cut: OpenConnections = { websocket: openAtClose.websocket, upgrade: openAtClose.upgrade, stream: cutStreams, request: cutRequests - cutStreams };
      if (countOpen(cut) > 0) {
        this.#log.error(
          { phase: 'closed', cut, cutRequests },
          `cut at the end of the drain: ${describeOpen(cut)}` + (cut.websocket > 0 ? ' (WebSockets without a close frame: the app did not close them on the draining event)' : ''),
        );
      }
      const balancers = left.map((l) => ({ label: l.balancer.label, left: l.routing !== null }));
      let exitCode: number = countOpen(cut) > 0 ? EXIT_CODES.shutdownTimeout : exitCodeIfClean;
      if (this.#notLeft.length > 0) {
        // The supervisor records this with the state: `graceful-elb stop` reports it and exits non-zero.
        const failure = new LeaveFailedError(this.#notLeft);
        this.#stateError = { code: failure.code, message: failure.message };
        exitCode = EXIT_CODES.leaveFailed;
      }
      // A crash is the cause of everything after it (the supervisor leaves what could not be left: docs/leaving.md).
      if (this.#crashed) exitCode = EXIT_CODES.crashed;
      this.#machine.to('closed');
      return { reason, drain: decision.reason, exitCode, cutRequests, cut, balancers, durationMs: Date.now() - signalAt };
    } catch (error) {
      // Only close() (aborting every wait) or a bug gets here; the hard deadline still stands until close().
      this.#log.error({ phase: 'shutdown', err: error }, 'shutdown interrupted');
      const balancers = [...this.#registered].map((b) => ({ label: b.label, left: false }));
      const cutRequests = this.#traffic.cutAfterSignal;
      const cut = { ...this.#upgrades.byProtocol(), stream: this.#traffic.cutStreamsAfterSignal, request: cutRequests - this.#traffic.cutStreamsAfterSignal };
      return { reason, drain: 'interrupted', exitCode: this.#crashed ? EXIT_CODES.crashed : EXIT_CODES.shutdownTimeout, cutRequests, cut, balancers, durationMs: Date.now() - signalAt };
    } finally {
      drainWindow.dispose();
    }
  }

  /** Deregisters from every registered balancer; each result says whether the balancer may still route (null = unknown). */
  async #leave(signal: AbortSignal): Promise<Array<{ balancer: Balancer; routing: boolean | null }>> {
    const toLeave = [...this.#registered];
    const results = await Promise.allSettled(toLeave.map((b) => b.deregister(signal)));
    return toLeave.map((balancer, i) => {
      const result = results[i];
      if (result?.status === 'fulfilled') return { balancer, routing: true };
      // Keep serving: the balancer may still route here, so the drain waits out drainSeconds. The health route
      // answers 503 meanwhile, so the balancer's own health check takes the instance out of service.
      this.#notLeft.push(balancer.label);
      this.#log.error({ phase: 'deregister', balancer: balancer.label, err: result?.reason }, `could not leave ${balancer.label}; serving on until drainSeconds`);
      return { balancer, routing: null };
    });
  }

  async #drain(signalAt: number, leftAt: number, left: Array<{ balancer: Balancer; routing: boolean | null }>, drainSeconds: number): Promise<DrainDecision> {
    const config = this.#config;
    // Only balancers that accepted the deregistration are asked; one that refused stays "unknown" to the end.
    const watched = left.filter((l) => l.routing !== null);
    let lastPollAt = Number.NEGATIVE_INFINITY;
    let polling = false;
    let lastReason: DrainReason | undefined;
    for (;;) {
      const now = Date.now();
      const pending = watched.filter((l) => l.routing !== false);
      if (!polling && pending.length > 0 && now - lastPollAt >= config.pollIntervalMs) {
        polling = true;
        lastPollAt = now;
        void Promise.allSettled(
          pending.map(async (l) => {
            try {
              // Sticky once false: a deregistered instance does not start receiving traffic again.
              l.routing = (await l.balancer.view(this.#stopping.signal)).routing;
            } catch (error) {
              l.routing = null;
              this.#log.warn({ balancer: l.balancer.label, err: error }, 'cannot read the balancer while draining');
            }
          }),
        ).finally(() => {
          polling = false;
        });
      }
      const decision = decideDrain({
        now,
        signalAt,
        leftAt,
        drainSeconds: Math.min(drainSeconds, this.#maxDrainSeconds ?? Number.POSITIVE_INFINITY),
        quietMs: Math.min(config.quietMs, drainSeconds * 1000),
        inFlight: this.#traffic.inFlight + this.#upgrades.open,
        lastRequestAt: this.#traffic.lastRequestAt,
        balancers: left.map((l) => ({ label: l.balancer.label, routing: l.routing })),
      });
      if (decision.done) return decision;
      if (decision.reason !== lastReason) this.#log.debug({ phase: 'draining', wait: decision.reason, balancers: decision.balancers, open: this.#openConnections() }, 'draining');
      lastReason = decision.reason;
      await delay(DRAIN_TICK_MS, undefined, { signal: this.#stopping.signal, ref: false });
    }
  }

  /** The hard deadline or a second signal: say what is still open, end it, exit now. */
  async #forceExit(error: GracefulElbError, exitCode: number): Promise<void> {
    if (this.#exiting) return;
    this.#log.error({ phase: 'exit', err: error, exitCode, open: this.#openConnections(), openRequests: this.#traffic.openRequests() }, error.message);
    // A balancer not left outweighs the deadline: it is what `graceful-elb stop` must report (a second signal is the
    // operator's own choice and keeps its code, and so does a crash).
    const keepsCode = error instanceof ForcedBySignalError || error instanceof AppCrashedError || this.#crashed;
    const reported = this.#notLeft.length > 0 && !keepsCode ? new LeaveFailedError(this.#notLeft, { cause: error }) : error;
    if (reported !== error) exitCode = EXIT_CODES.leaveFailed;
    this.#ipc.state('closed', { code: reported.code, message: reported.message });
    this.#config.server.closeAllConnections();
    await this.#exit(exitCode);
  }

  async #exit(exitCode: number): Promise<void> {
    if (this.#exiting) return;
    this.#exiting = true;
    const now = Date.now();
    const shutdownMs = this.#signalAt === undefined ? undefined : now - this.#signalAt;
    const notLeft = this.#notLeft;
    if (notLeft.length > 0) {
      this.#log.error({ phase: 'exit', exitCode, durationMs: shutdownMs, uptimeMs: now - this.#startedAt, notLeft }, `exit ${exitCode}: could not leave ${notLeft.join(', ')}; the instance may still be registered`);
    } else {
      this.#log.info({ phase: 'exit', exitCode, durationMs: shutdownMs, uptimeMs: now - this.#startedAt }, `exit ${exitCode}`);
    }
    await this.#ipc.flush(IPC_FLUSH_MS);
    this.close();
    this.#config.exit(exitCode);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [signal, handler] of this.#signalHandlers) this.#deps.process.off(signal, handler);
    this.#signalHandlers.clear();
    this.#crashHandlers?.remove();
    this.#config.server.off('close', this.#onServerClose);
    clearTimeout(this.#hardDeadline);
    this.#startup.abort();
    this.#stopping.abort();
    this.#rejoin.abort();
    this.#notices?.close();
    this.#rejectReady(new ShutdownBeforeReadyError('close()'));
    this.#traffic.close();
    this.#upgrades.close();
    this.#closer.dispose();
  }

  // ── Helpers ──────────────────────────────────────────────────────────────────────────────────────────────────────

  /** Open connections by kind: classified only when asked (never per request). */
  #openConnections(): OpenConnections {
    const requests = this.#traffic.openRequests();
    const stream = requests.filter((r) => r.streaming).length;
    return { ...this.#upgrades.byProtocol(), stream, request: requests.length - stream };
  }

  /** The IPC membership for `balancers` (the supervisor's backstop), when this instance has an identity. */
  #membership(balancers: readonly Balancer[]): JoinedBalancers | undefined {
    if (this.#instanceId === undefined) return undefined;
    const { apiTimeoutMs, retryMaxAttempts, retryBaseMs, retryMaxDelayMs } = this.#config;
    const { elbNames, targetGroups } = membershipsOf(balancers);
    return {
      instanceId: this.#instanceId,
      ...(this.#region !== undefined && { region: this.#region }),
      elbNames: [...elbNames],
      targetGroups: targetGroups.map((g) => ({ ...g })),
      apiTimeoutMs,
      retry: { maxAttempts: retryMaxAttempts, baseMs: retryBaseMs, maxDelayMs: retryMaxDelayMs },
    };
  }

  /** Runs one phase and logs one line for it with its duration (and, on failure, the error). */
  async #phase<T>(phase: string, run: () => Promise<T>, describe?: (result: T) => object): Promise<T> {
    const started = Date.now();
    try {
      const result = await run();
      this.#log.info({ phase, durationMs: Date.now() - started, ...describe?.(result) }, phase);
      return result;
    } catch (error) {
      if (!isAbortError(error)) this.#log.error({ phase, durationMs: Date.now() - started, err: error }, `${phase} failed`);
      throw error;
    }
  }

  /** Runs `action` on every balancer in parallel; each failure is logged with its label; the first one is thrown. */
  async #eachBalancer(balancers: readonly Balancer[], action: (b: Balancer) => Promise<unknown>): Promise<void> {
    const results = await Promise.allSettled(balancers.map(action));
    const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [{ label: balancers[i]?.label, error: r.reason as unknown }] : []));
    if (balancers.length > 1) for (const f of failures) this.#log.error({ balancer: f.label, err: f.error }, `${f.label} failed`);
    if (failures[0] !== undefined) throw failures[0].error;
  }
}

/** The TCP port the server listens on (it does: the startup waited for it). */
function listeningPort(server: ResolvedOptions['server']): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/** "2 websocket, 1 stream" (kinds with none left out). */
function describeOpen(open: OpenConnections): string {
  return (Object.entries(open) as Array<[string, number]>).filter(([, n]) => n > 0).map(([kind, n]) => `${n} ${kind}`).join(', ');
}
