import { Writable } from 'node:stream';
import { join } from 'node:path';
import { resolveDemoOptions } from '../src/demo/demoOptions.js';
import { DemoSession } from '../src/demo/engine.js';
import { baselineCensus, takeCensus, type Census } from './processCensus.js';
import { soakPlan } from './soakPlan.js';

export interface SoakOptions {
  readonly deployments: number;
  readonly ratePerSecond: number;
  /** The whole soak must send at least this many requests; each run's load lasts long enough for its share. */
  readonly minRequests: number;
  readonly instances: number;
  readonly drainSeconds: number;
  /** Where the session and each deployment's report and timeline go. */
  readonly outputDir: string;
  readonly libraryRoot: string;
  readonly log: (line: string) => void;
  /** The demo's own progress lines (default: nowhere). */
  readonly progress?: Writable;
  readonly warmupSeconds?: number;
  readonly tailSeconds?: number;
  readonly badRevisionProbeSeconds?: number;
  readonly signal?: AbortSignal;
}

export interface SoakDeployment {
  readonly n: number;
  readonly scenario: string;
  readonly strategy: string;
  readonly status: string;
  readonly sent: number;
  readonly failed: number;
  readonly deploymentMs: number;
  readonly ok: boolean;
  readonly report: string;
}

export interface SoakCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface SoakResult {
  readonly deployments: readonly SoakDeployment[];
  readonly totals: { readonly sent: number; readonly failed: number; readonly durationMs: number };
  /**
   * before: the fleet after the first deployment (pools filled, code warmed up), and for the local ELB the most it held
   * after any of the first cycle (see `BASELINE_DEPLOYMENTS`); after: everything after the last deployment.
   */
  readonly census: { readonly before: Census; readonly after: Census };
  readonly checks: readonly SoakCheck[];
  readonly ok: boolean;
}

/**
 * The soak: one local ELB and one fleet, then `deployments` measured deployments in a row under load, alternating
 * deployment configurations and scenarios that must lose nothing. Then the leak check: the fleet's processes
 * (count, open fds, RSS) and the local ELB's (the soak process: fds, heap after GC, handles) after the last
 * deployment against the baseline of the first cycle.
 */
export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const plan = soakPlan(o.deployments);
  const durationSeconds = Math.ceil(o.minRequests / o.deployments / o.ratePerSecond) + 2;
  const options = resolveDemoOptions({ instances: o.instances, rate: o.ratePerSecond, duration: durationSeconds, drainSeconds: o.drainSeconds, outputDir: o.outputDir });
  const startedAt = Date.now();
  const session = await DemoSession.open({
    ...options,
    libraryRoot: o.libraryRoot,
    out: o.progress ?? devNull(),
    tty: false,
    signal: o.signal,
    warmupSeconds: o.warmupSeconds,
    tailSeconds: o.tailSeconds,
    badRevisionProbeSeconds: o.badRevisionProbeSeconds,
  });
  const deployments: SoakDeployment[] = [];
  const firstCycle: Census[] = [];
  let after: Census | undefined;
  try {
    for (const [i, step] of plan.entries()) {
      const n = i + 1;
      const dir = join(session.runDir, `deployment-${String(n).padStart(2, '0')}-${step.scenario}`);
      const { report, files } = await session.run({ ...step, dir });
      const d: SoakDeployment = {
        n,
        scenario: step.scenario,
        strategy: step.strategyLabel,
        status: report.rollback ? `${report.deployment.status}, rollback ${report.rollback.status}` : report.deployment.status,
        sent: report.traffic.totals.sent,
        failed: report.failedRequests,
        deploymentMs: (report.rollback?.endedAt ?? report.deployment.endedAt) - report.deployment.startedAt,
        ok: report.ok,
        report: files.json,
      };
      deployments.push(d);
      o.log(
        `${String(n).padStart(2)}/${plan.length} ${d.scenario.padEnd(15)} ${d.strategy.padEnd(28)} ${d.status.padEnd(30)} ` +
          `${d.sent.toLocaleString('en-US').padStart(7)} sent, ${d.failed} failed${d.ok ? '' : '  ← its promise does not hold'}`,
      );
      if (n <= BASELINE_DEPLOYMENTS) firstCycle.push(takeCensus(session.runDir));
    }
    after = takeCensus(session.runDir);
  } finally {
    await session.close();
  }
  const sent = deployments.reduce((s, d) => s + d.sent, 0);
  const failed = deployments.reduce((s, d) => s + d.failed, 0);
  const census = { before: firstCycle.length > 0 ? baselineCensus(firstCycle) : after, after };
  const checks = soakChecks({ deployments, sent, failed, minRequests: o.minRequests, instances: o.instances, census });
  return { deployments, totals: { sent, failed, durationMs: Date.now() - startedAt }, census, checks, ok: checks.every((c) => c.ok) };
}

