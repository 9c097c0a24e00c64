import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';

/** Open connections by kind, as the drain's log lines and the `draining` event report them. */
export interface OpenConnections {
  /** Upgraded with `Upgrade: websocket`. */
  readonly websocket: number;
  /** Upgraded to any other protocol. */
  readonly upgrade: number;
  /** Responses whose headers are sent and whose body is still being written (SSE, long downloads). */
  readonly stream: number;
  /** Every other request not answered yet (including slow uploads). */
  readonly request: number;
}

export interface UpgradeTracker {
  /** Upgraded sockets still open. */
  readonly open: number;
  /** The same, by protocol. */
  byProtocol(): { websocket: number; upgrade: number };
  /** Removes every listener this tracker added. */
  close(): void;
}

/**
 * Tracks upgraded sockets (WebSocket), which Node hands over to the app's 'upgrade' listener and forgets: they never
 * count as requests, and http-terminator destroys them at once when the server closes (the client sees close code 1006).
 *
 * Our 'upgrade' listener exists only while the app has one of its own. Node checks `listenerCount('upgrade')` to decide
 * whether an `Upgrade:` request is an upgrade at all; a listener of ours alone would turn such requests of an app that
 * does not upgrade into sockets nobody answers. So it follows the app's: added in front of the app's first, removed
 * with its last. Nothing here runs per request; the cost is one Set entry per upgraded socket.
 */
export function trackUpgrades(server: HttpServer | HttpsServer): UpgradeTracker {
  const sockets = new Map<Duplex, 'websocket' | 'upgrade'>();
  let installed = false;

  const onUpgrade = (req: IncomingMessage, socket: Duplex): void => {
    if (socket.destroyed) return;
    sockets.set(socket, req.headers.upgrade?.toLowerCase() === 'websocket' ? 'websocket' : 'upgrade');
    socket.once('close', () => sockets.delete(socket));
  };
  const install = (): void => {
    installed = true;
    server.prependListener('upgrade', onUpgrade);
  };
  const uninstall = (): void => {
    installed = false;
    server.off('upgrade', onUpgrade);
  };
  const onNewListener = (event: string | symbol, listener: unknown): void => {
    // 'newListener' fires before the listener is added: ours goes in first, and the app's follows.
    if (event === 'upgrade' && listener !== onUpgrade && !installed) install();
  };
  const onRemoveListener = (event: string | symbol, listener: unknown): void => {
    // 'removeListener' fires after the removal: only ours left means the app stopped upgrading.
    if (event === 'upgrade' && listener !== onUpgrade && installed && server.listenerCount('upgrade') === 1) uninstall();
  };

  if (server.listenerCount('upgrade') > 0) install();
  server.on('newListener', onNewListener);
  server.on('removeListener', onRemoveListener);

  return {
    get open() {
      return sockets.size;
    },
    byProtocol() {
      let websocket = 0;
      for (const kind of sockets.values()) if (kind === 'websocket') websocket++;
      return { websocket, upgrade: sockets.size - websocket };
    },
    close() {
      server.off('newListener', onNewListener);
      server.off('removeListener', onRemoveListener);
      if (installed) uninstall();
    },
  };
}

/** The sum, for the drain (everything open keeps it going). */
export function countOpen(open: OpenConnections): number {
  return open.websocket + open.upgrade + open.stream + open.request;
}
