// `npm run soak`: 20 rolling deployments in a row under load on one local ELB and one fleet, alternating deployment
// configurations and scenarios that must lose nothing (≥ 200 000 requests, 0 failed), then a leak check of the
// fleet's processes and the local ELB. Results: bench/results/soak-<date>.{md,json}. Exit 0 only when all holds.
//   npm run soak -- [--deployments N] [--rate R] [--min-requests M] [--quick]
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_DEFAULTS } from '../src/demo/defaults.js';
import { describeMachine, machineInfo } from '../src/demo/machine.js';
import { libraryRoot } from '../src/packageRoots.js';
import { runSoak, type SoakResult } from './soakRunner.js';
import { duration, markdownTable, seconds } from './stats.js';

/** What `npm run soak` does unless told otherwise; --quick is a smoke run of the same machinery. */
const SOAK_DEFAULTS = {
  full: { deployments: 20, ratePerSecond: DEMO_DEFAULTS.ratePerSecond, minRequests: 200_000 },
  quick: { deployments: 5, ratePerSecond: 100, minRequests: 10_000 },
} as const;

const { values } = parseArgs({
  options: {
    deployments: { type: 'string' },
    rate: { type: 'string' },
    'min-requests': { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});
const base = values.quick ? SOAK_DEFAULTS.quick : SOAK_DEFAULTS.full;
const deployments = wholeNumber('--deployments', values.deployments, base.deployments);
const ratePerSecond = wholeNumber('--rate', values.rate, base.ratePerSecond);
const minRequests = wholeNumber('--min-requests', values['min-requests'], base.minRequests);

const resultsDir = join(import.meta.dirname, 'results');
mkdirSync(resultsDir, { recursive: true });
const outputDir = mkdtempSync(join(tmpdir(), 'graceful-elb-soak-'));
const machine = machineInfo();
const date = new Date();
const log = (line: string): void => void process.stdout.write(`${line}\n`);
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());

log(`graceful-elb soak, ${date.toISOString()}, ${describeMachine(machine)}`);
log(`${deployments} deployments of ${DEMO_DEFAULTS.instances} instances at ${ratePerSecond} req/s, at least ${minRequests.toLocaleString('en-US')} requests; runs in ${outputDir}`);
const result = await runSoak({
  deployments,
  ratePerSecond,
  minRequests,
  instances: DEMO_DEFAULTS.instances,
  drainSeconds: DEMO_DEFAULTS.drainSeconds,
  outputDir,
  libraryRoot: libraryRoot(),
  log,
  signal: controller.signal,
});
const stamp = `${date.toISOString().slice(0, 10)}${values.quick ? '-quick' : ''}`;
const markdown = render(result);
writeFileSync(join(resultsDir, `soak-${stamp}.md`), `${markdown}\n`);
writeFileSync(
  join(resultsDir, `soak-${stamp}.json`),
  `${JSON.stringify({ kind: 'graceful-elb-soak', version: 1, date: date.toISOString(), machine, settings: { deployments, ratePerSecond, minRequests, instances: DEMO_DEFAULTS.instances, drainSeconds: DEMO_DEFAULTS.drainSeconds }, ...result }, null, 2)}\n`,
);
log('');
log(markdown);
log('');
log(`Saved bench/results/soak-${stamp}.md and .json; each deployment's report and timeline are in ${outputDir}`);
process.exitCode = result.ok ? 0 : 1;

function render(r: SoakResult): string {
  return [
    `### Soak, ${date.toISOString().slice(0, 10)}`,
    '',
    `Machine: ${describeMachine(machine)}. ${deployments} deployments in a row on one local ELB and one fleet of ${DEMO_DEFAULTS.instances} instances, ` +
      `${ratePerSecond} req/s of mixed load during each, ${r.totals.sent.toLocaleString('en-US')} requests, ${r.totals.failed} failed, ${duration(r.totals.durationMs)} in all.`,
    '',
    markdownTable(
      ['#', 'scenario', 'configuration', 'outcome', 'deployment', 'requests', 'failed'],
      r.deployments.map((d) => [String(d.n), d.scenario, d.strategy, d.status, seconds(d.deploymentMs), d.sent.toLocaleString('en-US'), String(d.failed)]),
    ),
    '',
    'Leak check, baseline (fleet: after the first deployment; local ELB: the most after any of the first five) → after the last:',
    '',
    markdownTable(['check', 'result', ''], r.checks.map((c) => [c.name, c.ok ? 'ok' : 'FAILED', c.detail])),
    '',
    r.ok ? 'Result: the soak holds.' : 'Result: FAILED.',
  ].join('\n');
}

function wholeNumber(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} must be a whole number of at least 1, got ${JSON.stringify(raw)}`);
  return value;
}
