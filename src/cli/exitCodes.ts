/**
 * Exit codes of the graceful-elb commands (README, "Exit codes"). CodeDeploy fails the deployment on any
 * non-zero exit of a hook script.
 */
export const EXIT_CODES = {
  /** Done: started, stopped (or nothing was running), in service, policy printed. */
  ok: 0,
  /** The operation failed: already running, not in service, app needed SIGKILL, supervisor did not start. */
  failure: 1,
  /** Bad usage: unknown flag, a flag or env value out of range, a missing script. Nothing was done. */
  usage: 2,
  /** `status` only: nothing is running (as LSB init scripts' `status`). */
  notRunning: 3,
  /**
   * `stop`: the app exited but could not leave every balancer (the library's exit code 4): the instance may still be
   * registered. `--accept-leave-failure` turns it into 0 (the warning is still printed).
   */
  leaveFailed: 4,
  /**
   * The state dir, the app's folder or a file in it could be written by someone else (not owned by the running user,
   * group/world-writable, a symlink): nothing was read, signalled or started.
   */
  unsafeStateDir: 5,
} as const;
