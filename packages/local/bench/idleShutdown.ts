import { BENCH_DEFAULTS, DEMO_DEFAULTS } from '../src/demo/defaults.js';
import { libraryDefaults } from './libraryDefaults.js';
import { freePort, startBenchApp, startBenchBalancer } from './appProcess.js';
import { median } from './stats.js';

export interface IdleShutdownResult {
  readonly runs: number;
  /** signal → exit, ms, per run */
  readonly latenciesMs: readonly number[];
  readonly exitCodes: readonly (number | null)[];
  readonly medianMs: number;
  /** quiet window + propagation delay + 0.5 s: the target */
  readonly targetMs: number;
}

/**
 * Signal → exit with no traffic: the example app with the library, in service behind the local ELB, gets
 * SIGTERM; the library must deregister, see the balancer stop routing, wait its quiet window and exit —
 * well before drainSeconds (30 s here).
 */
export async function measureIdleShutdown(libraryRoot: string, log: (line: string) => void): Promise<IdleShutdownResult> {
  const drainSeconds = 30;
  const latenciesMs: number[] = [];
  const exitCodes: (number | null)[] = [];
  const lb = await startBenchBalancer(drainSeconds, {});
  try {
    for (let i = 0; i < BENCH_DEFAULTS.idleShutdownRuns; i++) {
      const app = await startBenchApp({ libraryRoot, lb, index: i, port: await freePort(), library: true, drainSeconds });
      const signalledAt = performance.now();
      app.child.kill('SIGTERM');
      const exit = await app.exited;
      latenciesMs.push(exit.at - signalledAt);
      exitCodes.push(exit.code);
      log(`  idle shutdown ${i + 1}/${BENCH_DEFAULTS.idleShutdownRuns}: ${Math.round(exit.at - signalledAt)} ms, exit code ${exit.code}`);
    }
  } finally {
    await lb.close();
  }
  return {
    runs: latenciesMs.length,
    latenciesMs,
    exitCodes,
    medianMs: median(latenciesMs),
    targetMs: (await libraryDefaults(libraryRoot)).quietMs + DEMO_DEFAULTS.propagationDelayMs + 500,
  };
}
