import { DEFAULTS as LIBRARY_DEFAULTS } from '../options.js';
import { EXIT_CODES as LIBRARY_EXIT_CODES } from '../exitCodes.js';

/**
 * Every default of the supervisor and of the `start` / `stop` / `validate` commands, written once.
 * docs/codedeploy.md and docs/cli.md quote these values; change both together.
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
   * Exit codes after which the app is not restarted: the library exits with `startupFailed` (when
   * `exitOnStartupFailure` is set) because its health route or the balancer failed, which a restart does not cure;
   * with `autoScalingTerminated` or `spotInterrupted` because the instance itself is going away.
   */
  finalExitCodes: [LIBRARY_EXIT_CODES.startupFailed, LIBRARY_EXIT_CODES.autoScalingTerminated, LIBRARY_EXIT_CODES.spotInterrupted] as readonly number[],
  /**
   * The library's default drainSeconds; the stop bound is derived from it when GRACEFUL_ELB_DRAIN_SECONDS
   * is unset in the app's environment.
   */
  drainSeconds: LIBRARY_DEFAULTS.drainSeconds,
  /**
   * Added to drainSeconds for the stop bound. The library's own hard deadline is drainSeconds + graceMs
   * (5 s); 10 s more lets that deadline, which logs what was still open, always fire before the SIGKILL.
   */
  stopMarginSeconds: LIBRARY_DEFAULTS.graceMs / 1000 + 10,
  /** After SIGKILL, how long to wait for the exit to be observed before reporting the process stuck. */
  killGraceMs: 5000,
  /** How long `start` waits for the detached supervisor to report the app spawned. */
  spawnTimeoutSeconds: 10,
  /**
   * How long `validate` waits for the balancer to report the instance in service: as long as the library
   * itself tries (its health probe, then InService), plus 30 s, so that a failure is reported by the library
   * with its reason rather than by a bare timeout here. Lower both for quicker health checks.
   */
  validateTimeoutSeconds: (LIBRARY_DEFAULTS.probeTimeoutMs + LIBRARY_DEFAULTS.inServiceTimeoutMs) / 1000 + 30,
  /** How often the commands re-read the state file while they wait. */
  pollIntervalMs: 100,
  /** A stop request older than this is stale (a `stop` that died long ago) and is ignored. */
  stopRequestMaxAgeMs: 60_000,
  /** Lines of the app's stderr log shown when validate fails or the supervisor cannot start. */
  logTailLines: 20,
  /** supervisor.log is rotated by `start` once larger than this. */
  supervisorLogMaxBytes: 1024 * 1024,
} as const;
