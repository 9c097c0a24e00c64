// autocannon ships no types: the part the tests use, typed at the one place it is loaded.
import { createRequire } from 'node:module';

export interface AutocannonResult {
  requests: { total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}
export interface AutocannonInstance {
  stop(): void;
  /** One event per response (any status). */
  on(event: 'response', listener: (client: unknown, statusCode: number) => void): void;
  /** One event per request that got no response (refused, reset, timed out). */
  on(event: 'reqError', listener: (error: Error) => void): void;
}
export type Autocannon = (
  options: { url: string; connections: number; overallRate: number; duration: number },
  done: (error: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;

export const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
