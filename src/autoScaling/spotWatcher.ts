import { pollUntil } from '../poll.js';
import type { ImdsReader } from './imdsReader.js';

const LIFE_CYCLE_ITEM = 'meta-data/instance-life-cycle';
const INSTANCE_ACTION_ITEM = 'meta-data/spot/instance-action';
const REBALANCE_ITEM = 'meta-data/events/recommendations/rebalance';
/** EC2 gives two minutes between the notice and the interruption. */
export const SPOT_NOTICE_MS = 120_000;

export interface SpotNotice {
  readonly kind: 'interruption' | 'rebalance';
  /** terminate, stop or hibernate (interruption only). */
  readonly action: string | undefined;
  /** When EC2 acts (interruption), or when it recommended the rebalance. */
  readonly time: Date;
}

export type SpotWatchEnd = 'not-spot' | 'imds-unreachable' | 'notice';

export interface SpotWatchInput {
  readonly reader: ImdsReader;
  readonly intervalMs: number;
  /** Also watch `events/recommendations/rebalance` (an elevated risk of interruption, not a notice). */
  readonly rebalance: boolean;
  readonly signal: AbortSignal;
  readonly onNotice: (notice: SpotNotice) => void;
  readonly onReadError?: (error: unknown) => void;
}

/**
 * Reads `instance-life-cycle` once: on anything but a Spot instance (or off EC2) there is nothing to watch. On a Spot
 * instance, polls `spot/instance-action` (404 until EC2 sends the two-minute notice) and, when asked, the rebalance
 * recommendation; reports the first notice and ends.
 */
export async function watchSpot(input: SpotWatchInput): Promise<SpotWatchEnd> {
  let lifeCycle;
  try {
    lifeCycle = await input.reader.read(LIFE_CYCLE_ITEM, input.signal);
  } catch {
    input.signal.throwIfAborted();
    return 'imds-unreachable';
  }
  if (lifeCycle.status !== 200 || lifeCycle.text.trim() !== 'spot') return 'not-spot';
  const items = input.rebalance ? [INSTANCE_ACTION_ITEM, REBALANCE_ITEM] : [INSTANCE_ACTION_ITEM];
  return pollUntil<SpotWatchEnd>(
    async () => {
      for (const item of items) {
        let answer;
        try {
          answer = await input.reader.read(item, input.signal);
        } catch (error) {
          input.signal.throwIfAborted();
          input.onReadError?.(error);
          continue;
        }
        if (answer.status !== 200) continue;
        input.onNotice(parseNotice(item === INSTANCE_ACTION_ITEM ? 'interruption' : 'rebalance', answer.text));
        return 'notice';
      }
      return undefined;
    },
    { intervalMs: input.intervalMs, timeoutMs: Number.POSITIVE_INFINITY, signal: input.signal, timeoutError: () => new Error('unreachable: no timeout') },
  );
}

/** `{"action":"terminate","time":"…Z"}` / `{"noticeTime":"…Z"}`; a body that does not parse still counts as a notice. */
function parseNotice(kind: SpotNotice['kind'], text: string): SpotNotice {
  let body: { action?: unknown; time?: unknown; noticeTime?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // keep the defaults: the notice itself is what matters
  }
  const stamp = kind === 'interruption' ? body.time : body.noticeTime;
  const parsed = typeof stamp === 'string' ? new Date(stamp) : undefined;
  const fallback = kind === 'interruption' ? new Date(Date.now() + SPOT_NOTICE_MS) : new Date();
  return {
    kind,
    action: kind === 'interruption' && typeof body.action === 'string' ? body.action : undefined,
    time: parsed !== undefined && !Number.isNaN(parsed.getTime()) ? parsed : fallback,
  };
}
