import { ApiCallTimeoutError } from './errors.js';

/** The one method of an AWS SDK v3 client the library calls. */
interface Sends {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/**
 * Wraps a client so that every `send` ends within `timeoutMs`: connect, request and the whole response body.
 * `@smithy/node-http-handler` 4.x only logs a warning when its `requestTimeout` passes (unless told to throw), and
 * its timers do not cover a body that stalls after the headers; a stale keep-alive socket to the API is enough to
 * hang a call for good. The per-call AbortSignal makes the SDK destroy the socket; the timer rejects the call even
 * if the client (a caller's own) ignores the signal. A timed-out call rejects with ApiCallTimeoutError, which the
 * retry policy treats like a network error. The caller's own `abortSignal` still ends the call at once.
 */
export function boundCalls<C extends Sends>(client: C, timeoutMs: number): C {
  const send = async (command: unknown, options: { abortSignal?: AbortSignal } = {}): Promise<unknown> => {
    const parent = options.abortSignal;
    parent?.throwIfAborted();
    const controller = new AbortController();
    const action = commandName(command);
    let timer: NodeJS.Timeout | undefined;
    let onParentAbort: (() => void) | undefined;
    const bound = new Promise<never>((_, reject) => {
      // Referenced: a pending call is work the process should finish (or give up on) before it exits.
      timer = setTimeout(() => {
        const error = new ApiCallTimeoutError(action, timeoutMs);
        controller.abort(error);
        reject(error);
      }, timeoutMs);
      onParentAbort = () => {
        controller.abort(parent?.reason);
        reject(parent?.reason);
      };
      parent?.addEventListener('abort', onParentAbort, { once: true });
    });
    try {
      return await Promise.race([client.send(command, { ...options, abortSignal: controller.signal }), bound]);
    } finally {
      clearTimeout(timer);
      if (onParentAbort !== undefined) parent?.removeEventListener('abort', onParentAbort);
    }
  };
  // Only `send` is wrapped; the rest of the client (destroy, config) is the caller's.
  return new Proxy(client, {
    get(target, key) {
      if (key === 'send') return send;
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** `DescribeInstanceHealth` from a DescribeInstanceHealthCommand, for the error message. */
function commandName(command: unknown): string {
  const name = (command as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== 'Object' ? name.replace(/Command$/, '') : 'the API call';
}
