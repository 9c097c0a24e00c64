import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';

/** Resolves once the server listens (at once if it already does); rejects when `signal` aborts. */
export function waitListening(server: HttpServer | HttpsServer, signal: AbortSignal): Promise<void> {
  if (server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onListening = (): void => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = (): void => {
      server.removeListener('listening', onListening);
      reject(signal.reason);
    };
    if (signal.aborted) return onAbort();
    server.once('listening', onListening);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
