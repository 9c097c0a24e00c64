import { EventEmitter } from 'node:events';
import { pino, type Logger } from 'pino';
import type { LifecycleDeps } from '../../src/gracefulElb.js';

export interface LogLine {
  level: number;
  msg: string;
  phase?: string;
  durationMs?: number;
  [key: string]: unknown;
}

/** A pino logger whose lines land in `lines`, parsed. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

/** A stand-in for `process` (signals and IPC) so an in-process test can signal without killing the runner. */
export function fakeProcess(): LifecycleDeps['process'] & { emitter: EventEmitter; sent: unknown[]; signal(name: NodeJS.Signals): void } {
  const emitter = new EventEmitter();
  const sent: unknown[] = [];
  return {
    emitter,
    sent,
    pid: 4242,
    on: (signal, listener) => emitter.on(signal, listener),
    off: (signal, listener) => emitter.off(signal, listener),
    send: (message, callback) => {
      sent.push(message);
      setImmediate(() => callback(null));
    },
    signal: (name) => void emitter.emit(name),
  };
}

