import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_DEFAULTS } from '../src/demo/defaults.js';
import { processCpuMicros } from './appProcess.js';
import { median } from './stats.js';

/**
 * The servers compared: a plain node:http hello-world, and the same with each library set up as its README says.
 * A second plain server is the control: its ratio to the first is the method's noise on this machine at this moment.
 */
export const PEER_VARIANTS = ['plain', 'plain (control)', 'graceful-elb', 'http-terminator', 'lightship', 'close-with-grace'] as const;
export type PeerVariant = (typeof PEER_VARIANTS)[number];

export interface PeerResult {
  readonly variant: PeerVariant;
  /** The server's CPU time per request of each round, µs, in round order. */
  readonly microsPerRequest: readonly number[];
  readonly medianMicrosPerRequest: number;
  /** plain / this of each round (1 = as cheap as the plain server; 0.9 = 10 % more CPU per request). */
  readonly pairedRatios: readonly number[];
  /** The median of the paired ratios; graceful-elb's target is >= 0.99. */
  readonly ratio: number;
}

export interface PeersResult {
  readonly rounds: number;
  readonly secondsPerRun: number;
  readonly connections: number;
  readonly results: readonly PeerResult[];
}

interface PeerServer {
  readonly variant: PeerVariant;
  readonly port: number;
  readonly child: ChildProcess;
}

/**
 * Per-request CPU of the request path, side by side: hello-world servers (plain twice, graceful-elb in no-balancer
 * mode, http-terminator, lightship, close-with-grace), each its own process, loaded in turn with unthrottled
 * kept-alive autocannon in short runs. The measure is each server process's CPU time per request from /proc (all
 * threads), not throughput; each library's ratio is the median over rounds of plain/library within the round, and
 * the control's ratio shows how far the machine moves between two runs of the very same server.
 */
export async function measurePeers(libraryRoot: string, log: (line: string) => void, signal?: AbortSignal): Promise<PeersResult> {
  const { peerRounds: rounds, peerSeconds: seconds, peerConnections: connections } = BENCH_DEFAULTS;
  const entry = pathToFileURL(join(libraryRoot, 'dist', 'index.js')).href;
  const servers: PeerServer[] = [];
  const micros = new Map<PeerVariant, number[]>(PEER_VARIANTS.map((v) => [v, []]));
  try {
    for (const variant of PEER_VARIANTS) servers.push(await startPeer(variant, entry));
    // One short warm-up each, so the first measured round does not pay for JIT compilation.
    for (const server of servers) await load(server, 1, connections);
    for (let round = 0; round < rounds; round++) {
      // One server at a time (several at once starve the load generator and measure its scheduling instead), in an
      // order that rotates every round so that no server always follows the same one.
      const order = servers.map((_, i) => servers[(i + round) % servers.length]!);
      const line: string[] = [];
      for (const server of order) {
        signal?.throwIfAborted();
        const perRequest = await load(server, seconds, connections);
        micros.get(server.variant)!.push(perRequest);
        line.push(`${server.variant} ${perRequest.toFixed(1)}`);
      }
      log(`  round ${round + 1}/${rounds}, CPU µs/request: ${line.join(', ')}`);
    }
  } finally {
    await Promise.all(servers.map(stopPeer));
  }
  const plain = micros.get('plain')!;
  const results = PEER_VARIANTS.map((variant): PeerResult => {
    const own = micros.get(variant)!;
    const pairedRatios = own.map((us, i) => plain[i]! / us);
    return { variant, microsPerRequest: own, medianMicrosPerRequest: median(own), pairedRatios, ratio: median(pairedRatios) };
  });
  return { rounds, secondsPerRun: seconds, connections, results };
}

/** Loads one server for `seconds`; its CPU µs per request over the run. */
async function load(server: PeerServer, seconds: number, connections: number): Promise<number> {
  const before = processCpuMicros(server.child.pid);
  const result = await autocannon({ url: `http://127.0.0.1:${server.port}/`, connections, duration: seconds });
  const after = processCpuMicros(server.child.pid);
  if (result.errors > 0 || result.non2xx > 0) throw new Error(`${server.variant}: ${result.errors} errors and ${result.non2xx} non-2xx answers`);
  if (before === undefined || after === undefined) throw new Error('per-request CPU needs Linux /proc/<pid>/task/<tid>/schedstat');
  return (after - before) / result.requests.total;
}

function startPeer(variant: PeerVariant, entry: string): Promise<PeerServer> {
  const child = fork(join(import.meta.dirname, 'peerServer.mjs'), [variant, entry], {
    // Off EC2 graceful-elb runs in no-balancer mode; nothing may reach a real IMDS or AWS from the bench.
    env: { PATH: process.env.PATH, AWS_EC2_METADATA_DISABLED: 'true' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    // Not the bench's own `--import tsx`: the servers run as a user's would.
    execArgv: [],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`${variant} server did not start within 30 s`))), 30_000);
    // graceful-elb also sends its lifecycle messages on this channel; ours is the one naming the port.
    const onMessage = (message: { peerServerPort?: unknown }): void => {
      if (typeof message?.peerServerPort !== 'number') return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve({ variant, port: message.peerServerPort, child });
    };
    child.on('message', onMessage);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${variant} server exited with ${code} before serving`));
    });
  });
}

async function stopPeer(server: PeerServer): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => server.child.once('exit', () => resolve()));
  server.child.send('stop');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
