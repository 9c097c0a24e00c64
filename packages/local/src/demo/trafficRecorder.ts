/** What the clients saw in one time bucket (one second by default). */
export interface TrafficBucket {
  /** Bucket start, ms since the recorder started. */
  readonly startMs: number;
  sent: number;
  ok: number;
  non2xx: number;
  /** Socket errors, timeouts and requests lost without an answer. */
  errors: number;
  /** 2xx responses per instance (from the `x-instance-id` response header). */
  readonly servedBy: Record<string, number>;
  /** Requests the balancer forwarded to each instance (its own count, whatever the answer). */
  readonly routedTo: Record<string, number>;
}

export interface TrafficTotals {
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** non-2xx responses by status code, e.g. { "502": 12 }. */
  readonly statuses: Record<string, number>;
  /** errors by kind/code, e.g. { ECONNRESET: 3, timeout: 1 }. */
  readonly errorCodes: Record<string, number>;
  /** 2xx responses per instance over the whole run. */
  readonly servedBy: Record<string, number>;
  /** 2xx responses that carried no instance header. */
  unattributed: number;
  /** Requests the balancer forwarded to each instance over the whole run. */
  readonly routedTo: Record<string, number>;
}

export interface TrafficSnapshot {
  readonly startedAt: number;
  readonly bucketMs: number;
  readonly buckets: readonly TrafficBucket[];
  readonly totals: TrafficTotals;
}

/** The response header the example app sets to say which instance answered. */
export const INSTANCE_HEADER = 'x-instance-id';

/**
 * Counts what the load generator's clients saw, per time bucket: requests sent, 2xx, non-2xx, errors, and
 * which instance served each 2xx. A failed request is a non-2xx answer or an error: the demo's promise is
 * that there are none.
 */
export class TrafficRecorder {
  readonly startedAt: number;
  readonly bucketMs: number;
  readonly #now: () => number;
  readonly #buckets: TrafficBucket[] = [];
  readonly #totals: TrafficTotals = { sent: 0, ok: 0, non2xx: 0, errors: 0, statuses: {}, errorCodes: {}, servedBy: {}, unattributed: 0, routedTo: {} };

  constructor(options: { bucketMs: number; now?: () => number; startedAt?: number }) {
    if (!(options.bucketMs > 0)) throw new RangeError(`bucketMs must be positive, got ${options.bucketMs}`);
    this.#now = options.now ?? Date.now;
    this.startedAt = options.startedAt ?? this.#now();
    this.bucketMs = options.bucketMs;
  }

  sent(): void {
    this.#bucket().sent++;
    this.#totals.sent++;
  }

  response(status: number, instanceId: string | undefined): void {
    const bucket = this.#bucket();
    if (status >= 200 && status < 300) {
      bucket.ok++;
      this.#totals.ok++;
      if (instanceId) {
        bucket.servedBy[instanceId] = (bucket.servedBy[instanceId] ?? 0) + 1;
        this.#totals.servedBy[instanceId] = (this.#totals.servedBy[instanceId] ?? 0) + 1;
      } else {
        this.#totals.unattributed++;
      }
    } else {
      bucket.non2xx++;
      this.#totals.non2xx++;
      this.#totals.statuses[String(status)] = (this.#totals.statuses[String(status)] ?? 0) + 1;
    }
  }

  error(code: string): void {
    this.#bucket().errors++;
    this.#totals.errors++;
    this.#totals.errorCodes[code] = (this.#totals.errorCodes[code] ?? 0) + 1;
  }

  /** The balancer forwarded `count` more requests to an instance (sampled from its status). */
  routed(instanceId: string, count: number): void {
    const bucket = this.#bucket();
    bucket.routedTo[instanceId] = (bucket.routedTo[instanceId] ?? 0) + count;
    this.#totals.routedTo[instanceId] = (this.#totals.routedTo[instanceId] ?? 0) + count;
  }

  /** Failed requests so far: non-2xx answers plus errors. */
  get failures(): number {
    return this.#totals.non2xx + this.#totals.errors;
  }

  /** The last bucket that has ended (for "requests per second" in live progress). */
  lastCompleteBucket(): TrafficBucket | undefined {
    const index = Math.floor((this.#now() - this.startedAt) / this.bucketMs) - 1;
    return index >= 0 ? (this.#buckets[index] ?? emptyBucket(index * this.bucketMs)) : undefined;
  }

  snapshot(): TrafficSnapshot {
    const buckets = Array.from(this.#buckets, (b, i) => structuredClone(b ?? emptyBucket(i * this.bucketMs)));
    return { startedAt: this.startedAt, bucketMs: this.bucketMs, buckets, totals: structuredClone(this.#totals) };
  }

  #bucket(): TrafficBucket {
    const index = Math.max(0, Math.floor((this.#now() - this.startedAt) / this.bucketMs));
    let bucket = this.#buckets[index];
    if (!bucket) {
      bucket = emptyBucket(index * this.bucketMs);
      this.#buckets[index] = bucket;
    }
    return bucket;
  }
}

function emptyBucket(startMs: number): TrafficBucket {
  return { startMs, sent: 0, ok: 0, non2xx: 0, errors: 0, servedBy: {}, routedTo: {} };
}

/** Reads the instance header from a response's headers whatever case the server used. */
export function instanceFromHeaders(headers: Record<string, string | string[] | undefined>): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === INSTANCE_HEADER) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}
