import type { BadRevisionWindow } from './badRevisionWindow.js';
import { formatCapacity, type CapacityReport } from './capacity.js';
import type { WorkMixEntry } from './defaults.js';
import type { DeploymentStatus } from './deploymentPlan.js';
import { instanceDurations, type InstanceDurations, type InstanceMoments } from './instancePhases.js';
import type { HostLoopReport } from './hostLoop.js';
import type { MachineInfo } from './machine.js';
import type { ScenarioName } from './scenario.js';
import type { ScenarioCheck } from './scenarioChecks.js';
import type { TrafficBucket, TrafficSnapshot } from './trafficRecorder.js';

/** graceful: the library; naive: plain stop/start; seed: the article's scripts; builtin: CodeDeploy's own BlockTraffic/AllowTraffic. */
export type DemoMode = 'graceful' | 'naive' | 'seed' | 'builtin';

export interface InstanceReport {
  readonly instanceId: string;
  /** 1-based batch number; undefined when skipped. */
  readonly batch: number | undefined;
  /** Untouched: a scenario without a deployment (crash) left it alone. */
  readonly status: 'Succeeded' | 'Failed' | 'Skipped' | 'Untouched';
  readonly error: string | undefined;
  /** Lifecycle events as run, in ms since the load started. */
  readonly events: ReadonlyArray<{ event: string; from: number; to: number; ok: boolean }>;
  readonly moments: InstanceMoments;
  readonly durations: InstanceDurations;
  /** Requests it took after it was back in service (proof it rejoined): 2xx by header, or routed by the balancer. */
  readonly servedAfterRejoin: number;
  /** First hook start → last hook end: what CodeDeploy waits for before the next batch. */
  readonly deployMs: number | undefined;
  /** failed-revision: how the automatic rollback went on this instance. */
  readonly rollback?: { readonly status: 'Succeeded' | 'Failed'; readonly error: string | undefined };
  /** failed-revision: while the bad revision ran here, and whether it got any traffic. */
  readonly badRevision?: BadRevisionWindow;
}

export interface DemoReport {
  readonly kind: 'graceful-elb-demo';
  readonly version: 1;
  readonly mode: DemoMode;
  readonly scenario: ScenarioName;
  readonly startedAt: string;
  readonly machine: MachineInfo;
  /** The demo process's event loop while the load ran (it hosts the local ELB and the load generator). */
  readonly host: HostLoopReport;
  readonly settings: {
    readonly instances: number;
    readonly strategy: string;
    readonly ratePerSecond: number;
    readonly durationSeconds: number;
    readonly drainSeconds: number;
    readonly keepAliveShare: number;
    readonly workMix: readonly WorkMixEntry[];
    readonly propagationDelayMs: number;
    readonly balancer: 'classic' | 'alb' | 'nlb';
    readonly balancerDrainSeconds: number;
    readonly healthCheck: { readonly path: string; readonly intervalSeconds: number; readonly timeoutSeconds: number; readonly healthyThreshold: number; readonly unhealthyThreshold: number };
  };
  /** Every change of the state the balancer reported per instance, in ms since the load started. */
  readonly balancerStates: ReadonlyArray<{ readonly instanceId: string; readonly at: number; readonly state: string }>;
  /** Every change of whether the instance's app accepted connections, in ms since the load started. */
  readonly appListening: ReadonlyArray<{ readonly instanceId: string; readonly at: number; readonly listening: boolean }>;
  readonly deployment: {
    readonly id: string;
    readonly status: DeploymentStatus;
    readonly reason: string | undefined;
    readonly batches: readonly (readonly string[])[];
    /** ms since the load started */
    readonly startedAt: number;
    readonly endedAt: number;
    /** Never reached: the deployment stopped first (they keep the old revision). */
    readonly skipped: readonly string[];
  };
  /** crash, scale-in, spot: what happened to the instance it happened to. */
  readonly incident?: CrashIncidentReport | LeaveIncidentReport;
  /** failed-revision: CodeDeploy's automatic rollback, a new deployment of the last good revision. */
  readonly rollback: { readonly id: string; readonly status: DeploymentStatus; readonly reason: string | undefined; readonly instances: readonly string[]; readonly startedAt: number; readonly endedAt: number } | undefined;
  /** What taking instances out cost the others. */
  readonly capacity: CapacityReport;
  readonly traffic: TrafficSnapshot & {
    /** Where the per-instance counts come from: the app's `x-instance-id` header on 2xx answers, or the balancer's own count. */
    readonly attribution: Attribution;
    readonly inFlightAtStop: number;
    readonly keepAliveConnections: number;
    readonly keepAliveRate: number;
    readonly freshRate: number;
    /** ms from the load's start to its stop */
    readonly durationMs: number;
  };
  readonly instances: readonly InstanceReport[];
  /** non-2xx answers plus socket errors, timeouts and lost requests */
  readonly failedRequests: number;
  /** The scenario's promise, part by part. */
  readonly checks: readonly ScenarioCheck[];
  /** true when every check holds (for deploy: no request failed and the deployment succeeded): the demo's exit code 0 */
  readonly ok: boolean;
}

