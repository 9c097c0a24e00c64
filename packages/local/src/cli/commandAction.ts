import { GracefulElbLocalError } from '../localError.js';
import { InvalidOptionError } from '../demo/errors.js';

/** Exit codes of `graceful-elb-local` (packages/local/README.md). */
export const EXIT_CODES = { ok: 0, failure: 1, usage: 2 } as const;

/**
 * Wraps a command's action: its returned number becomes the exit code; a thrown error is printed as
 * `error [CODE]: message` and exits 2 for bad input, 1 for anything else. The exit code is set, not forced,
 * so output is flushed before the process ends.
 */
export function commandAction<A extends unknown[]>(action: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = await action(...args);
    } catch (err) {
      const text = err instanceof GracefulElbLocalError ? `error [${err.code}]: ${err.message}` : `error: ${err instanceof Error ? err.message : String(err)}`;
      process.stderr.write(`${text}\n`);
      process.exitCode = err instanceof InvalidOptionError ? EXIT_CODES.usage : EXIT_CODES.failure;
    }
  };
}
