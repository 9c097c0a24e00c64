import type { AutocannonClient } from 'autocannon';
import type { Socket } from 'node:net';
import type { TrafficRecorder } from './trafficRecorder.js';

/**
 * Turns one autocannon connection's events into honest counts: every request that reached a socket is sent,
 * and ends answered, failed (socket error, timeout) or lost (no answer, no error).
 *
 * autocannon 8's client has two habits the counts must see through:
 * - After a response carrying `Connection: close` it writes its next request onto the socket the server is
 *   closing, then reconnects on 'end' and sends again. That first write is never seen by any server (a real
 *   HTTP client would not make it), so it is neither sent nor lost; a write error on that dying socket is not
 *   a failure either.
 * - On a timeout it reconnects and sends the next request before it reports the timeout, in the same tick.
 * With one request per connection at a time, a new request while one is unanswered otherwise means the old
 * one was dropped without a word (the server closed the connection mid-request): a lost request.
 */
export class KeepAliveAccounting {
  readonly #recorder: TrafficRecorder;
  readonly #isStopped: () => boolean;
  #outstanding = 0;
  #closingSocket: Socket | undefined;
  #overlapAllowed = false;

  constructor(client: AutocannonClient, recorder: TrafficRecorder, isStopped: () => boolean) {
    this.#recorder = recorder;
    this.#isStopped = isStopped;
    const socketOf = (): Socket | undefined => (client as AutocannonClient & { conn?: Socket }).conn;
    client.on('headers', (info: { shouldKeepAlive?: boolean }) => {
      if (info.shouldKeepAlive === false) this.#closingSocket = socketOf();
    });
    // Only a write onto the very socket that announced its close is the phantom one; once autocannon has
    // reconnected (or its rate limit held the request back until then), requests are real again.
    client.on('request', () => this.#request(this.#closingSocket !== undefined && socketOf() === this.#closingSocket));
    client.on('connError', (err: NodeJS.ErrnoException) => this.#connError(err));
    client.on('timeout', () => this.#failed('timeout'));
  }

  /** Requests sent on this connection and not yet answered or failed (at most one unless autocannon overlapped). */
  get outstanding(): number {
    return this.#outstanding;
  }

  /** autocannon reported a complete response on this connection (the status itself is recorded elsewhere). */
  answered(): void {
    this.#outstanding = Math.max(0, this.#outstanding - 1);
  }

  #request(ontoClosingSocket: boolean): void {
    if (ontoClosingSocket) return;
    if (this.#isStopped()) return;
    this.#recorder.sent();
    this.#outstanding++;
    if (this.#outstanding > 1) {
      if (this.#overlapAllowed) {
        this.#overlapAllowed = false;
        return;
      }
      setImmediate(() => {
        if (this.#outstanding > 1) this.#failed('lost');
      });
    }
  }

  #connError(err: NodeJS.ErrnoException): void {
    if (this.#closingSocket && this.#closingSocket.errored === err) {
      // The write after `Connection: close` failed; autocannon reconnects once more, so two real requests may
      // briefly overlap.
      this.#closingSocket = undefined;
      this.#overlapAllowed = true;
      return;
    }
    this.#failed(err.code ?? 'socket');
  }

  #failed(code: string): void {
    if (this.#outstanding === 0 || this.#isStopped()) return;
    this.#outstanding--;
    this.#recorder.error(code);
  }
}
