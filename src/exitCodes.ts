import { constants as osConstants } from 'node:os';

/** The process exit codes the library uses (README: Exit codes). */
export const EXIT_CODES = {
  /** Drained and closed cleanly. */
  ok: 0,
  /** The hard deadline (drainSeconds + grace) passed, or requests were cut at the end of the grace period. */
  shutdownTimeout: 1,
  /** Startup failed (health never passed, never in service) and `exitOnStartupFailure` is set; left cleanly. */
  startupFailed: 3,
  /**
   * At least one balancer could not be left (its deregistration failed after every retry, or did not finish within
   * drainSeconds): the instance may still be registered. Wins over 1: it is the failure an operator must act on.
   */
  leaveFailed: 4,
  /**
   * Auto Scaling is terminating the instance (target lifecycle state Terminated): left, drained, closed and the
   * termination lifecycle hook completed. The supervisor does not restart the app.
   */
  autoScalingTerminated: 10,
  /** A Spot interruption notice (or, when enabled, a rebalance recommendation): left, drained, closed. Not restarted. */
  spotInterrupted: 11,
  /**
   * The app crashed (an uncaught exception or unhandled rejection the app does not handle itself): the library left
   * the balancers, drained for at most `crashDrainSeconds` and closed. sysexits' EX_SOFTWARE; the supervisor restarts it.
   */
  crashed: 70,
} as const;

/** A second signal: the shell convention 128 + signal number (SIGINT 130, SIGTERM 143). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (osConstants.signals[signal] ?? 0);
}
