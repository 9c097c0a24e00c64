import { pollUntil } from '../poll.js';
import type { ImdsReader } from './imdsReader.js';

/** The IMDS item Auto Scaling updates when an instance starts moving to another steady state. */
export const TARGET_LIFECYCLE_STATE_ITEM = 'meta-data/autoscaling/target-lifecycle-state';

/** Why watching ended by itself (an abort ends it with the abort's error instead). */
export type LifecycleWatchEnd = 'not-in-group' | 'imds-unreachable';

export interface LifecycleWatchInput {
  readonly reader: ImdsReader;
  readonly intervalMs: number;
  readonly signal: AbortSignal;
  /** Every change of the target state, the first answer included (`previous` undefined then). */
  readonly onState: (state: string, previous: string | undefined) => void;
  /** A read that failed after the first answer (the next interval tries again). */
  readonly onReadError?: (error: unknown) => void;
}

/**
 * Polls `autoscaling/target-lifecycle-state` (InService, Terminated, Standby, Detached, Warmed:*) and reports each
 * change. Cheap when there is nothing to watch: an instance in no Auto Scaling group has no such item, so a first
 * answer of 404 ends the watch, and so does a first read that gets no answer at all (not on EC2). Waits are unref'd.
 */
export function watchTargetLifecycleState(input: LifecycleWatchInput): Promise<LifecycleWatchEnd> {
  let current: string | undefined;
  let answered = false;
  return pollUntil<LifecycleWatchEnd>(
    async () => {
      let answer;
      try {
        answer = await input.reader.read(TARGET_LIFECYCLE_STATE_ITEM, input.signal);
      } catch (error) {
        input.signal.throwIfAborted();
        if (!answered) return 'imds-unreachable';
        input.onReadError?.(error);
        return undefined;
      }
      if (!answered && answer.status === 404) return 'not-in-group';
      answered = true;
      if (answer.status !== 200) {
        input.onReadError?.(new Error(`IMDS answered ${answer.status} for ${TARGET_LIFECYCLE_STATE_ITEM}`));
        return undefined;
      }
      const state = answer.text.trim();
      if (state !== '' && state !== current) {
        const previous = current;
        current = state;
        input.onState(state, previous);
      }
      return undefined;
    },
    { intervalMs: input.intervalMs, timeoutMs: Number.POSITIVE_INFINITY, signal: input.signal, timeoutError: () => new Error('unreachable: no timeout') },
  );
}
