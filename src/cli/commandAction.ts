import { GracefulElbError, InvalidOptionError } from '../errors.js';
import { UnsafeStateDirError } from '../privateDir.js';
import { EXIT_CODES } from './exitCodes.js';

/**
 * Wraps a command's action: its returned number becomes the exit code; a thrown error is printed as
 * `error [CODE]: message` and exits 2 for bad input (InvalidOptionError), 5 for an unsafe state dir, 1 for anything else. The exit
 * code is set, not forced, so output is flushed before the process ends.
 */
export function commandAction<A extends unknown[]>(
  action: (...args: A) => Promise<number>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = await action(...args);
    } catch (err) {
      process.stderr.write(`${formatError(err)}\n`);
      process.exitCode = exitCodeOf(err);
    }
  };
}

function exitCodeOf(err: unknown): number {
  if (err instanceof InvalidOptionError) return EXIT_CODES.usage;
  // A state file's own failure may wrap the refusal (a planted symlink met while writing).
  if (err instanceof UnsafeStateDirError || (err instanceof Error && err.cause instanceof UnsafeStateDirError)) return EXIT_CODES.unsafeStateDir;
  return EXIT_CODES.failure;
}

export function formatError(err: unknown): string {
  if (err instanceof GracefulElbError) return `error [${err.code}]: ${err.message}`;
  if (err instanceof Error) return `error: ${err.message}`;
  return `error: ${String(err)}`;
}
