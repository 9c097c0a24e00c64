import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { createHttpTerminator } from 'http-terminator';

export interface ServerCloser {
  /**
   * Stops accepting connections, closes idle keep-alive sockets at once, lets running requests finish for up to
   * `graceMs`, then destroys what is left. Resolves when every connection is gone.
   */
  close(): Promise<void>;
  /** Removes the listeners http-terminator added to the server. */
  dispose(): void;
}

const TRACKED_EVENTS = ['connection', 'secureConnection', 'request'] as const;

/**
 * Must be created early: http-terminator learns about sockets from the 'connection' events it sees, so a
 * terminator created at shutdown would not know the keep-alive sockets opened before.
 */
export function prepareServerClose(server: HttpServer | HttpsServer, graceMs: number): ServerCloser {
  // http-terminator adds listeners it never removes; note them so dispose() can.
  const before = new Map(TRACKED_EVENTS.map((event) => [event, new Set(server.listeners(event))]));
  // Pass the grace explicitly: http-terminator's docs say 5000 ms by default, its code uses 1000.
  const terminator = createHttpTerminator({ server, gracefulTerminationTimeout: graceMs });
  const added = (): Array<[string, (...args: unknown[]) => void]> =>
    TRACKED_EVENTS.flatMap((event) =>
      server
        .listeners(event)
        .filter((listener) => !before.get(event)?.has(listener))
        .map((listener) => [event, listener as (...args: unknown[]) => void] as [string, (...args: unknown[]) => void]),
    );

  return {
    async close() {
      // Stop listening first: a late connection should be refused, not accepted and then destroyed as http-terminator
      // does during its grace period. (Node >= 19 also closes idle keep-alive sockets here.)
      const closed = new Promise<void>((resolve) => {
        if (!server.listening) resolve();
        else server.close(() => resolve());
      });
      // terminate() ends with its own server.close(), which fails with ERR_SERVER_NOT_RUNNING since we closed first.
      await terminator.terminate().catch((error: unknown) => {
        if ((error as { code?: unknown }).code !== 'ERR_SERVER_NOT_RUNNING') throw error;
      });
      await closed;
    },
    dispose() {
      for (const [event, listener] of added()) server.removeListener(event, listener);
    },
  };
}
