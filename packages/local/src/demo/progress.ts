import type { Writable } from 'node:stream';

export interface InstanceProgress {
  readonly instanceId: string;
  /** What the deployment is doing to it: "waiting", a lifecycle event, "deployed", "failed", "skipped". */
  readonly step: string;
  /** The balancer's view: "InService", "OutOfService", "draining", ... */
  readonly balancer: string;
  readonly routing: boolean;
  /** The instance's real state: does its app accept connections? (undefined: not probed yet) */
  readonly app?: 'listening' | 'down' | undefined;
  /** 2xx it answered in the last complete second. */
  readonly servedLastSecond: number;
}

export interface ProgressState {
  readonly elapsedMs: number;
  readonly headline: string;
  readonly stage: string;
  readonly instances: readonly InstanceProgress[];
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  /** Answers (2xx or not) in the last complete second. */
  readonly answeredLastSecond: number;
}

/** The block of lines shown (and redrawn) on a terminal. */
export function formatProgress(state: ProgressState): string[] {
  const idWidth = Math.max(8, ...state.instances.map((i) => i.instanceId.length));
  const lines = [`${state.headline}  t=${(state.elapsedMs / 1000).toFixed(1)} s  ${state.stage}`];
  for (const i of state.instances) {
    lines.push(
      `  ${i.instanceId.padEnd(idWidth)}  ${i.step.padEnd(16)}  balancer: ${(i.routing ? i.balancer : `${i.balancer} (not routing)`).padEnd(28)}  app: ${(i.app ?? '?').padEnd(9)}  ${String(i.servedLastSecond).padStart(4)} req/s`,
    );
  }
  lines.push(
    `  requests ${state.sent.toLocaleString('en-US')} sent, ${state.ok.toLocaleString('en-US')} 2xx, ` +
      `${state.failed.toLocaleString('en-US')} failed  (${state.answeredLastSecond} req/s)`,
  );
  return lines;
}

/** One line for logs and CI: the same facts, without redrawing. */
export function formatProgressLine(state: ProgressState): string {
  const fleet = state.instances.map((i) => `${i.instanceId.slice(-4)}:${i.step}/${i.routing ? 'in' : 'out'}`).join(' ');
  return `[${(state.elapsedMs / 1000).toFixed(1)} s] ${state.stage}; ${state.answeredLastSecond} req/s, ${state.sent} sent, ${state.failed} failed; ${fleet}`;
}

/**
 * Live progress. On a terminal it redraws a block in place (cursor up, clear line) and prints notes above it;
 * elsewhere (a pipe, CI) it prints notes as they come and a one-line status every few seconds.
 */
export class LiveProgress {
  readonly #out: Writable;
  readonly #tty: boolean;
  readonly #plainEveryMs: number;
  #drawn = 0;
  #lastPlainAt = -Infinity;
  #last: ProgressState | undefined;

  constructor(out: Writable & { isTTY?: boolean }, options: { tty?: boolean; plainEveryMs?: number } = {}) {
    this.#out = out;
    this.#tty = options.tty ?? out.isTTY === true;
    this.#plainEveryMs = options.plainEveryMs ?? 5000;
  }

  update(state: ProgressState): void {
    this.#last = state;
    if (this.#tty) {
      this.#redraw(formatProgress(state));
    } else if (state.elapsedMs - this.#lastPlainAt >= this.#plainEveryMs) {
      this.#lastPlainAt = state.elapsedMs;
      this.#out.write(`${formatProgressLine(state)}\n`);
    }
  }

  /** A line that stays (a hook starting, an instance leaving the balancer, a failure). */
  note(line: string): void {
    if (this.#tty) {
      this.#clear();
      this.#out.write(`${line}\n`);
      if (this.#last) this.#redraw(formatProgress(this.#last));
    } else {
      this.#out.write(`${line}\n`);
    }
  }

  /** Leaves the last block on screen (terminal) and stops redrawing. */
  finish(): void {
    if (this.#tty && this.#last) this.#redraw(formatProgress(this.#last));
    this.#drawn = 0;
    this.#last = undefined;
  }

  #clear(): void {
    if (this.#drawn === 0) return;
    this.#out.write(`\x1b[${this.#drawn}A`);
    for (let i = 0; i < this.#drawn; i++) this.#out.write('\x1b[2K\n');
    this.#out.write(`\x1b[${this.#drawn}A`);
    this.#drawn = 0;
  }

  #redraw(lines: readonly string[]): void {
    const up = this.#drawn > 0 ? `\x1b[${this.#drawn}A` : '';
    this.#out.write(up + lines.map((line) => `\x1b[2K${line}\n`).join(''));
    // A block that shrank leaves stale lines below: clear them.
    for (let i = lines.length; i < this.#drawn; i++) this.#out.write('\x1b[2K\n');
    if (this.#drawn > lines.length) this.#out.write(`\x1b[${this.#drawn - lines.length}A`);
    this.#drawn = lines.length;
  }
}
