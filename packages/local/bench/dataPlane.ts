/**
 * The local ELB data plane's cost: latency (p50/p99) and throughput of requests sent straight to a backend vs
 * the same requests through a local ELB listener, side by side in one run, alternating rounds. Two loads: as fast
 * as the machine goes (throughput), and a fixed rate like the demo's (latency under realistic load).
 *
 *   npm run bench:dataplane -- [--duration 5] [--connections 10] [--rounds 3] [--rate 400]
 *
 * Three processes, so the load generator does not share an event loop with what it measures: the backend, the
 * local ELB, and this one running autocannon. Prints a markdown table and writes bench/results/dataplane.json.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { cpus, platform, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The part of autocannon's programmatic API used here (it ships no type declarations). */
interface AutocannonResult {
  requests: { average: number; total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  overallRate?: number;
}
type Autocannon = (options: AutocannonOptions, done: (err: Error | null, result: AutocannonResult) => void) => EventEmitter;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

interface Run {
  requestsPerSecond: number;
  /** Every response time in ms (float): autocannon's own histogram has 1 ms resolution, too coarse here. */
  latencies: Float64Array;
  failed: number;
}

/** One autocannon run, recording each response time from its 'response' event. */
function load(options: AutocannonOptions): Promise<Run> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const tracker = autocannon(options, (err, result) => {
      if (err) return reject(err);
      resolve({
        requestsPerSecond: result.requests.average,
        latencies: Float64Array.from(latencies).sort(),
        failed: result.errors + result.timeouts + result.non2xx,
      });
    });
    tracker.on('response', (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => latencies.push(responseTimeMs));
  });
}

const self = fileURLToPath(import.meta.url);
type Message = { ready: string };

async function main(): Promise<void> {
  const role = process.argv[2];
  if (role === 'backend') return runBackend();
  if (role === 'elb') return runElb(process.argv[3]!);

  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '5' },
      connections: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '3' },
      rate: { type: 'string', default: '400' },
    },
  });
  const settings = {
    duration: positive('--duration', values.duration),
    connections: positive('--connections', values.connections),
    rounds: positive('--rounds', values.rounds),
    rate: positive('--rate', values.rate),
  };

  const children: ChildProcess[] = [];
  try {
    const backend = await start(children, ['backend']);
    const viaElb = await start(children, ['elb', new URL(backend).host]);
    console.error(`backend ${backend}, local ELB listener ${viaElb}; warming up…`);
    await load({ url: backend, connections: settings.connections, duration: 1 });
    await load({ url: viaElb, connections: settings.connections, duration: 1 });

    const runs: Record<string, Run[]> = {};
    for (const scenario of ['max', 'rate'] as const) {
      for (let round = 1; round <= settings.rounds; round += 1) {
        // Alternate the order so drift (thermal, other load on the machine) favours neither side.
        const order = round % 2 === 1 ? (['direct', 'localElb'] as const) : (['localElb', 'direct'] as const);
        for (const side of order) {
          const run = await load({
            url: side === 'direct' ? backend : viaElb,
            connections: settings.connections,
            duration: settings.duration,
            overallRate: scenario === 'rate' ? settings.rate : undefined,
          });
          (runs[`${scenario}/${side}`] ??= []).push(run);
          console.error(`${scenario} round ${round} ${side}: ${Math.round(run.requestsPerSecond)} req/s, p50 ${percentile(run.latencies, 50)} ms, p99 ${percentile(run.latencies, 99)} ms, failed ${run.failed}`);
        }
      }
    }
    report(runs, settings);
  } finally {
    for (const child of children) child.kill('SIGTERM');
  }
}