/**
 * What the local ELB holds when a deployment ends depends on which one it was (a rollback leaves more timers than a
 * OneAtATime deployment): its baseline is the most it held after any of the first five deployments, which run every
 * configuration once and a failed revision. A leak grows with every deployment and passes that; the mix does not.
 */
const BASELINE_DEPLOYMENTS = 5;

/** Bounds with room for a busy machine: a leak grows with every deployment, noise does not. */
const LEAK_BOUNDS = {
  /** Open fds of the local ELB may differ by pooled keep-alive sockets to the instances. */
  localElbFdsSlack: 20,
  heapGrowthKiB: 32 * 1024,
  activeResourcesSlack: 10,
  /** Per fleet process: a fresh app or supervisor opens about as many fds as the one it replaced. */
  fleetFdsSlackPerProcess: 4,
  fleetRssGrowth: 1.5,
} as const;

export function soakChecks(input: {
  deployments: readonly SoakDeployment[];
  sent: number;
  failed: number;
  minRequests: number;
  instances: number;
  census: { before: Census; after: Census };
}): SoakCheck[] {
  const { before, after } = input.census;
  const sum = (c: Census, field: 'fds' | 'rssKiB'): number => c.fleet.reduce((s, p) => s + p[field], 0);
  const broken = input.deployments.filter((d) => !d.ok).map((d) => d.n);
  return [
    { name: 'every deployment kept its promise', ok: broken.length === 0, detail: broken.length === 0 ? `${input.deployments.length} of ${input.deployments.length}` : `not: ${broken.join(', ')}` },
    { name: 'zero failed requests', ok: input.failed === 0, detail: `${input.failed} failed of ${input.sent.toLocaleString('en-US')}` },
    { name: `at least ${input.minRequests.toLocaleString('en-US')} requests`, ok: input.sent >= input.minRequests, detail: input.sent.toLocaleString('en-US') },
    {
      name: 'fleet process count unchanged',
      ok: after.fleet.length === before.fleet.length && after.fleet.length > 0,
      detail: `${before.fleet.length} → ${after.fleet.length} (supervisors and apps of ${input.instances} instances)`,
    },
    {
      name: 'fleet open fds unchanged',
      ok: sum(after, 'fds') <= sum(before, 'fds') + LEAK_BOUNDS.fleetFdsSlackPerProcess * after.fleet.length,
      detail: `${sum(before, 'fds')} → ${sum(after, 'fds')}`,
    },
    {
      name: 'fleet RSS not growing',
      ok: sum(after, 'rssKiB') <= sum(before, 'rssKiB') * LEAK_BOUNDS.fleetRssGrowth,
      detail: `${mib(sum(before, 'rssKiB'))} → ${mib(sum(after, 'rssKiB'))}`,
    },
    {
      name: 'local ELB open fds unchanged',
      ok: after.localElb.fds <= before.localElb.fds + LEAK_BOUNDS.localElbFdsSlack,
      detail: `${before.localElb.fds} → ${after.localElb.fds}`,
    },
    {
      name: 'local ELB heap not growing (after GC)',
      ok: after.localElb.heapUsedKiB <= before.localElb.heapUsedKiB + LEAK_BOUNDS.heapGrowthKiB,
      detail: `${mib(before.localElb.heapUsedKiB)} → ${mib(after.localElb.heapUsedKiB)} (RSS ${mib(before.localElb.rssKiB)} → ${mib(after.localElb.rssKiB)})`,
    },
    {
      name: 'local ELB handles unchanged',
      ok: after.localElb.activeResources <= before.localElb.activeResources + LEAK_BOUNDS.activeResourcesSlack,
      detail: `${before.localElb.activeResources} → ${after.localElb.activeResources}${kindChanges(before.localElb.activeResourcesByKind, after.localElb.activeResourcesByKind)}`,
    },
  ];
}

/** " (Timeout +14, TCPSocketWrap −2)": the kinds whose count changed, largest change first; empty when none did. */
function kindChanges(before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>): string {
  const changes = [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .map((kind) => ({ kind, delta: (after[kind] ?? 0) - (before[kind] ?? 0) }))
    .filter((c) => c.delta !== 0)
    .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta));
  return changes.length === 0 ? '' : ` (${changes.map((c) => `${c.kind} ${c.delta > 0 ? '+' : '−'}${Math.abs(c.delta)}`).join(', ')})`;
}

const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;

function devNull(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}
