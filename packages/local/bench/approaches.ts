import { mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { DemoBalancerKind } from '../src/demo/balancerConfig.js';
import { resolveDemoOptions } from '../src/demo/demoOptions.js';
import { runDemo } from '../src/demo/engine.js';
import type { DemoMode, DemoReport } from '../src/demo/report.js';
import { median, range } from './stats.js';

export interface ApproachRun {
  readonly failedRequests: number;
  /** What failed: non-2xx by status and errors by kind, as the demo's report counts them. */
  readonly failures: { readonly statuses: Readonly<Record<string, number>>; readonly errors: Readonly<Record<string, number>> };
  readonly sent: number;
  readonly deploymentStatus: string;
  readonly deploymentMs: number;
  /** signal → back in service, per instance (ms) */
  readonly cyclesMs: readonly number[];
  /** first hook start → last hook end, per instance (ms): what the next OneAtATime batch waits for */
  readonly hooksMs: readonly number[];
  /** The demo process's event loop (the local ELB and the load generator); `starved` runs measured the machine. */
  readonly host: DemoReport['host'];
}

export interface ApproachResult {
  readonly mode: DemoMode;
  readonly balancer: DemoBalancerKind;
  readonly runs: readonly ApproachRun[];
  readonly medianFailedRequests: number;
  readonly failedRange: { min: number; max: number };
  /** medians over every instance of every run */
  readonly medianCycleMs: number;
  readonly medianHooksMs: number;
  readonly medianDeploymentMs: number;
}

export interface ApproachSettings {
  readonly instances: number;
  readonly ratePerSecond: number;
  readonly drainSeconds: number;
  readonly repeats: number;
  /** @default 'classic' */
  readonly balancer?: DemoBalancerKind;
  /** @default ['graceful', 'naive', 'seed'] */
  readonly modes?: readonly DemoMode[];
}

/** The same deployment under the same load behind the same balancer, one approach after the other, `repeats` times each. */
export async function compareApproaches(
  settings: ApproachSettings,
  libraryRoot: string,
  keepTimelines: string | undefined,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<ApproachResult[]> {
  const results: ApproachResult[] = [];
  const balancer = settings.balancer ?? 'classic';
  for (const mode of settings.modes ?? (['graceful', 'naive', 'seed'] as const)) {
    const runs: ApproachRun[] = [];
    for (let i = 0; i < settings.repeats; i++) {
      const outputDir = mkdtempSync(join(tmpdir(), `bench-${balancer}-${mode}-`));
      try {
        const options = resolveDemoOptions({
          instances: settings.instances,
          rate: settings.ratePerSecond,
          // The load lasts until the deployment is over plus the tail, whatever this says.
          duration: 1,
          drainSeconds: settings.drainSeconds,
          naive: mode === 'naive',
          seed: mode === 'seed',
          codedeployBuiltin: mode === 'builtin',
          balancer,
          outputDir,
        });
        // Aborted (Ctrl-C, SIGTERM): the demo stops its load and hooks and tears its fleet down before it throws.
        const { report, files } = await runDemo({ ...options, libraryRoot, out: sink(), tty: false, signal });
        runs.push(summarise(report));
        const last = runs.at(-1);
        const kinds = last ? Object.entries({ ...last.failures.statuses, ...last.failures.errors }).map(([k, n]) => `${k} × ${n}`).join(', ') : '';
        const starved = last?.host.starved ? `; STARVED: the demo process was held up to ${last.host.maxMs} ms, this run measured the machine` : '';
        log(`  ${balancer} ${mode} ${i + 1}/${settings.repeats}: ${last?.failedRequests} failed of ${last?.sent}${kinds ? ` (${kinds})` : ''}, cycles ${last?.cyclesMs.map((c) => (c / 1000).toFixed(1)).join(' / ')} s${starved}`);
        if (keepTimelines && i === 0) copyFileSync(files.timeline, join(keepTimelines, balancer === 'classic' ? `timeline-${mode}.svg` : `timeline-${balancer}-${mode}.svg`));
      } finally {
        rmSync(outputDir, { recursive: true, force: true });
      }
    }
    const failed = runs.map((r) => r.failedRequests);
    results.push({
      mode,
      balancer,
      runs,
      medianFailedRequests: median(failed),
      failedRange: range(failed),
      medianCycleMs: median(runs.flatMap((r) => r.cyclesMs)),
      medianHooksMs: median(runs.flatMap((r) => r.hooksMs)),
      medianDeploymentMs: median(runs.map((r) => r.deploymentMs)),
    });
  }
  return results;
}

function summarise(report: DemoReport): ApproachRun {
  const defined = (values: Array<number | undefined>): number[] => values.filter((v): v is number => v !== undefined);
  return {
    failedRequests: report.failedRequests,
    failures: { statuses: report.traffic.totals.statuses, errors: report.traffic.totals.errorCodes },
    sent: report.traffic.totals.sent,
    deploymentStatus: report.deployment.status,
    deploymentMs: report.deployment.endedAt - report.deployment.startedAt,
    cyclesMs: defined(report.instances.map((i) => i.durations.cycleMs)),
    hooksMs: defined(report.instances.map((i) => i.deployMs)),
    host: report.host,
  };
}

function sink(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}