function report(runs: Record<string, Run[]>, settings: { duration: number; connections: number; rounds: number; rate: number }): void {
  const summary = (key: string) => {
    const list = runs[key] ?? [];
    return {
      requestsPerSecond: Math.round(median(list.map((r) => r.requestsPerSecond))),
      p50Ms: median(list.map((r) => percentile(r.latencies, 50))),
      p99Ms: median(list.map((r) => percentile(r.latencies, 99))),
      failed: list.reduce((n, r) => n + r.failed, 0),
    };
  };
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, platform: `${platform()} ${release()}`, node: process.version };
  const scenarios = {
    max: { direct: summary('max/direct'), localElb: summary('max/localElb') },
    rate: { direct: summary('rate/direct'), localElb: summary('rate/localElb') },
  };
  const added = (s: (typeof scenarios)['max']) => ({
    p50Ms: round2(s.localElb.p50Ms - s.direct.p50Ms),
    p99Ms: round2(s.localElb.p99Ms - s.direct.p99Ms),
    throughputRatio: round2(s.localElb.requestsPerSecond / s.direct.requestsPerSecond),
  });
  const output = { date: new Date().toISOString(), machine, settings, scenarios, added: { max: added(scenarios.max), rate: added(scenarios.rate) } };
  const row = (label: string, s: ReturnType<typeof summary>): string => `| ${label} | ${s.requestsPerSecond} | ${s.p50Ms} | ${s.p99Ms} | ${s.failed} |`;
  const lines = [
    `Local ELB data plane, ${output.date.slice(0, 10)}, ${machine.cpu} (${machine.cores} cores), Node ${machine.node}`,
    `${settings.connections} keep-alive connections, ${settings.rounds} alternating rounds of ${settings.duration} s per load, medians:`,
    '',
    '| load, path | req/s | p50 (ms) | p99 (ms) | failed |',
    '| --- | ---: | ---: | ---: | ---: |',
    row('max rate, direct to the backend', scenarios.max.direct),
    row('max rate, through the local ELB', scenarios.max.localElb),
    row(`${settings.rate} req/s, direct to the backend`, scenarios.rate.direct),
    row(`${settings.rate} req/s, through the local ELB`, scenarios.rate.localElb),
    '',
    `Added by the local ELB: at max rate ×${output.added.max.throughputRatio} throughput, +${output.added.max.p50Ms} ms p50, +${output.added.max.p99Ms} ms p99; ` +
      `at ${settings.rate} req/s +${output.added.rate.p50Ms} ms p50, +${output.added.rate.p99Ms} ms p99.`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}dataplane.json`, `${JSON.stringify(output, null, 2)}\n`);
  console.error(`written ${dir}dataplane.json`);
}

/** The backend: answers at once, keeps connections open longer than the balancer's idle timeout. */
function runBackend(): void {
  const server = createServer((req, res) => {
    if (req.url === '/ping') return void res.end('pong');
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    process.send?.({ ready: `http://127.0.0.1:${port}/` } satisfies Message);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

async function runElb(backendAddress: string): Promise<void> {
  const { startLocalElb } = await import('../src/mock/localElb.js');
  const lb = await startLocalElb({
    listenerPorts: 'ephemeral',
    logger: false,
    instances: { 'i-0bench00000000001': backendAddress },
    config: {
      classic: [
        {
          name: 'bench',
          listeners: [{ loadBalancerPort: 8080, instancePort: 3000 }],
          healthCheck: { target: 'HTTP:3000/ping', intervalSeconds: 0.2, timeoutSeconds: 1, healthyThreshold: 2, unhealthyThreshold: 2 },
          instances: ['i-0bench00000000001'],
        },
      ],
    },
  });
  const deadline = Date.now() + 20_000;
  while (!lb.status().classic[0]?.instances[0]?.routing) {
    if (Date.now() > deadline) throw new Error('the bench instance never came in service');
    await new Promise((r) => setTimeout(r, 50));
  }
  process.send?.({ ready: `${lb.listeners[0]!.url}/` } satisfies Message);
  process.on('SIGTERM', () => void lb.close().then(() => process.exit(0)));
}

function start(children: ChildProcess[], args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = fork(self, args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    child.once('message', (m: Message) => resolve(m.ready));
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code} before it was ready`)));
  });
}

function positive(flag: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${flag}: expected a positive integer, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return value;
}

/** `sorted` ascending; nearest-rank percentile, in ms with 0.01 resolution. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return round2(sorted[index]!);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : round2((sorted[mid - 1]! + sorted[mid]!) / 2);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

await main();
