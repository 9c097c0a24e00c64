// `npm run bench`: graceful vs naive vs seed under the same load, the library's request-path overhead (and its
// per-request CPU beside http-terminator, lightship and close-with-grace), idle
// shutdown latency, and a 100-instance fleet model, on this machine, in one run. Medians over repeated runs;
// benchmarks, not pass/fail tests. Results: bench/results/bench-<date>.{md,json} (+ the first run's timelines).
//   npm run bench -- [--repeats N] [--quick] [--rate R] [--only approaches,targetgroups,overhead,peers,startup,idle,dataplane] [--library DIR]
// --library measures another build of graceful-elb (e.g. an older checkout's, for a before/after).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_DEFAULTS, DEMO_DEFAULTS } from '../src/demo/defaults.js';
import { modelFleetDeployment, type FleetModel } from '../src/demo/fleetModel.js';
import { describeMachine, machineInfo } from '../src/demo/machine.js';
import { libraryRoot as libraryRootOf } from '../src/packageRoots.js';
import { compareApproaches, type ApproachResult, type ApproachSettings } from './approaches.js';
import { measureDataPlane, type DataPlaneResult } from './dataPlaneSection.js';
import { measureIdleShutdown, type IdleShutdownResult } from './idleShutdown.js';
import { measureOverhead, type OverheadResult } from './overhead.js';
import { measurePeers, type PeersResult } from './peers.js';
import { measureStartup, type StartupResult } from './startup.js';
import { duration, markdownTable, quantile, seconds } from './stats.js';

/** AWS's default deregistration delay, which the target-group rows are scaled to. */
const AWS_DEFAULT_DELAY_SECONDS = 300;

const SECTIONS = ['approaches', 'targetgroups', 'overhead', 'peers', 'startup', 'idle', 'dataplane'] as const;
type Section = (typeof SECTIONS)[number];

// The demo and the apps run from the library's package (dist/cli.js, examples/app.mjs); results stay with the bench.
const resultsDir = join(import.meta.dirname, 'results');

