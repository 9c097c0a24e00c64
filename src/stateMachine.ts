import type { LifecycleState } from './lifecycleMessage.js';

/**
 * Which state may follow which. Startup runs starting → probing → (registering → joining → in-service | serving);
 * any startup state may end in `failed`; a signal leads from any of them to leaving → draining → closing → closed.
 */
export const TRANSITIONS: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = {
  starting: ['probing', 'failed', 'leaving'],
  probing: ['registering', 'serving', 'failed', 'leaving'],
  registering: ['joining', 'failed', 'leaving'],
  joining: ['in-service', 'failed', 'leaving'],
  'in-service': ['leaving', 'standby'],
  // Auto Scaling Standby/Detached; InService again goes back through registering → joining → in-service.
  standby: ['registering', 'leaving'],
  serving: ['leaving'],
  failed: ['leaving'],
  leaving: ['draining'],
  draining: ['closing'],
  closing: ['closed'],
  closed: [],
};

export interface StateMachine {
  readonly state: LifecycleState;
  /** Moves to `next`; throws on a transition the table does not allow (a bug in the lifecycle, not bad input). */
  to(next: LifecycleState): void;
}

export function createStateMachine(onChange: (next: LifecycleState, previous: LifecycleState) => void): StateMachine {
  let state: LifecycleState = 'starting';
  return {
    get state() {
      return state;
    },
    to(next) {
      if (!TRANSITIONS[state].includes(next)) throw new Error(`graceful-elb internal error: no transition ${state} → ${next}`);
      const previous = state;
      state = next;
      onChange(next, previous);
    },
  };
}
