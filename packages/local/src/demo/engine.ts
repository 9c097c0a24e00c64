import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLocalElb } from '../mock/localElb.js';
import { LIFECYCLE_EVENTS, loadAppSpec, type AppSpec, type LifecycleEvent } from './appSpec.js';
import { watchApps, type AppLiveness } from './appLiveness.js';
import { DEMO_BALANCERS, demoBalancerConfig } from './balancerConfig.js';
import { observeBalancer, type BalancerObserver } from './balancerObserver.js';
import { DEMO_DEFAULTS } from './defaults.js';
import type { DemoOptions } from './demoOptions.js';
import { allocateFleet, DEMO_APP_SCRIPT, provisionFleet, registerFleet, stopFleet, type FleetInstance, type FleetMembership } from './fleet.js';
import { runHooks, type DeploymentIdentity } from './hookRunner.js';
import { instanceMoments } from './instancePhases.js';
import { startLoad, type LoadHandle, type LoadStats } from './loadGenerator.js';
import { machineInfo } from './machine.js';
import { writeBaselineRevision } from './modeRevision.js';
import { LiveProgress, type ProgressState } from './progress.js';
import { chooseAttribution, formatSummary, instanceReport, perInstance, type DemoReport } from './report.js';
import { runRollout, type RolloutResult } from './rollout.js';
import { renderTimelineSvg } from './timelineSvg.js';
import { TrafficRecorder } from './trafficRecorder.js';

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
}

export interface DemoRunResult {
  readonly report: DemoReport;
  readonly summary: string;
  readonly files: { readonly dir: string; readonly json: string; readonly timeline: string };
}

/**
 * The demo, top to bottom: a local ELB, a fleet of example apps under the supervisor (first deployment),
 * steady mixed load through the balancer, a simulated CodeDeploy deployment of a new revision running the
 * mode's appspec hooks batch by batch, the load kept on until every instance is back, then the report.
 */