const { values } = parseArgs({
  options: {
    repeats: { type: 'string' },
    quick: { type: 'boolean', default: false },
    rate: { type: 'string' },
    only: { type: 'string' },
    library: { type: 'string' },
  },
});
const repeats = values.repeats === undefined ? (values.quick ? 1 : BENCH_DEFAULTS.repeats) : Number(values.repeats);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be a whole number of at least 1, got ${values.repeats}`);
const only = values.only === undefined ? [...SECTIONS] : values.only.split(',').map((s) => s.trim());
for (const section of only) {
  if (!(SECTIONS as readonly string[]).includes(section)) throw new Error(`--only takes ${SECTIONS.join(', ')}; got ${section}`);
}
const wanted = (section: Section): boolean => only.includes(section);
const libraryRoot = values.library === undefined ? libraryRootOf() : resolve(values.library);

const ratePerSecond = values.rate === undefined ? DEMO_DEFAULTS.ratePerSecond : Number(values.rate);
if (!Number.isInteger(ratePerSecond) || ratePerSecond < 1 || ratePerSecond > 5000) throw new Error(`--rate must be a whole number from 1 to 5000, got ${values.rate}`);
const settings: ApproachSettings = {
  instances: DEMO_DEFAULTS.instances,
  ratePerSecond,
  // --quick shortens the seed's drain sleep (and so its cycle); the full run uses the seed article's 30 s.
  drainSeconds: values.quick ? 10 : DEMO_DEFAULTS.drainSeconds,
  repeats,
};
const machine = machineInfo();
const date = new Date();
const log = (line: string): void => void process.stdout.write(`${line}\n`);
mkdirSync(resultsDir, { recursive: true });

// Ctrl-C or SIGTERM: the running section stops and tears down what it started (the demo's fleet and local ELB, the
// peer servers), nothing is saved, exit 130. A second signal exits at once.
const controller = new AbortController();
for (const name of ['SIGINT', 'SIGTERM'] as const) {
  process.once(name, () => {
    log(`\n${name}: stopping what the bench started…`);
    controller.abort(new Error(`interrupted by ${name}`));
    process.once(name, () => process.exit(130));
  });
}
process.once('exit', (code) => {
  if (controller.signal.aborted && code !== 130) process.exitCode = 130;
});

log(`graceful-elb bench, ${date.toISOString()}, ${describeMachine(machine)}`);
let approaches: ApproachResult[] | undefined;
let targetGroups: ApproachResult[] | undefined;
let overhead: OverheadResult | undefined;
let peers: PeersResult | undefined;
let startup: StartupResult | undefined;
let idle: IdleShutdownResult | undefined;
let dataPlane: DataPlaneResult | undefined;
if (wanted('approaches')) {
  log(`Approaches: ${settings.instances} instances, OneAtATime, ${settings.ratePerSecond} req/s, drainSeconds ${settings.drainSeconds}, ${repeats} run(s) each`);
  approaches = await compareApproaches(settings, libraryRoot, values.quick ? undefined : resultsDir, log, controller.signal);
}
if (wanted('targetgroups')) {
  log(
    `Target groups (ALB, NLB): ${settings.instances} instances, OneAtATime, ${settings.ratePerSecond} req/s, deregistration delay = drainSeconds = ${settings.drainSeconds} s, ${repeats} run(s) each`,
  );
  targetGroups = [];
  for (const balancer of ['alb', 'nlb'] as const) {
    targetGroups.push(...(await compareApproaches({ ...settings, balancer, modes: ['graceful', 'naive', 'builtin'] }, libraryRoot, values.quick ? undefined : resultsDir, log, controller.signal)));
  }
}
if (wanted('overhead')) {
  log('Request-path overhead (example app, direct, unthrottled):');
  overhead = await measureOverhead(libraryRoot, log);
}
if (wanted('peers')) {
  log('Per-request CPU beside the peer libraries (hello-world node:http, paired rounds):');
  peers = await measurePeers(libraryRoot, log, controller.signal);
}
if (wanted('startup')) {
  log(`Startup and import cost (${libraryRoot}):`);
  startup = measureStartup(libraryRoot, log);
}
if (wanted('idle')) {
  log('Idle shutdown (SIGTERM with no traffic):');
  idle = await measureIdleShutdown(libraryRoot, log);
}
if (wanted('dataplane')) {
  log('Local ELB data plane (direct vs through a listener):');
  dataPlane = await measureDataPlane(log);
}

const fleet = approaches?.map((a) => ({ mode: a.mode, ...modelFleetDeployment(BENCH_DEFAULTS.fleetSize, { kind: 'OneAtATime' }, a.medianHooksMs) }));
const targetGroupFleet = targetGroups?.map((a) => targetGroupModel(a));
const markdown = render();
// A partial or quick run never overwrites the day's full results.
const stamp = `${date.toISOString().slice(0, 10)}${values.quick ? '-quick' : values.only ? '-partial' : ''}`;
writeFileSync(join(resultsDir, `bench-${stamp}.md`), `${markdown}\n`);
writeFileSync(
  join(resultsDir, `bench-${stamp}.json`),
  `${JSON.stringify({ kind: 'graceful-elb-bench', version: 1, date: date.toISOString(), machine, settings, approaches, targetGroups, targetGroupFleetModel: targetGroupFleet, overhead, peers, startup, idleShutdown: idle, fleetModel: fleet, dataPlane: dataPlane?.json }, null, 2)}\n`,
);
log('');
log(markdown);
log('');
log(`Saved bench/results/bench-${stamp}.md and .json`);

function targetGroupModel(a: ApproachResult): { mode: string; balancer: string; measured: FleetModel; atAwsDefaultDelay: FleetModel } {
  const oneAtATime = { kind: 'OneAtATime' } as const;
  const extraMs = a.mode === 'builtin' ? (AWS_DEFAULT_DELAY_SECONDS - settings.drainSeconds) * 1000 : 0;
  return {
    mode: a.mode,
    balancer: a.balancer,
    measured: modelFleetDeployment(BENCH_DEFAULTS.fleetSize, oneAtATime, a.medianHooksMs),
    atAwsDefaultDelay: modelFleetDeployment(BENCH_DEFAULTS.fleetSize, oneAtATime, a.medianHooksMs + extraMs),
  };
}

function render(): string {
  const parts = [`### Bench, ${date.toISOString().slice(0, 10)}`, '', `Machine: ${describeMachine(machine)}.`];
  if (approaches) {
    parts.push(
      '',
      `**Rolling deployment**: ${settings.instances} instances, CodeDeployDefault.OneAtATime, ${settings.ratePerSecond} req/s of mixed load ` +
        `(${Math.round(DEMO_DEFAULTS.keepAliveShare * 100)} % kept-alive, /work of 2–500 ms), drainSeconds ${settings.drainSeconds}; ` +
        `median of ${repeats} run(s); cycle = signal → back in service; hooks = what the next instance waits for.`,
      '',
      markdownTable(
        ['approach', 'failed requests (median, min–max)', 'per-instance cycle', 'per-instance hooks', 'whole deployment'],
        approaches.map((a) => [
          a.mode,
          `${a.medianFailedRequests} (${a.failedRange.min}–${a.failedRange.max}) of ~${Math.round(a.runs.reduce((s, r) => s + r.sent, 0) / a.runs.length)}`,
          seconds(a.medianCycleMs),
          seconds(a.medianHooksMs),
          seconds(a.medianDeploymentMs),
        ]),
      ),
    );
  }
  if (fleet) {
    parts.push(
      '',
      `**Model of a ${BENCH_DEFAULTS.fleetSize}-instance OneAtATime deployment** (batches × the measured per-instance hooks time; CodeDeploy's own overhead left out):`,
      '',
      markdownTable(['approach', 'batches', 'estimated deployment'], fleet.map((f) => [f.mode, String(f.batches), duration(f.totalMs)])),
    );
  }
  if (targetGroups && targetGroupFleet) {
    const hc = DEMO_DEFAULTS.healthCheck;
    parts.push(
      '',
      `**ALB and NLB target groups**: the same deployment (${settings.instances} instances, OneAtATime, ${settings.ratePerSecond} req/s) behind an ALB ` +
        `(HTTP proxy) and an NLB (TCP passthrough, flows pinned to a target), each run in this one bench run. ` +
        `Deregistration delay ${settings.drainSeconds} s (AWS's default is ${AWS_DEFAULT_DELAY_SECONDS} s; shortened here, see the last column), ` +
        `health checks HTTP /ping every ${hc.intervalSeconds} s, ${hc.healthyThreshold} to join, ${hc.unhealthyThreshold} to leave (AWS's minimum interval is 5 s), ` +
        `propagation delay ${DEMO_DEFAULTS.propagationDelayMs} ms. built-in = CodeDeploy's BlockTraffic/AllowTraffic (deregister, wait until the target is gone, ` +
        `stop, start, register, wait until healthy; polled every ${DEMO_DEFAULTS.builtinPollMs / 1000} s) with the library off. Median of ${repeats} run(s).`,
      '',
      markdownTable(
        ['balancer', 'approach', 'failed requests (median, min–max)', 'per-instance cycle', 'per-instance hooks', 'whole deployment', `${BENCH_DEFAULTS.fleetSize} instances (model)`, `${BENCH_DEFAULTS.fleetSize} instances at a ${AWS_DEFAULT_DELAY_SECONDS} s delay (model)`],
        targetGroups.map((a, i) => {
          const model = targetGroupFleet[i]!;
          return [
            a.balancer.toUpperCase(),
            a.mode,
            `${a.medianFailedRequests} (${a.failedRange.min}–${a.failedRange.max}) of ~${Math.round(a.runs.reduce((s, r) => s + r.sent, 0) / a.runs.length)}`,
            seconds(a.medianCycleMs),
            seconds(a.medianHooksMs),
            seconds(a.medianDeploymentMs),
            duration(model.measured.totalMs),
            duration(model.atAwsDefaultDelay.totalMs),
          ];
        }),
      ),
      '',
      `The last column scales only what waits on the delay: built-in's BlockTraffic waits the whole delay per instance, so its per-instance time grows by ` +
        `${AWS_DEFAULT_DELAY_SECONDS - settings.drainSeconds} s; the library ends its drain when its own traffic stops, and a naive restart ignores the delay, so theirs stay as measured.`,
    );
  }
  if (overhead) {
    parts.push(
      '',
      `**Request-path overhead**: examples/app.mjs hit directly, ${overhead.connections} connections, ${overhead.secondsPerRun} s per run, ` +
        `${overhead.runsPerSide} rounds, each one run per side back to back (the side going first alternates).`,
      '',
      markdownTable(
        ['', 'median req/s', 'runs'],
        [
          ['without the library', String(Math.round(overhead.medianWithout)), overhead.withoutLibrary.map((r) => Math.round(r)).join(', ')],
          ['with the library', String(Math.round(overhead.medianWith)), overhead.withLibrary.map((r) => Math.round(r)).join(', ')],
          ['with / without, median of paired rounds (target ≥ 0.98)', overhead.ratio.toFixed(3), overhead.pairedRatios.map((r) => r.toFixed(3)).join(', ')],
        ],
      ),
    );
    const cpu = overhead.cpuMicrosPerRequest;
    if (cpu) {
      parts.push(
        '',
        `The app's own CPU time per request (from /proc, steadier than throughput on a shared machine): ` +
          `${cpu.without.toFixed(1)} µs without the library, ${cpu.with.toFixed(1)} µs with it: ratio ${cpu.ratio.toFixed(3)}.`,
      );
    }
  }
  if (peers) {
    parts.push(
      '',
      `**Per-request CPU beside the peers**: a hello-world node:http server per library (graceful-elb in no-balancer mode), ` +
        `the server process's CPU time (all threads, /proc schedstat) per request under ${peers.connections} kept-alive connections, ` +
        `${peers.secondsPerRun} s per run, ${peers.rounds} rounds each running every server once (order rotating); ratio = plain / library ` +
        `within a round, median over rounds (1.000 = no cost per request; graceful-elb's target ≥ 0.99). The control is a second plain ` +
        `server: its distance from 1 is what the machine's own drift between runs amounts to.`,
      '',
      markdownTable(
        ['server', 'median CPU µs/request', 'ratio to plain (median)', 'middle half of the rounds’ ratios'],
        peers.results.map((r) => [r.variant, r.medianMicrosPerRequest.toFixed(2), r.ratio.toFixed(3), `${quantile(r.pairedRatios, 0.25).toFixed(3)}–${quantile(r.pairedRatios, 0.75).toFixed(3)}`]),
      ),
    );
  }
  if (startup) {
    parts.push(
      '',
      `**Startup and import cost**: fresh processes, median of ${startup.runs} each; module files = .js/.json files opened (strace).`,
      '',
      markdownTable(
        ['process', 'median wall time', 'module files', 'RSS'],
        startup.measures.map((m) => [m.what, `${m.medianMs.toFixed(0)} ms`, String(m.moduleFiles ?? '–'), m.rssMiB === undefined ? '' : `${m.rssMiB.toFixed(0)} MiB`]),
      ),
    );
  }
  if (idle) {
    parts.push(
      '',
      `**Idle shutdown**: SIGTERM → exit with no traffic, in service behind the local ELB, drainSeconds 30; ${idle.runs} runs.`,
      '',
      markdownTable(
        ['median', 'runs', 'target (quiet window + propagation + 0.5 s)', 'exit codes'],
        [[seconds(idle.medianMs, 2), idle.latenciesMs.map((ms) => seconds(ms, 2)).join(', '), seconds(idle.targetMs, 2), [...new Set(idle.exitCodes)].join(', ')]],
      ),
    );
  }
  if (dataPlane) parts.push('', `**Local ELB data plane** (what the demo's balancer adds to each request):`, '', dataPlane.markdown);
  return parts.join('\n');
}