export type Attribution = 'response header' | 'balancer count';

/** The scale-in and spot scenarios' account, in ms since the load started. */
export interface LeaveIncidentReport {
  readonly kind: 'scale-in' | 'spot';
  readonly instanceId: string;
  /** The scale-in or the Spot notice. */
  readonly at: number;
  readonly inFlightAtNotice: number;
  /** The balancer stopped routing to the instance. */
  readonly leftAt: number | undefined;
  readonly exitedAt: number | undefined;
  readonly exitCode: number | null;
  readonly exitSignal: string | null;
  /** Notice (or scale-in) → out of the balancer. */
  readonly noticeToOutMs: number | undefined;
  /** Out of the balancer → the process exited. */
  readonly drainMs: number | undefined;
  /** scale-in: the termination lifecycle hook, and when the group proceeded (the app completed the action, or the timeout). */
  readonly lifecycle?: {
    readonly hook: string;
    readonly heartbeatTimeoutSeconds: number;
    readonly waitStartedAt: number | undefined;
    readonly proceededAt: number | undefined;
    readonly cause: string | undefined;
    readonly heartbeats: number;
  };
  /** spot: when EC2 takes the instance (two minutes after the notice). */
  readonly terminationTime?: number;
}

/** The crash scenario's account, in ms since the load started. */
export interface CrashIncidentReport {
  readonly kind: 'crash';
  readonly instanceId: string;
  /** The uncaught exception. */
  readonly at: number;
  /** Requests the balancer had in flight to the instance then: the most a crash may cost. */
  readonly inFlightAtCrash: number;
  readonly exitedAt: number | undefined;
  readonly exitCode: number | null;
  readonly exitSignal: string | null;
  /** The balancer stopped routing to the instance. */
  readonly leftAt: number | undefined;
  readonly restartedAt: number | undefined;
  /** The balancer routed to the new process. */
  readonly backAt: number | undefined;
  /** How long the balancer kept routing to the instance after its process was gone: the black hole. */
  readonly blackHoleMs: number;
}

/** Per-instance counts come from the response header when most 2xx answers carried it, else from the balancer. */
export function chooseAttribution(traffic: TrafficSnapshot): Attribution {
  return traffic.totals.ok > 0 && traffic.totals.unattributed <= traffic.totals.ok / 2 ? 'response header' : 'balancer count';
}

/** The per-instance counts of one bucket under the chosen attribution. */
export function perInstance(bucket: TrafficBucket, attribution: Attribution): Readonly<Record<string, number>> {
  return attribution === 'response header' ? bucket.servedBy : bucket.routedTo;
}

/** Requests an instance took in buckets that start at or after `fromMs`. */
export function servedSince(traffic: TrafficSnapshot, attribution: Attribution, instanceId: string, fromMs: number | undefined): number {
  if (fromMs === undefined) return 0;
  return traffic.buckets.filter((b) => b.startMs >= fromMs).reduce((sum, b) => sum + (perInstance(b, attribution)[instanceId] ?? 0), 0);
}

export function instanceReport(
  input: Omit<InstanceReport, 'durations' | 'servedAfterRejoin' | 'deployMs' | 'rollback' | 'badRevision'>,
  traffic: TrafficSnapshot,
  attribution: Attribution,
): InstanceReport {
  const first = input.events[0];
  const last = input.events.at(-1);
  return {
    ...input,
    deployMs: first && last ? last.to - first.from : undefined,
    durations: instanceDurations(input.moments),
    servedAfterRejoin: servedSince(traffic, attribution, input.instanceId, input.moments.inServiceAt),
  };
}

const seconds = (ms: number | undefined): string => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);
const count = (n: number): string => n.toLocaleString('en-US');

