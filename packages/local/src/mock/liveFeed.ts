import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallLog, LocalElbCall } from './callLog.js';
import type { LocalElbStatus, MemberStatus } from './status.js';

/** One registration's changing numbers, as the live page needs them every tick. */
export interface LiveMember {
  /** `classic/<balancer>/<instance>` or `tg/<target group>/<instance>:<port>` */
  readonly key: string;
  readonly state: string;
  readonly description: string | undefined;
  readonly routing: boolean;
  /** Requests forwarded so far (the page turns deltas into requests per second). */
  readonly routed: number;
  readonly inFlight: number;
}

/**
 * The live page's event stream (`GET /_local/events`, Server-Sent Events): on connect a `hello` with the whole
 * status and the latest API calls; then a `tick` every `intervalMs` with each registration's state and counters,
 * a `status` with the whole status again only when the set of balancers, listeners or registrations changed, and a
 * `call` for every API call as it is answered. The timer runs only while a browser is connected.
 */
export class LiveFeed {
  readonly #status: () => LocalElbStatus;
  readonly #calls: CallLog;
  readonly #intervalMs: number;
  readonly #recentCalls: number;
  readonly #clients = new Set<ServerResponse>();
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #shape = '';

  constructor(options: { status: () => LocalElbStatus; calls: CallLog; intervalMs: number; recentCalls: number }) {
    this.#status = options.status;
    this.#calls = options.calls;
    this.#intervalMs = options.intervalMs;
    this.#recentCalls = options.recentCalls;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET') {
      res.writeHead(405, { 'content-type': 'application/json' }).end('{"error":"use GET"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    const status = this.#status();
    this.#shape = shapeOf(status);
    write(res, 'hello', { at: Date.now(), intervalMs: this.#intervalMs, status, members: members(status), calls: this.#calls.calls().slice(-this.#recentCalls) });
    this.#clients.add(res);
    res.on('close', () => this.#drop(res));
    if (this.#clients.size === 1) this.#start();
  }

  /** Ends every stream and stops the timer (the local ELB is closing). */
  close(): void {
    for (const res of [...this.#clients]) {
      res.end();
      this.#drop(res);
    }
  }

  #start(): void {
    this.#timer = setInterval(() => this.#tick(), this.#intervalMs);
    this.#timer.unref();
    this.#unsubscribe = this.#calls.subscribe((call) => this.#broadcast('call', call satisfies LocalElbCall));
  }

  #drop(res: ServerResponse): void {
    if (!this.#clients.delete(res) || this.#clients.size > 0) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  #tick(): void {
    const status = this.#status();
    const shape = shapeOf(status);
    if (shape !== this.#shape) {
      this.#shape = shape;
      this.#broadcast('status', status);
    }
    this.#broadcast('tick', { at: Date.now(), members: members(status) });
  }

  #broadcast(event: string, data: unknown): void {
    for (const res of this.#clients) write(res, event, data);
  }
}

function write(res: ServerResponse, event: string, data: unknown): void {
  // JSON has no raw newlines, so one `data:` line carries it whole.
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function members(status: LocalElbStatus): LiveMember[] {
  const live = (key: string, m: MemberStatus): LiveMember => ({
    key,
    state: m.state,
    description: m.description,
    routing: m.routing,
    routed: m.routed,
    inFlight: m.inFlight,
  });
  return [
    ...status.classic.flatMap((lb) => lb.instances.map((m) => live(`classic/${lb.name}/${m.instanceId}`, m))),
    ...status.targetGroups.flatMap((tg) => tg.targets.map((m) => live(`tg/${tg.name}/${m.instanceId}:${m.port ?? ''}`, m))),
  ];
}

/** What the page's layout depends on: balancers, listeners, target groups and who is registered where. */
function shapeOf(status: LocalElbStatus): string {
  return JSON.stringify([
    status.classic.map((lb) => [lb.name, lb.listeners.map((l) => l.url), lb.instances.map((m) => m.instanceId)]),
    status.loadBalancers.map((lb) => [lb.name, lb.listeners.map((l) => [l.url, l.targetGroupArn])]),
    status.targetGroups.map((tg) => [tg.name, tg.targets.map((m) => `${m.instanceId}:${m.port ?? ''}`)]),
  ]);
}
