import { InvalidOptionError } from '../errors.js';
import { SUPERVISOR_DEFAULTS } from './defaults.js';

/**
 * The default stop bound: the app's drainSeconds (GRACEFUL_ELB_DRAIN_SECONDS in the environment it gets,
 * else the library's default) plus a margin for leaving the balancer and closing sockets. An app that sets
 * drainSeconds in code instead must pass --stop-timeout / --timeout to match.
 */
export function defaultStopTimeoutSeconds(env: NodeJS.ProcessEnv): number {
  const raw = env.GRACEFUL_ELB_DRAIN_SECONDS;
  if (raw === undefined || raw.trim() === '') return SUPERVISOR_DEFAULTS.drainSeconds + SUPERVISOR_DEFAULTS.stopMarginSeconds;
  const drainSeconds = Number(raw);
  if (!Number.isFinite(drainSeconds) || drainSeconds < 0 || drainSeconds > 3600) {
    throw new InvalidOptionError('GRACEFUL_ELB_DRAIN_SECONDS', raw, 'a number of seconds from 0 to 3600');
  }
  return drainSeconds + SUPERVISOR_DEFAULTS.stopMarginSeconds;
}
