import { EXIT_CODES } from '../exitCodes.js';

/** "exited with code 1" / "was killed by SIGKILL", as Node reports a child's end. */
export function describeExit(code: number | null, signal: string | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/** Why an exit code the supervisor never restarts was final (SUPERVISOR_DEFAULTS.finalExitCodes). */
export function finalExitReason(code: number): string {
  if (code === EXIT_CODES.autoScalingTerminated) return 'Auto Scaling is terminating the instance (scale-in): the app left, drained and completed the lifecycle action';
  if (code === EXIT_CODES.spotInterrupted) return 'the instance got a Spot interruption notice: the app left and drained';
  return 'the library gave up starting (health route or balancer failed)';
}

/** Exit codes that mean the instance itself is going away: the supervisor ends cleanly (status exited, exit 0). */
export function instanceLeaving(code: number | null): boolean {
  return code === EXIT_CODES.autoScalingTerminated || code === EXIT_CODES.spotInterrupted;
}
