/**
 * Every default of the supervisor and of the `start` / `stop` / `validate` commands, written once.
 * The README's CodeDeploy and CLI sections quote these values; change both together.
 */
export const SUPERVISOR_DEFAULTS = {
  /** Subdirectory of the state dir; several apps on one machine use different names (or state dirs). */
  name: 'app',
  /**
   * A crash sooner than this after a spawn is final: the supervisor does not restart it (forever-monitor's
   * `minUptime` without `spinSleepTime`), so a revision that cannot start never becomes a restart loop.
   */
  minUptimeMs: 2000,
  /** Restarts after a crash (each one after at least minUptimeMs of uptime) before the supervisor gives up. */
  maxRestarts: 10,
  /**
   * The library's default drainSeconds; the stop bound is derived from it when GRACEFUL_ELB_DRAIN_SECONDS
   * is unset in the app's environment.
   */
  drainSeconds: 30,
  /**
   * Added to drainSeconds for the stop bound: the deregistration call (with its retries), the balancer's
   * propagation delay and closing the sockets all happen outside the drain itself.
   */
  stopMarginSeconds: 15,
  /** After SIGKILL, how long to wait for the exit to be observed before reporting the process stuck. */
  killGraceMs: 5000,
  /** How long `start` waits for the detached supervisor to report the app spawned. */
  spawnTimeoutSeconds: 10,
  /**
   * How long `validate` waits for the balancer to report the instance in service. Classic ELB's own
   * health-check defaults (30 s interval x 10 healthy) need 300 s; most setups need far less.
   */
  validateTimeoutSeconds: 300,
  /** How often the commands re-read the state file while they wait. */
  pollIntervalMs: 100,
  /** A stop request older than this is stale (a `stop` that died long ago) and is ignored. */
  stopRequestMaxAgeMs: 60_000,
  /** Lines of the app's stderr log shown when validate fails or the supervisor cannot start. */
  logTailLines: 20,
  /** supervisor.log is rotated by `start` once larger than this. */
  supervisorLogMaxBytes: 1024 * 1024,
} as const;
