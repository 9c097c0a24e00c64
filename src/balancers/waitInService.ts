import { NotInServiceError } from './errors.js';
import { pollUntil } from '../poll.js';
import type { Balancer, BalancerView } from './balancer.js';

export interface WaitInServiceInput {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** The bound the error names, when `timeoutMs` is what is left of a longer one. @default timeoutMs */
  readonly boundMs?: number;
  readonly signal?: AbortSignal;
  /** Each answer, for a debug log line. */
  readonly onView?: (view: BalancerView) => void;
}

/**
 * Polls the balancer until it reports this instance in service. API errors while polling are tolerated (the call
 * is repeated at the next interval) until the bound; the last one becomes the `cause` of NotInServiceError.
 */
export function waitInService(balancer: Balancer, input: WaitInServiceInput): Promise<BalancerView> {
  let lastState: string | undefined;
  return pollUntil(
    async () => {
      const view = await balancer.view(input.signal);
      input.onView?.(view);
      lastState = view.description !== undefined ? `${view.state} (${view.description})` : view.state;
      return view.inService ? view : undefined;
    },
    {
      intervalMs: input.intervalMs,
      timeoutMs: input.timeoutMs,
      signal: input.signal,
      timeoutError: (cause) => new NotInServiceError(balancer.label, input.boundMs ?? input.timeoutMs, lastState, { cause }),
    },
  );
}
