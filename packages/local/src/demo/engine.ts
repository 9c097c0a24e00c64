import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLocalElb, type LocalElb } from '../mock/localElb.js';
import { LIFECYCLE_EVENTS, loadAppSpec, type AppSpec, type LifecycleEvent } from './appSpec.js';
import { watchApps, type AppLiveness } from './appLiveness.js';
import { DEMO_BALANCERS, DEMO_TERMINATION_HOOK, demoBalancerConfig } from './balancerConfig.js';
import { observeBalancer, type BalancerObserver } from './balancerObserver.js';
import { DEMO_DEFAULTS } from './defaults.js';
import type { DemoOptions } from './demoOptions.js';
import type { DeploymentConfig } from './deploymentPlan.js';
import type { ScenarioName } from './scenario.js';
import { allocateFleet, DEMO_APP_SCRIPT, provisionFleet, registerFleet, stopFleet, type FleetInstance, type FleetMembership } from './fleet.js';
import { writeBadRevision } from './badRevision.js';
import { writeCrashApp } from './crashApp.js';
import { crashInstance, type CrashIncident } from './crashScenario.js';
import { leaveForGood, type LeaveIncident } from './instanceLeave.js';
import { runHooks, type DeploymentIdentity, type HookEventReport } from './hookRunner.js';
import { badRevisionWindow } from './badRevisionWindow.js';
import { measureCapacity } from './capacity.js';
import { HookFailedError } from './errors.js';
import { instanceMoments, type RoutingTransition } from './instancePhases.js';
import { scenarioChecks } from './scenarioChecks.js';
import { startLoad, type LoadHandle, type LoadStats } from './loadGenerator.js';
import { monitorHostLoop, type HostLoopReport } from './hostLoop.js';
import { machineInfo } from './machine.js';
import { writeBaselineRevision } from './modeRevision.js';
import { LiveProgress, type ProgressState } from './progress.js';
import { chooseAttribution, formatSummary, instanceReport, perInstance, type Attribution, type CrashIncidentReport, type DemoReport, type LeaveIncidentReport, type InstanceReport } from './report.js';
import { runRollout, type RolloutResult } from './rollout.js';
import { renderTimelineSvg } from './timelineSvg.js';
import { TrafficRecorder, type TrafficSnapshot } from './trafficRecorder.js';

export interface DemoRunOptions extends DemoOptions {
  /** The package checkout: examples/app.mjs, appspec.template.yml, examples/codedeploy/scripts, dist/cli.js. */
  readonly libraryRoot: string;
  /** Live progress goes here (default: stdout); a terminal gets a redrawn block, anything else plain lines. */
  readonly out?: Writable & { isTTY?: boolean };
  readonly tty?: boolean;
  /** Aborting (Ctrl-C) stops the load and the running hook, then tears the fleet down. */
  readonly signal?: AbortSignal;
  /** Overrides of DEMO_DEFAULTS for quick runs (tests). */
  readonly warmupSeconds?: number;
  readonly tailSeconds?: number;
  readonly badRevisionProbeSeconds?: number;
  readonly crashBootSeconds?: number;
}

export interface DemoRunResult {
  readonly report: DemoReport;
  readonly summary: string;
  readonly files: { readonly dir: string; readonly json: string; readonly timeline: string };
}

/** What one measured run chooses: the scenario and the deployment configuration (the soak alternates them). */
export interface DemoRunPlan {
  readonly scenario: ScenarioName;
  readonly strategy: DeploymentConfig;
  readonly strategyLabel: string;
  /** Where this run's report and timeline go. @default the session's directory */
  readonly dir?: string;
}

/**
 * The demo, top to bottom: a local ELB, a fleet of example apps under the supervisor (first deployment),
 * steady mixed load through the balancer, a simulated CodeDeploy deployment of a new revision running the
 * mode's appspec hooks in a rolling window, the load kept on until every instance is back, then the report.
 */
export async function runDemo(options: DemoRunOptions): Promise<DemoRunResult> {
  const session = await DemoSession.open(options);
  try {
    return await session.run(options);
  } finally {
    await session.close();
  }
}

/**
 * A local ELB and a fleet that outlive one measured run: `runDemo` opens one for a single run, the soak for
 * twenty in a row (so it can tell whether anything leaks from one deployment to the next).
 */