export async function runDemo(options: DemoRunOptions): Promise<DemoRunResult> {
  checkPackage(options.libraryRoot);
  const startedAt = new Date();
  const runDir = resolve(options.outputDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}-${options.mode}`);
  mkdirSync(runDir, { recursive: true });
  const out = options.out ?? process.stdout;
  const progress = new LiveProgress(out, { tty: options.tty ?? (out as { isTTY?: boolean }).isTTY === true });
  const warmupMs = (options.warmupSeconds ?? DEMO_DEFAULTS.warmupSeconds) * 1000;
  const tailMs = (options.tailSeconds ?? DEMO_DEFAULTS.tailSeconds) * 1000;

  const allocated = await allocateFleet(options.instances);
  const names = DEMO_BALANCERS[options.balancer];
  const targetGroup = options.balancer !== 'classic';
  const lb = await startLocalElb({
    config: demoBalancerConfig(options.drainSeconds, options.balancer),
    listenerPorts: 'ephemeral',
    propagationDelayMs: DEMO_DEFAULTS.propagationDelayMs,
    instances: Object.fromEntries(allocated.map((i) => [i.id, `127.0.0.1:${i.port}`])),
    imds: { requireToken: false },
    logger: false,
  });
  const membership: FleetMembership = targetGroup
    ? { kind: 'target-group', arn: lb.status().targetGroups.find((g) => g.name === names.members)!.arn }
    : { kind: 'classic', name: names.members };
  const fleet = provisionFleet(
    allocated,
    { count: options.instances, runDir, mode: options.mode, libraryRoot: options.libraryRoot, membership, drainSeconds: options.drainSeconds },
    lb,
  );
  const logs = new Map(fleet.map((i) => [i.id, createWriteStream(join(runDir, `hooks-${i.id}.log`))]));
  const steps = new Map(fleet.map((i) => [i.id, 'starting']));
  let recorder: TrafficRecorder | undefined;
  let loadOrigin = Date.now();
  const appStates = new Map<string, boolean>();
  const observer = observeBalancer({
    status: () => lb.status(),
    balancer: names.members,
    kind: targetGroup ? 'target-group' : 'classic',
    intervalMs: DEMO_DEFAULTS.observeIntervalMs,
    // Absolute epoch ms: the load (whose start is the report's zero) begins only after the fleet is up.
    origin: () => 0,
    onRouted: (id, delta) => recorder?.routed(id, delta),
    onTransition: (t, view) => {
      if (recorder) progress.note(`${clock(t.at - loadOrigin)} ${t.instanceId} ${t.routing ? 'is routed to again' : 'no longer routed to'} (${view.state}${view.description ? `: ${view.description}` : ''})`);
    },
    // A target group keeps a target `draining` for the whole delay, whatever the process does: say when it ends.
    onStateChange: (change, before) => {
      if (!recorder || !targetGroup || before.state !== 'draining') return;
      const app = appStates.get(change.instanceId) === false ? 'its app is not listening' : 'its app is listening';
      const why = change.state === 'not registered' || change.state === 'unused' ? 'deregistration delay over' : 'registered again before the delay ended';
      progress.note(`${clock(change.at - loadOrigin)} ${change.instanceId} target ${before.state} → ${change.state} (${why}; ${app})`);
    },
  });
  const liveness: AppLiveness = watchApps(fleet, DEMO_DEFAULTS.observeIntervalMs, (change) => {
    appStates.set(change.instanceId, change.listening);
    if (!recorder) return;
    const view = observer.view(change.instanceId);
    progress.note(`${clock(change.at - loadOrigin)} ${change.instanceId} app ${change.listening ? 'listening' : 'stopped listening'} (balancer says: ${view.state})`);
  });

  let load: LoadHandle | undefined;
  let ticker: NodeJS.Timeout | undefined;
  try {
    const appSpec = revisionFor(options, runDir);
    const initial: DeploymentIdentity = deploymentIdentity();
    const hookOptions = (instance: FleetInstance, deployment: DeploymentIdentity) => ({
      appSpec,
      instanceId: instance.id,
      deployment,
      env: instance.env,
      signal: options.signal,
      onOutput: (line: string) => logs.get(instance.id)?.write(`${new Date().toISOString()} ${line}\n`),
      onEvent: (e: { instanceId: string; event: LifecycleEvent; phase: 'start' | 'end'; ok?: boolean; at: number }) => {
        steps.set(e.instanceId, e.phase === 'start' ? e.event : e.ok ? `${e.event} ✓` : `${e.event} ✗`);
        if (recorder) progress.note(`${clock(e.at - loadOrigin)} ${e.instanceId} ${e.event} ${e.phase === 'start' ? 'started' : e.ok ? 'succeeded' : 'FAILED'}`);
      },
    });

    // The fleet's first deployment (not measured): CodeDeploy skips ApplicationStop on new instances.
    progress.note(`Starting ${fleet.length} instances of ${DEMO_APP_SCRIPT} behind the local ELB (${options.mode} mode)…`);
    await Promise.all(fleet.map((instance) => runHooks(hookOptions(instance, initial), firstDeploymentEvents(options.mode))));
    if (options.mode !== 'graceful') await registerFleet(fleet, membership);
    await observer.waitFor((view) => fleet.every((i) => view(i.id).routing), 60_000, 'every instance is in service');
    for (const i of fleet) steps.set(i.id, 'waiting');

    // Steady load, then the new revision.
    loadOrigin = Date.now();
    recorder = new TrafficRecorder({ bucketMs: DEMO_DEFAULTS.bucketMs, startedAt: loadOrigin });
    const listener = lb.listeners.find((l) => l.balancer === names.listener);
    if (!listener) throw new Error(`the local ELB has no listener for ${names.listener}`);
    load = startLoad({
      url: listener.url,
      ratePerSecond: options.ratePerSecond,
      keepAliveShare: DEMO_DEFAULTS.keepAliveShare,
      ratePerKeepAliveConnection: DEMO_DEFAULTS.ratePerKeepAliveConnection,
      keepAliveStagger: DEMO_DEFAULTS.keepAliveStagger,
      workMix: DEMO_DEFAULTS.workMix,
      requestTimeoutSeconds: DEMO_DEFAULTS.requestTimeoutSeconds,
      recorder,
    });
    const live = recorder;
    const headline = `graceful-elb-local demo (${options.mode}, ${options.balancer}, ${options.strategyLabel}, ${options.ratePerSecond} req/s)`;
    let stage = 'warming up';
    let notedFailures = 0;
    ticker = setInterval(() => {
      progress.update(progressState(headline, stage, live, fleet, steps, observer, liveness, loadOrigin));
      if (live.failures > notedFailures) {
        progress.note(`${clock(Date.now() - loadOrigin)} ${live.failures - notedFailures} more request(s) failed (${live.failures} so far)`);
        notedFailures = live.failures;
      }
    }, 250);
    ticker.unref();
    await sleep(warmupMs, undefined, { signal: options.signal });

    const deployment = deploymentIdentity();
    const rollout = await runRollout({
      instanceIds: fleet.map((i) => i.id),
      config: options.strategy,
      onBatch: (batch, index) => {
        stage = `deployment ${deployment.deploymentId}, batch ${index}: ${batch.join(', ')}`;
        progress.note(`${clock(Date.now() - loadOrigin)} batch ${index}: ${batch.join(', ')}`);
      },
      deployInstance: async (id, reports) => {
        const instance = fleet.find((i) => i.id === id);
        if (!instance) throw new Error(`unknown instance ${id}`);
        await runHooks({ ...hookOptions(instance, deployment), reports }, LIFECYCLE_EVENTS);
      },
    });
    stage = `deployment ${rollout.outcome.status}; keeping the load on`;
    const loadUntil = Math.max(loadOrigin + options.durationSeconds * 1000, rollout.endedAt + tailMs);
    await sleep(Math.max(0, loadUntil - Date.now()), undefined, { signal: options.signal });
    const stats = await load.stop();
    load = undefined;
    const loadEndedAt = Date.now();
    clearInterval(ticker);
    progress.update(progressState(headline, 'done', live, fleet, steps, observer, liveness, loadOrigin));
    progress.finish();

    const report = buildReport({ options, startedAt, deployment, rollout, recorder: live, stats, observer, liveness, loadOrigin, loadEndedAt, fleet });
    const files = { dir: runDir, json: join(runDir, 'report.json'), timeline: join(runDir, 'timeline.svg') };
    writeFileSync(files.json, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(files.timeline, renderTimelineSvg(report));
    const shown = { json: relativePath(files.json), timeline: relativePath(files.timeline) };
    return { report, files, summary: formatSummary(report, shown) };
  } finally {
    if (ticker) clearInterval(ticker);
    progress.finish();
    if (load) await load.stop();
    observer.stop();
    liveness.stop();
    progress.note('Stopping the fleet and the local ELB…');
    await stopFleet(fleet, options.drainSeconds);
    await lb.close();
    await Promise.all([...logs.values()].map((log) => closeLog(log)));
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
  rollout: RolloutResult;
  recorder: TrafficRecorder;
  stats: LoadStats;
  observer: BalancerObserver;
  liveness: AppLiveness;
  loadOrigin: number;
  loadEndedAt: number;
  fleet: readonly FleetInstance[];
}): DemoReport {
  const { options, rollout, loadOrigin } = input;
  const traffic = input.recorder.snapshot();
  const attribution = chooseAttribution(traffic);
  // The seed article stops (and deregisters) in AfterInstall; everything else in ApplicationStop.
  const stopEvent: LifecycleEvent = options.mode === 'seed' ? 'AfterInstall' : 'ApplicationStop';
  const instances = input.fleet.map((instance) => {
    const run = rollout.runs.get(instance.id);
    const events = run?.events ?? [];
    const transitions = input.observer
      .transitions()
      .filter((t) => t.instanceId === instance.id)
      .map((t) => ({ ...t, at: t.at - loadOrigin }));
    return instanceReport(
      {
        instanceId: instance.id,
        batch: run?.batch,
        status: run === undefined ? 'Skipped' : run.error ? 'Failed' : 'Succeeded',
        error: run?.error?.message,
        events: events.map((e) => ({ event: e.event, from: e.startedAt - loadOrigin, to: e.endedAt - loadOrigin, ok: e.ok })),
        moments: instanceMoments(events, transitions, loadOrigin, stopEvent),
      },
      traffic,
      attribution,
    );
  });
  const failedRequests = input.recorder.failures;
  return {
    kind: 'graceful-elb-demo',
    version: 1,
    mode: options.mode,
    startedAt: input.startedAt.toISOString(),
    machine: machineInfo(),
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
    deployment: {
      id: input.deployment.deploymentId,
      status: rollout.outcome.status,
      reason: rollout.outcome.reason,
      batches: rollout.batches,
      startedAt: rollout.startedAt - loadOrigin,
      endedAt: rollout.endedAt - loadOrigin,
    },
    traffic: { ...traffic, attribution, ...input.stats, durationMs: input.loadEndedAt - loadOrigin },
    instances,
    failedRequests,
    ok: failedRequests === 0 && rollout.outcome.status === 'Succeeded',
  };
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
