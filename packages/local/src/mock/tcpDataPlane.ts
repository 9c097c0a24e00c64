import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Member } from './member.js';
import type { ListenerRoute } from './store.js';

/** What a TCP listener counts, beside the HTTP listener's counters in the same status entry. */
export interface TcpCounters {
  /** Client connections accepted (each one a flow pinned to one target). */
  flows: number;
  /** Flows the listener reset: no target to send them to, the target refused or reset, idle timeout, termination. */
  resets: number;
}

/**
 * A TCP listener as an NLB (or a Classic TCP listener) runs one: no HTTP parsing, bytes piped both ways.
 * - Each client connection is a flow, pinned to the target picked when it opened, for its whole life: a kept-alive
 *   HTTP client stays on that target until one side closes the connection.
 * - After a target is deregistered, new flows go elsewhere (once the propagation delay has passed) while its
 *   existing flows carry on. At the end of the deregistration delay they are reset only when the group's
 *   `deregistration_delay.connection_termination.enabled` is `true` (`terminateOnDeregistration`); otherwise they
 *   live on until they close or go idle. Deleting a group or listener resets them.
 * - What the target does is what the client sees: its FIN closes the client side, its reset (a process that died
 *   with unread data, a refused connect) becomes a reset of the client connection. No target at all: reset.
 * - A flow idle for the listener's idle timeout (350 s on an NLB) is forgotten, and reset.
 */
export function createTcpPassthrough(options: { route: () => ListenerRoute; counters: TcpCounters; logger: Logger }): Server {
  const { counters, logger } = options;
  // pauseOnConnect: nothing is read from the client before its target is connected (nothing can be lost);
  // allowHalfOpen: a client that shuts down its sending side still gets the rest of the answer, as through a real NLB.
  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) => {
    counters.flows += 1;
    const route = options.route();
    const picked = route.pick(Date.now());
    if (!picked) {
      counters.resets += 1;
      client.resetAndDestroy();
      return;
    }
    pipeFlow(client, picked.member, picked.address, route, counters, logger);
  });
  return server;
}

function pipeFlow(client: Socket, member: Member, address: string, route: ListenerRoute, counters: TcpCounters, logger: Logger): void {
  const separator = address.lastIndexOf(':');
  const backend = connect({ host: address.slice(0, separator).replace(/^\[|\]$/g, ''), port: Number(address.slice(separator + 1)), allowHalfOpen: true });
  let tracked = true;
  let reset = false;
  const resetBoth = (): void => {
    if (reset) return;
    reset = true;
    counters.resets += 1;
    if (!client.destroyed) client.resetAndDestroy();
    if (!backend.destroyed) backend.resetAndDestroy();
  };
  // Called by the store when it cuts the target's traffic: the drain limit passed, or the group went away.
  const abort = (): void => {
    if (member.phase !== 'registered' && !(route.terminateOnDeregistration?.() ?? true)) {
      // An NLB without connection termination lets the flow live on after the target left the group.
      tracked = false;
      member.requestEnded(abort);
      return;
    }
    resetBoth();
  };
  member.requestStarted(abort);
  const untrack = (): void => {
    if (!tracked) return;
    tracked = false;
    member.requestEnded(abort);
  };

  backend.once('connect', () => {
    client.pipe(backend);
    backend.pipe(client);
    client.resume();
  });
  backend.on('error', (err: NodeJS.ErrnoException) => {
    if (logger.isLevelEnabled('debug')) logger.debug({ balancer: route.balancer, instanceId: member.instanceId, address, code: err.code }, 'target connection failed: resetting the client');
    resetBoth();
  });
  client.on('error', () => resetBoth());
  const idleMs = route.idleTimeoutSeconds() * 1000;
  client.setTimeout(idleMs, () => resetBoth());
  // A side that closed for good (both directions done, or destroyed by the listener's shutdown) takes the other with it.
  client.once('close', () => {
    backend.destroy();
    untrack();
  });
  // The target closed both ways: end the client's side once what it sent has been written (never drop those bytes).
  backend.once('close', () => {
    if (!client.destroyed) client.end();
  });
}