export class DemoSession {
  readonly options: DemoRunOptions;
  readonly runDir: string;
  readonly lb: LocalElb;
  readonly fleet: readonly FleetInstance[];
  readonly #progress: LiveProgress;
  readonly #logs: Map<string, WriteStream>;
  readonly #steps: Map<string, string>;
  readonly #observer: BalancerObserver;
  /** Whether each instance's app listens, beside what the balancer says (a target stays `draining` after its app exited). */
  readonly #liveness: AppLiveness;
  readonly #appStates = new Map<string, boolean>();
  /** Names of the balancer's listener and of what instances join (Classic ELB or target group). */
  readonly #names: { readonly listener: string; readonly members: string };
  readonly #membership: FleetMembership;
  readonly #appSpec: AppSpec;
  /** What every deployment runs unless a run says otherwise: the example app, or the crash scenario's app. */
  readonly #baseEnv: NodeJS.ProcessEnv;
  /** The measured run in progress: its recorder and zero, for the observer's callbacks and the hooks' notes. */
  #current: { recorder: TrafficRecorder; origin: number } | undefined;
  #closing: Promise<void> | undefined;

  private constructor(init: { options: DemoRunOptions; runDir: string; lb: LocalElb; fleet: FleetInstance[]; progress: LiveProgress; membership: FleetMembership }) {
    this.options = init.options;
    this.#names = DEMO_BALANCERS[init.options.balancer];
    this.#membership = init.membership;
    const targetGroup = init.membership.kind === 'target-group';
    this.runDir = init.runDir;
    this.lb = init.lb;
    this.fleet = init.fleet;
    this.#progress = init.progress;
    this.#logs = new Map(init.fleet.map((i) => [i.id, createWriteStream(join(init.runDir, `hooks-${i.id}.log`), { flags: 'a' })]));
    this.#steps = new Map(init.fleet.map((i) => [i.id, 'starting']));
    this.#appSpec = revisionFor(init.options, init.runDir);
    const crashApp =
      init.options.scenario === 'crash'
        ? writeCrashApp(join(init.runDir, 'crash-app'), init.options.libraryRoot, (init.options.crashBootSeconds ?? DEMO_DEFAULTS.crashBootSeconds) * 1000)
        : undefined;
    this.#baseEnv = {
      ...(crashApp ? { GRACEFUL_ELB_APP_DIR: crashApp.appDir, GRACEFUL_ELB_APP_SCRIPT: crashApp.appScript } : {}),
      // The library asks IMDS for scale-in and Spot notices this often (its default, 5 s, is AWS's advice for Spot).
      ...(init.options.scenario === 'scale-in' || init.options.scenario === 'spot' ? { GRACEFUL_ELB_NOTICE_INTERVAL_MS: String(DEMO_DEFAULTS.noticeIntervalMs) } : {}),
    };
    this.#observer = observeBalancer({
      status: () => init.lb.status(),
      balancer: this.#names.members,
      kind: targetGroup ? 'target-group' : 'classic',
      intervalMs: DEMO_DEFAULTS.observeIntervalMs,
      // Absolute epoch ms: each run's report subtracts its own zero (the moment its load started).
      origin: () => 0,
      onRouted: (id, delta) => this.#current?.recorder.routed(id, delta),
      onTransition: (t, view) => {
        if (this.#current) this.#note(t.at, `${t.instanceId} ${t.routing ? 'is routed to again' : 'no longer routed to'} (${view.state}${view.description ? `: ${view.description}` : ''})`);
      },
      // A target group keeps a target `draining` for the whole delay, whatever the process does: say when it ends.
      onStateChange: (change, before) => {
        if (!this.#current || !targetGroup || before.state !== 'draining') return;
        const app = this.#appStates.get(change.instanceId) === false ? 'its app is not listening' : 'its app is listening';
        const why = change.state === 'not registered' || change.state === 'unused' ? 'deregistration delay over' : 'registered again before the delay ended';
        this.#note(change.at, `${change.instanceId} target ${before.state} → ${change.state} (${why}; ${app})`);
      },
    });
    this.#liveness = watchApps(init.fleet, DEMO_DEFAULTS.observeIntervalMs, (change) => {
      this.#appStates.set(change.instanceId, change.listening);
      if (!this.#current) return;
      const view = this.#observer.view(change.instanceId);
      this.#note(change.at, `${change.instanceId} app ${change.listening ? 'listening' : 'stopped listening'} (balancer says: ${view.state})`);
    });
  }

  /** Starts the local ELB and the fleet (its first deployment, not measured) and waits until every instance is in service. */
  static async open(options: DemoRunOptions): Promise<DemoSession> {
    checkPackage(options.libraryRoot);
    const runDir = resolve(options.outputDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${options.scenario}-${options.mode}`);
    mkdirSync(runDir, { recursive: true });
    const out = options.out ?? process.stdout;
    const progress = new LiveProgress(out, { tty: options.tty ?? (out as { isTTY?: boolean }).isTTY === true });
    const allocated = await allocateFleet(options.instances);
    const leaves = options.scenario === 'scale-in' || options.scenario === 'spot';
    const lb = await startLocalElb({
      config: demoBalancerConfig(
        options.drainSeconds,
        options.balancer,
        leaves ? { instanceIds: allocated.map((i) => i.id), hookTimeoutSeconds: DEMO_DEFAULTS.lifecycleHookTimeoutSeconds } : undefined,
      ),
      listenerPorts: 'ephemeral',
      propagationDelayMs: DEMO_DEFAULTS.propagationDelayMs,
      instances: Object.fromEntries(allocated.map((i) => [i.id, `127.0.0.1:${i.port}`])),
      imds: { requireToken: false },
      logger: false,
    });
    const names = DEMO_BALANCERS[options.balancer];
    const membership: FleetMembership =
      options.balancer === 'classic'
        ? { kind: 'classic', name: names.members }
        : { kind: 'target-group', arn: lb.status().targetGroups.find((g) => g.name === names.members)!.arn };
    const fleet = provisionFleet(
      allocated,
      { count: options.instances, runDir, mode: options.mode, libraryRoot: options.libraryRoot, membership, drainSeconds: options.drainSeconds },
      lb,
    );
    let session: DemoSession | undefined;
    try {
      session = new DemoSession({ options, runDir, lb, fleet, progress, membership });
      await session.#start();
      return session;
    } catch (err) {
      if (session) await session.close();
      else await lb.close();
      throw err;
    }
  }

  async #start(): Promise<void> {
    const { options, fleet } = this;
    this.#progress.note(`Live page of the local ELB: ${this.lb.livePageUrl}`);
    // The fleet's first deployment (not measured): CodeDeploy skips ApplicationStop on new instances.
    this.#progress.note(`Starting ${fleet.length} instances of ${DEMO_APP_SCRIPT} behind the local ELB (${options.mode} mode)…`);
    const initial = deploymentIdentity();
    await Promise.all(fleet.map((instance) => runHooks(this.#hookOptions(instance, initial), firstDeploymentEvents(options.mode))));
    if (options.mode !== 'graceful') await registerFleet(fleet, this.#membership);
    await this.#observer.waitFor((view) => fleet.every((i) => view(i.id).routing), 60_000, 'every instance is in service');
    for (const i of fleet) this.#steps.set(i.id, 'waiting');
  }

  /** One measured run: steady load, the scenario's deployment (and rollback), the load kept on, the report. */
  async run(plan: DemoRunPlan): Promise<DemoRunResult> {
    const { options, fleet } = this;
    const progress = this.#progress;
    const warmupMs = (options.warmupSeconds ?? DEMO_DEFAULTS.warmupSeconds) * 1000;
    const tailMs = (options.tailSeconds ?? DEMO_DEFAULTS.tailSeconds) * 1000;
    const dir = plan.dir ?? this.runDir;
    mkdirSync(dir, { recursive: true });
    const startedAt = new Date();
    const origin = Date.now();
    const recorder = new TrafficRecorder({ bucketMs: DEMO_DEFAULTS.bucketMs, startedAt: origin });
    this.#current = { recorder, origin };
    const listener = this.lb.listeners.find((l) => l.balancer === this.#names.listener);
    if (!listener) throw new Error(`the local ELB has no listener for ${this.#names.listener}`);
    const hostLoop = monitorHostLoop();
    let load: LoadHandle | undefined = startLoad({
      url: listener.url,
      ratePerSecond: options.ratePerSecond,
      keepAliveShare: DEMO_DEFAULTS.keepAliveShare,
      ratePerKeepAliveConnection: DEMO_DEFAULTS.ratePerKeepAliveConnection,
      keepAliveStagger: DEMO_DEFAULTS.keepAliveStagger,
      workMix: DEMO_DEFAULTS.workMix,
      requestTimeoutSeconds: DEMO_DEFAULTS.requestTimeoutSeconds,
      recorder,
    });
    const headline = `graceful-elb-local demo (${plan.scenario}, ${options.mode}, ${options.balancer}, ${plan.strategyLabel}, ${options.ratePerSecond} req/s)`;
    let stage = 'warming up';
    let notedFailures = 0;
    const ticker = setInterval(() => {
      progress.update(progressState(headline, stage, recorder, fleet, this.#steps, this.#observer, this.#liveness, origin));
      if (recorder.failures > notedFailures) {
        this.#note(Date.now(), `${recorder.failures - notedFailures} more request(s) failed (${recorder.failures} so far)`);
        notedFailures = recorder.failures;
      }
    }, 250);
    ticker.unref();
    try {
      await sleep(warmupMs, undefined, { signal: options.signal });

      let rollout: RolloutResult | undefined;
      let rollback: { deployment: DeploymentIdentity; result: RolloutResult } | undefined;
      let incident: CrashIncident | LeaveIncident | undefined;
      const deployment = deploymentIdentity();
      if (plan.scenario === 'scale-in' || plan.scenario === 'spot') {
        const victim = fleet[0];
        if (!victim) throw new Error(`the ${plan.scenario} scenario needs at least one instance`);
        const autoScaling = this.lb.autoScaling;
        const id = victim.id;
        stage = plan.scenario === 'scale-in' ? `${id} scaled in` : `${id}: Spot interruption notice`;
        this.#note(Date.now(), plan.scenario === 'scale-in' ? `Auto Scaling scales ${id} in (termination hook ${DEMO_TERMINATION_HOOK})` : `EC2 sends ${id} a Spot interruption notice`);
        incident = await leaveForGood({
          kind: plan.scenario,
          instance: victim,
          observer: this.#observer,
          inFlight: (instanceId) => this.#inFlight(instanceId),
          act:
            plan.scenario === 'scale-in'
              ? () => (autoScaling.scaleIn(id), {})
              : () => ({ terminationTime: autoScaling.spotInterrupt(id, 'terminate').time.getTime() }),
          groupView: plan.scenario === 'scale-in' ? () => autoScaling.instances().find((i) => i.instanceId === id) : undefined,
          timeoutMs: DEMO_DEFAULTS.leaveTimeoutSeconds * 1000,
        });
        this.#note(Date.now(), `${id} is gone${incident.exitCode !== undefined ? ` (exit code ${String(incident.exitCode)})` : ''}`);
      } else if (plan.scenario === 'crash') {
        const victim = fleet[0];
        if (!victim) throw new Error('the crash scenario needs at least one instance');
        stage = `${victim.id} crashes`;
        this.#note(Date.now(), `${victim.id}: an uncaught exception (${options.mode === 'graceful' ? 'the library takes it over' : 'the library is off: the process dies at once'})`);
        incident = await crashInstance({
          instance: victim,
          observer: this.#observer,
          inFlight: (id) => this.#inFlight(id),
          timeoutMs: DEMO_DEFAULTS.crashRecoveryTimeoutSeconds * 1000,
        });
        this.#note(Date.now(), `${victim.id} is back in service after its crash`);
      } else {
        // The new revision: the same app (deploy), or one whose health route never passes (failed-revision).
        const bad =
          plan.scenario === 'failed-revision'
            ? writeBadRevision(join(dir, 'bad-revision'), options.libraryRoot, (options.badRevisionProbeSeconds ?? DEMO_DEFAULTS.badRevisionProbeSeconds) * 1000)
            : undefined;
        const revisionEnv: NodeJS.ProcessEnv = bad ? { GRACEFUL_ELB_APP_DIR: bad.appDir, GRACEFUL_ELB_APP_SCRIPT: bad.appScript } : {};
        const deployTo = (identity: DeploymentIdentity, env: NodeJS.ProcessEnv) => async (id: string, reports: HookEventReport[]) => {
          const instance = fleet.find((i) => i.id === id);
          if (!instance) throw new Error(`unknown instance ${id}`);
          await runHooks({ ...this.#hookOptions(instance, identity, env), reports }, LIFECYCLE_EVENTS);
        };
        rollout = await runRollout({
          instanceIds: fleet.map((i) => i.id),
          config: plan.strategy,
          onBatch: (batch, index) => {
            stage = `deployment ${deployment.deploymentId}, wave ${index}: ${batch.join(', ')}`;
            this.#note(Date.now(), `deployment starts on ${batch.join(', ')}`);
          },
          deployInstance: deployTo(deployment, revisionEnv),
        });
        // CodeDeploy's automatic rollback (on deployment failure): a new deployment of the last good revision to
        // the instances that failed; the ones never reached still run it.
        if (plan.scenario === 'failed-revision' && rollout.outcome.failed.length > 0) {
          const rollbackDeployment = deploymentIdentity();
          this.#note(Date.now(), `deployment ${deployment.deploymentId} Failed: ${rollout.outcome.reason ?? ''}; rolling back as ${rollbackDeployment.deploymentId}`);
          const result = await runRollout({
            instanceIds: rollout.outcome.failed,
            config: { kind: 'OneAtATime' },
            onBatch: (batch) => {
              stage = `rollback ${rollbackDeployment.deploymentId}: ${batch.join(', ')}`;
              this.#note(Date.now(), `rollback starts on ${batch.join(', ')}`);
            },
            deployInstance: deployTo(rollbackDeployment, {}),
          });
          rollback = { deployment: rollbackDeployment, result };
        }
      }
      stage = rollout ? `deployment ${rollout.outcome.status}; keeping the load on` : 'keeping the load on';
      const loadUntil = Math.max(origin + options.durationSeconds * 1000, (rollback?.result.endedAt ?? rollout?.endedAt ?? Date.now()) + tailMs);
      await sleep(Math.max(0, loadUntil - Date.now()), undefined, { signal: options.signal });
      const stats = await load.stop();
      load = undefined;
      const loadEndedAt = Date.now();
      const host = hostLoop.stop();
      clearInterval(ticker);
      progress.update(progressState(headline, 'done', recorder, fleet, this.#steps, this.#observer, this.#liveness, origin));
      progress.finish();

      const report = buildReport({
        options: { ...options, ...plan },
        startedAt,
        deployment,
        rollout,
        rollback,
        incident,
        recorder,
        stats,
        observer: this.#observer,
        liveness: this.#liveness,
        loadOrigin: origin,
        loadEndedAt,
        fleet,
        host,
      });
      const files = { dir, json: join(dir, 'report.json'), timeline: join(dir, 'timeline.svg') };
      writeFileSync(files.json, `${JSON.stringify(report, null, 2)}\n`);
      writeFileSync(files.timeline, renderTimelineSvg(report));
      const shown = { json: relativePath(files.json), timeline: relativePath(files.timeline) };
      return { report, files, summary: formatSummary(report, shown) };
    } finally {
      clearInterval(ticker);
      // A run that failed or was aborted stops sampling too (the soak keeps the session for the next run).
      hostLoop.stop();
      progress.finish();
      if (load) await load.stop();
      this.#current = undefined;
    }
  }

  /** Stops the fleet (`graceful-elb stop` on each instance) and the local ELB; idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#observer.stop();
      this.#liveness.stop();
      this.#progress.finish();
      this.#progress.note('Stopping the fleet and the local ELB…');
      await stopFleet(this.fleet, this.options.drainSeconds);
      await this.lb.close();
      await Promise.all([...this.#logs.values()].map((log) => closeLog(log)));
    })();
    return this.#closing;
  }

  #hookOptions(instance: FleetInstance, deployment: DeploymentIdentity, revisionEnv: NodeJS.ProcessEnv = {}) {
    return {
      appSpec: this.#appSpec,
      instanceId: instance.id,
      deployment,
      env: { ...instance.env, ...this.#baseEnv, ...revisionEnv },
      signal: this.options.signal,
      onOutput: (line: string) => this.#logs.get(instance.id)?.write(`${new Date().toISOString()} ${line}\n`),
      onEvent: (e: { instanceId: string; event: LifecycleEvent; phase: 'start' | 'end'; ok?: boolean; at: number }) => {
        this.#steps.set(e.instanceId, e.phase === 'start' ? e.event : e.ok ? `${e.event} ✓` : `${e.event} ✗`);
        if (this.#current) this.#note(e.at, `${e.instanceId} ${e.event} ${e.phase === 'start' ? 'started' : e.ok ? 'succeeded' : 'FAILED'}`);
      },
    };
  }

  /** Requests the balancer has in flight to an instance now. */
  #inFlight(instanceId: string): number {
    const status = this.lb.status();
    const members = this.#membership.kind === 'classic' ? status.classic.find((b) => b.name === this.#names.members)?.instances : status.targetGroups.find((g) => g.name === this.#names.members)?.targets;
    return members?.find((m) => m.instanceId === instanceId)?.inFlight ?? 0;
  }

  /** A progress line stamped with the time since the current run's load started. */
  #note(at: number, line: string): void {
    this.#progress.note(`${clock(at - (this.#current?.origin ?? at))} ${line}`);
  }
}

/** The template for the graceful mode; the generated baseline bundle otherwise. */
function revisionFor(options: DemoRunOptions, runDir: string): AppSpec {
  if (options.mode === 'graceful') return loadAppSpec(join(options.libraryRoot, 'appspec.template.yml'), options.libraryRoot);
  const revision = join(runDir, 'revision');
  return loadAppSpec(writeBaselineRevision(options.mode, revision, { balancer: options.balancer, drainSeconds: options.drainSeconds }), revision);
}

/**
 * The first deployment starts the app. With the library, ValidateService waits until it has joined the
 * balancer by itself; without it, an operator registered the instances once by hand (the demo does it next).
 */
function firstDeploymentEvents(mode: DemoOptions['mode']): LifecycleEvent[] {
  return mode === 'graceful' ? ['ApplicationStart', 'ValidateService'] : ['ApplicationStart'];
}

function deploymentIdentity(): DeploymentIdentity {
  return {
    // CodeDeploy's shape: d- and nine upper-case letters and digits.
    deploymentId: `d-${randomBytes(9).toString('base64').replace(/[^A-Za-z0-9]/g, '0').slice(0, 9).toUpperCase()}`,
    applicationName: 'graceful-elb-demo',
    deploymentGroupName: 'demo-fleet',
    deploymentGroupId: randomUUID(),
  };
}

function progressState(
  headline: string,
  stage: string,
  recorder: TrafficRecorder,
  fleet: readonly FleetInstance[],
  steps: ReadonlyMap<string, string>,
  observer: BalancerObserver,
  liveness: AppLiveness,
  loadOrigin: number,
): ProgressState {
  const last = recorder.lastCompleteBucket();
  const snapshot = recorder.snapshot();
  const attribution = chooseAttribution(snapshot);
  return {
    elapsedMs: Date.now() - loadOrigin,
    headline,
    stage,
    instances: fleet.map((i) => {
      const view = observer.view(i.id);
      return {
        instanceId: i.id,
        step: steps.get(i.id) ?? '',
        balancer: view.description?.includes('deregistration') ? 'draining' : view.state,
        app: liveness.listening(i.id) === undefined ? undefined : liveness.listening(i.id) ? 'listening' : 'down',
        routing: view.routing,
        servedLastSecond: last ? (perInstance(last, attribution)[i.id] ?? 0) : 0,
      };
    }),
    sent: snapshot.totals.sent,
    ok: snapshot.totals.ok,
    failed: recorder.failures,
    answeredLastSecond: last ? last.ok + last.non2xx + last.errors : 0,
  };
}

function buildReport(input: {
  options: DemoRunOptions;
  startedAt: Date;
  deployment: DeploymentIdentity;
  rollout: RolloutResult | undefined;
  rollback: { deployment: DeploymentIdentity; result: RolloutResult } | undefined;
  incident: CrashIncident | LeaveIncident | undefined;
  recorder: TrafficRecorder;
  stats: LoadStats;
  observer: BalancerObserver;
  liveness: AppLiveness;
  loadOrigin: number;
  loadEndedAt: number;
  fleet: readonly FleetInstance[];
  host: HostLoopReport;
}): DemoReport {
  const { options, rollout, rollback, incident, loadOrigin } = input;
  const traffic = input.recorder.snapshot();
  const attribution = chooseAttribution(traffic);
  // The seed article stops (and deregisters) in AfterInstall; everything else in ApplicationStop.
  const stopEvent: LifecycleEvent = options.mode === 'seed' ? 'AfterInstall' : 'ApplicationStop';
  const relative = (t: RoutingTransition): RoutingTransition => ({ ...t, at: t.at - loadOrigin });
  const allTransitions = input.observer.transitions().map(relative);
  const instances = input.fleet.map((instance): InstanceReport => {
    const transitionsOf = allTransitions.filter((t) => t.instanceId === instance.id);
    if (incident?.instanceId === instance.id) return incidentInstanceReport(incident, transitionsOf, loadOrigin, traffic, attribution);
    const run = rollout?.runs.get(instance.id);
    const back = rollback?.result.runs.get(instance.id);
    const events = [...(run?.events ?? []), ...(back?.events ?? [])];
    const transitions = allTransitions.filter((t) => t.instanceId === instance.id);
    // A rolled-back instance: the old process left in the failed deployment, the last good revision started in
    // the rollback; in between ran the bad revision.
    const momentEvents = back ? [...(run?.events ?? []).filter((e) => e.event === stopEvent), ...back.events.filter((e) => e.event !== 'ApplicationStop')] : events;
    const badFrom = back ? run?.events.find((e) => e.event === 'ApplicationStart')?.startedAt : undefined;
    const badTo = back?.events.find((e) => e.event === 'ApplicationStop')?.endedAt;
    return {
      ...instanceReport(
        {
          instanceId: instance.id,
          batch: run?.batch,
          status: run === undefined ? (rollout ? 'Skipped' : 'Untouched') : run.error ? 'Failed' : 'Succeeded',
          error: run?.error ? libraryReason(run.error) : undefined,
          events: events.map((e) => ({ event: e.event, from: e.startedAt - loadOrigin, to: e.endedAt - loadOrigin, ok: e.ok })),
          moments: instanceMoments(momentEvents, transitions, loadOrigin, stopEvent),
        },
        traffic,
        attribution,
      ),
      ...(back
        ? {
            rollback: { status: back.error ? ('Failed' as const) : ('Succeeded' as const), error: back.error ? libraryReason(back.error) : undefined },
            badRevision:
              badFrom !== undefined && badTo !== undefined
                ? badRevisionWindow(instance.id, badFrom - loadOrigin, badTo - loadOrigin, traffic, transitions)
                : undefined,
          }
        : {}),
    };
  });
  const failedRequests = input.recorder.failures;
  const crashed = incident ? instances.find((i) => i.instanceId === incident.instanceId) : undefined;
  const window = rollout
    ? { startedAt: rollout.startedAt - loadOrigin, endedAt: (rollback?.result.endedAt ?? rollout.endedAt) - loadOrigin }
    : {
        startedAt: (incident?.at ?? loadOrigin) - loadOrigin,
        endedAt: crashed?.moments.inServiceAt ?? crashed?.moments.exitedAt ?? input.loadEndedAt - loadOrigin,
      };
  const deployment = rollout
    ? {
        id: input.deployment.deploymentId,
        status: rollout.outcome.status,
        reason: rollout.outcome.reason,
        batches: rollout.batches,
        startedAt: rollout.startedAt - loadOrigin,
        endedAt: rollout.endedAt - loadOrigin,
        skipped: rollout.outcome.skipped,
      }
    : {
        // No deployment: the incident's window (crash → back in service, notice → gone) stands in for it.
        id: `${incident && 'kind' in incident ? incident.kind : 'crash'} of ${incident?.instanceId ?? '?'}`,
        status: crashed?.status === 'Succeeded' ? ('Succeeded' as const) : ('Failed' as const),
        reason: crashed?.status === 'Succeeded' ? undefined : (crashed?.error ?? 'the incident did not end as expected'),
        batches: incident ? [[incident.instanceId]] : [],
        ...window,
        skipped: [],
      };
  const capacity = measureCapacity({
    traffic,
    attribution,
    instanceIds: input.fleet.map((i) => i.id),
    transitions: allTransitions,
    deployment: window,
    peakOutOfService: Math.max(rollout?.peakOutOfService ?? (incident ? 1 : 0), rollback?.result.peakOutOfService ?? 0),
  });
  const report: Omit<DemoReport, 'checks' | 'ok'> = {
    kind: 'graceful-elb-demo',
    version: 1,
    mode: options.mode,
    scenario: options.scenario,
    startedAt: input.startedAt.toISOString(),
    machine: machineInfo(),
    host: input.host,
    settings: {
      instances: options.instances,
      strategy: options.strategyLabel,
      ratePerSecond: options.ratePerSecond,
      durationSeconds: options.durationSeconds,
      drainSeconds: options.drainSeconds,
      keepAliveShare: DEMO_DEFAULTS.keepAliveShare,
      workMix: DEMO_DEFAULTS.workMix,
      propagationDelayMs: DEMO_DEFAULTS.propagationDelayMs,
      balancer: options.balancer,
      // The balancer's own limit: Classic connection draining timeout, or the target group's deregistration delay.
      balancerDrainSeconds: options.drainSeconds,
      healthCheck: { path: '/ping', ...DEMO_DEFAULTS.healthCheck },
    },
    // What the balancer reported and whether the app listened, side by side (ms since the load started).
    balancerStates: input.observer.stateChanges().map((c) => ({ ...c, at: c.at - loadOrigin })),
    appListening: input.liveness.changes().map((c) => ({ ...c, at: c.at - loadOrigin })),
    deployment,
    incident: incident && crashed && ('kind' in incident ? leaveIncidentReport(incident, crashed, loadOrigin) : crashIncidentReport(incident, crashed, loadOrigin)),
    rollback: rollback && {
      id: rollback.deployment.deploymentId,
      status: rollback.result.outcome.status,
      reason: rollback.result.outcome.reason,
      instances: rollback.result.outcome.succeeded.concat(rollback.result.outcome.failed),
      startedAt: rollback.result.startedAt - loadOrigin,
      endedAt: rollback.result.endedAt - loadOrigin,
    },
    capacity,
    traffic: { ...traffic, attribution, ...input.stats, durationMs: input.loadEndedAt - loadOrigin },
    instances,
    failedRequests,
  };
  const checks = scenarioChecks(report);
  return { ...report, checks, ok: checks.every((c) => c.ok) };
}

/**
 * The instance of a crash, scale-in or Spot notice: its moments from the supervisor's record and the balancer's
 * view, not from hooks. As in a deployment, "stop" is incident → exit and "start" exit → the supervisor's respawn
 * (a crash only: an instance scaled in or reclaimed is gone for good).
 */
function incidentInstanceReport(
  incident: CrashIncident | LeaveIncident,
  transitions: readonly RoutingTransition[],
  loadOrigin: number,
  traffic: TrafficSnapshot,
  attribution: Attribution,
): InstanceReport {
  const restartedAt = 'kind' in incident ? undefined : incident.restartedAt;
  const exitedAt = incident.exitedAt ?? incident.at;
  const synthetic: HookEventReport[] = [{ instanceId: incident.instanceId, event: 'ApplicationStop', startedAt: incident.at, endedAt: exitedAt, ok: true }];
  if (restartedAt !== undefined) synthetic.push({ instanceId: incident.instanceId, event: 'ApplicationStart', startedAt: exitedAt, endedAt: restartedAt, ok: true });
  const how = incident.exitCode !== null && incident.exitCode !== undefined ? `exit code ${incident.exitCode}` : (incident.exitSignal ?? 'no exit seen');
  const expectedExit = 'kind' in incident ? (incident.kind === 'scale-in' ? 10 : 11) : undefined;
  const error =
    incident.exitedAt === undefined
      ? 'the app did not exit'
      : expectedExit !== undefined && incident.exitCode !== expectedExit
        ? `the app exited with ${how}, not ${expectedExit}`
        : !('kind' in incident) && restartedAt === undefined
          ? 'the supervisor did not restart the app'
          : undefined;
  const label = 'kind' in incident ? (incident.kind === 'scale-in' ? 'scale-in' : 'Spot notice') : 'crash';
  return instanceReport(
    {
      instanceId: incident.instanceId,
      batch: 1,
      status: error ? 'Failed' : 'Succeeded',
      error,
      events: [
        { event: `${label} → exit (${how})`, from: incident.at - loadOrigin, to: exitedAt - loadOrigin, ok: incident.exitedAt !== undefined },
        ...(restartedAt !== undefined ? [{ event: 'restart', from: exitedAt - loadOrigin, to: restartedAt - loadOrigin, ok: true }] : []),
      ],
      moments: instanceMoments(synthetic, transitions, loadOrigin),
    },
    traffic,
    attribution,
  );
}

function leaveIncidentReport(incident: LeaveIncident, gone: InstanceReport, loadOrigin: number): LeaveIncidentReport {
  const rel = (at: number | undefined): number | undefined => (at === undefined ? undefined : at - loadOrigin);
  const leftAt = gone.moments.leftAt;
  const exitedAt = rel(incident.exitedAt);
  return {
    kind: incident.kind,
    instanceId: incident.instanceId,
    at: incident.at - loadOrigin,
    inFlightAtNotice: incident.inFlight,
    leftAt,
    exitedAt,
    exitCode: incident.exitCode ?? null,
    exitSignal: incident.exitSignal ?? null,
    noticeToOutMs: leftAt === undefined ? undefined : leftAt - (incident.at - loadOrigin),
    drainMs: gone.durations.drainMs,
    ...(incident.lifecycle
      ? {
          lifecycle: {
            hook: DEMO_TERMINATION_HOOK,
            heartbeatTimeoutSeconds: DEMO_DEFAULTS.lifecycleHookTimeoutSeconds,
            waitStartedAt: rel(incident.lifecycle.waitStartedAt),
            proceededAt: rel(incident.lifecycle.proceededAt),
            cause: incident.lifecycle.cause,
            heartbeats: incident.lifecycle.heartbeats,
          },
        }
      : {}),
    ...(incident.terminationTime !== undefined ? { terminationTime: incident.terminationTime - loadOrigin } : {}),
  };
}

function crashIncidentReport(incident: CrashIncident, crashed: InstanceReport, loadOrigin: number): CrashIncidentReport {
  const rel = (at: number | undefined): number | undefined => (at === undefined ? undefined : at - loadOrigin);
  return {
    kind: 'crash',
    instanceId: incident.instanceId,
    at: incident.at - loadOrigin,
    inFlightAtCrash: incident.inFlight,
    exitedAt: rel(incident.exitedAt),
    exitCode: incident.exitCode ?? null,
    exitSignal: incident.exitSignal ?? null,
    leftAt: crashed.moments.leftAt,
    restartedAt: rel(incident.restartedAt),
    backAt: crashed.moments.inServiceAt,
    blackHoleMs: crashed.durations.routedWhileDownMs ?? 0,
  };
}

/** The library's own words from a failed hook (`error [ERR_GRACEFUL_ELB_…]: …`), else the hook's failure. */
function libraryReason(err: Error): string {
  if (!(err instanceof HookFailedError)) return err.message;
  const line = err.outputTail.split('\n').find((l) => /error \[ERR_GRACEFUL_ELB_[A-Z_]+\]/.test(l));
  return line ? `${err.event} failed: ${line.replace(/^.*?(error \[)/, '$1').trim()}` : err.message;
}

function checkPackage(root: string): void {
  for (const [path, hint] of [
    ['dist/cli.js', 'run `npm run build` first'],
    [DEMO_APP_SCRIPT, 'the example app is missing'],
    ['appspec.template.yml', 'the appspec template is missing'],
  ] as const) {
    if (!existsSync(join(root, path))) throw new Error(`${join(root, path)} not found: ${hint}`);
  }
}

const clock = (ms: number): string => `[${(ms / 1000).toFixed(1).padStart(5)} s]`;

function relativePath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

function closeLog(log: WriteStream): Promise<void> {
  return new Promise((resolve) => log.end(() => resolve()));
}
