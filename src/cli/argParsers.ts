import { InvalidArgumentError } from 'commander';
import { MAX_TIMER_SECONDS } from '../maxTimer.js';

// commander turns an InvalidArgumentError into "error: option '--timeout <seconds>' argument '-3' is
// invalid. <message>" (or "value '…' from env 'X'"), which names both the flag and the value.

/** Seconds, fractions allowed, greater than 0 and at most Node's longest timer (they all become one). */
export function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_TIMER_SECONDS) {
    throw new InvalidArgumentError(`Expected a number of seconds greater than 0 and at most ${MAX_TIMER_SECONDS} (Node's longest timer, about 24.8 days).`);
  }
  return seconds;
}

/** A whole number, 0 or more. */
export function parseCount(value: string): number {
  const count = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(count)) {
    throw new InvalidArgumentError('Expected a whole number, 0 or more.');
  }
  return count;
}

/** A name usable as a directory: letters, digits, '.', '_', '-'; not '.' or '..'. */
export function parseName(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(value)) {
    throw new InvalidArgumentError('Expected 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit.');
  }
  return value;
}

export function parseNonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('Expected a non-empty value.');
  return value;
}

/** For repeatable options: checks each value with `parse` and collects them. */
export function collect<T>(parse: (value: string) => T): (value: string, previous: T[] | undefined) => T[] {
  return (value, previous) => [...(previous ?? []), parse(value)];
}