/** The end-of-run summary printed to the terminal (plain text, no colours, so it pastes into the README). */
export function formatSummary(report: DemoReport, files?: { json: string; timeline: string }): string {
  const { traffic, deployment, settings } = report;
  const t = traffic.totals;
  const lines: string[] = [];
  lines.push(
    `graceful-elb-local demo: ${report.scenario} scenario, ${report.mode} mode, ${settings.strategy}, ${settings.instances} instances, ${settings.ratePerSecond} req/s`,
  );
  // A crash, scale-in or Spot notice is no deployment: its own lines below say what happened.
  if (!report.incident) {
    lines.push(
      `Deployment ${deployment.id} ${deployment.status} in ${seconds(deployment.endedAt - deployment.startedAt)} ` +
        `(${deployment.batches.length} wave${deployment.batches.length === 1 ? '' : 's'})` +
        (deployment.reason ? `: ${deployment.reason}` : ''),
    );
  }
  if (report.incident && report.incident.kind !== 'crash') {
    const l = report.incident;
    lines.push(
      `${l.kind === 'scale-in' ? 'Scale-in' : 'Spot interruption notice'} of ${l.instanceId} at ${seconds(l.at)} with ${l.inFlightAtNotice} request(s) in flight: ` +
        `out of the balancer ${seconds(l.noticeToOutMs)} later, drained in ${seconds(l.drainMs)}, process exited at ${seconds(l.exitedAt)} ` +
        `(${l.exitCode !== null ? `exit code ${l.exitCode}` : (l.exitSignal ?? '?')})`,
    );
    if (l.lifecycle) {
      const waited = l.lifecycle.proceededAt !== undefined && l.lifecycle.waitStartedAt !== undefined ? l.lifecycle.proceededAt - l.lifecycle.waitStartedAt : undefined;
      lines.push(
        `Lifecycle hook ${l.lifecycle.hook}: Terminating:Wait at ${seconds(l.lifecycle.waitStartedAt)}, proceeded at ${seconds(l.lifecycle.proceededAt)} ` +
          `(${l.lifecycle.cause ?? 'not yet'}; ${seconds(waited)} of the hook's ${l.lifecycle.heartbeatTimeoutSeconds} s timeout, ${l.lifecycle.heartbeats} heartbeat(s))`,
      );
    }
    if (l.terminationTime !== undefined) lines.push(`EC2 would take the instance at ${seconds(l.terminationTime)} (the notice's two minutes)`);
  }
  if (report.incident?.kind === 'crash') {
    const c = report.incident;
    const how = c.exitCode !== null ? `exit code ${c.exitCode}` : (c.exitSignal ?? '?');
    lines.push(
      `Crash of ${c.instanceId} at ${seconds(c.at)} with ${c.inFlightAtCrash} request(s) in flight: out of the balancer at ${seconds(c.leftAt)}, ` +
        `process exited at ${seconds(c.exitedAt)} (${how}), restarted at ${seconds(c.restartedAt)}, back in service at ${seconds(c.backAt)}; ` +
        `black hole (routed to while dead): ${seconds(c.blackHoleMs)}`,
    );
  }
  if (report.rollback) {
    const r = report.rollback;
    lines.push(`Rollback ${r.id} (last good revision to ${r.instances.join(', ')}) ${r.status} in ${seconds(r.endedAt - r.startedAt)}${r.reason ? `: ${r.reason}` : ''}`);
  }
  lines.push(formatCapacity(report.capacity, settings.instances));
  lines.push('');
  lines.push(
    `Requests  sent ${count(t.sent)}  2xx ${count(t.ok)}  non-2xx ${count(t.non2xx)}  socket errors ${count(t.errors)}` +
      `  (${count(traffic.inFlightAtStop)} in flight when the load stopped, not counted)`,
  );
  if (t.non2xx > 0) lines.push(`  non-2xx by status: ${Object.entries(t.statuses).map(([s, n]) => `${s} × ${count(n)}`).join(', ')}`);
  if (t.errors > 0) lines.push(`  errors by kind: ${Object.entries(t.errorCodes).map(([c, n]) => `${c} × ${count(n)}`).join(', ')}`);
  lines.push(`Failed requests: ${count(report.failedRequests)}`);
  if (report.host.starved) {
    lines.push(
      `  the demo process (the local ELB and the load generator) was held up to ${report.host.maxMs} ms (event loop delay, p99 ${report.host.p99Ms} ms): ` +
        'this machine was too busy to run the demo, and requests time out then whatever the deployment does',
    );
  }
  lines.push('');
  const header = ['instance', 'leave', 'drain', 'down', 'rejoin', 'in service at', 'cycle', 'hooks', 'served after'];
  const rows = report.instances.map((i) => [
    i.status === 'Succeeded' || i.status === 'Untouched' ? i.instanceId : `${i.instanceId} (${i.status})`,
    seconds(i.durations.leaveMs),
    i.durations.routedWhileDownMs ? `${seconds(i.durations.drainMs)} +${seconds(i.durations.routedWhileDownMs)} dead` : seconds(i.durations.drainMs),
    seconds(i.durations.downMs),
    seconds(i.durations.rejoinMs),
    seconds(i.moments.inServiceAt),
    seconds(i.durations.cycleMs),
    seconds(i.deployMs),
    count(i.servedAfterRejoin),
  ]);
  lines.push(...table(header, rows));
  for (const i of report.instances) if (i.error) lines.push(`  ${i.instanceId}: ${i.error}`);
  if (report.checks.length > 0) {
    lines.push('');
    for (const c of report.checks) lines.push(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  }
  lines.push('');
  lines.push(
    'leave = signal → balancer stops routing; drain = → process exited ("dead" = balancer still routing to a stopped process); ' +
      'down = → new process started; rejoin = → balancer routes to it again; cycle = signal → back in service; ' +
      'hooks = first hook start → last hook end (what the next batch waits for).',
  );
  if (files) {
    lines.push(`Timeline: ${files.timeline}`);
    lines.push(`Report:   ${files.json}`);
  }
  const broken = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
  lines.push(
    report.ok
      ? `Result: the ${report.scenario} scenario's promise holds (${count(report.failedRequests)} failed requests).`
      : `Result: FAILED (${broken.join('; ') || `${report.failedRequests} failed requests`}).`,
  );
  return lines.join('\n');
}

/** Left-aligned first column, right-aligned others. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const format = (cells: readonly string[]): string =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ').trimEnd();
  return [format(header), ...rows.map(format)];
}
