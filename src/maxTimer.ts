/**
 * The longest delay Node's timers keep: 2^31 − 1 ms (about 24.8 days). A longer one is clamped to 1 ms with a
 * TimeoutOverflowWarning, turning "very long" into "now" (a hard deadline firing at once, an app SIGKILLed at
 * once). Every option, env var and CLI flag that becomes a timer is checked against it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The same bound in whole seconds, for the flags given in seconds. */
export const MAX_TIMER_SECONDS = Math.floor(MAX_TIMER_MS / 1000);
