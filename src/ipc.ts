import { LIFECYCLE_MESSAGE_TYPE, type JoinedBalancers, type LifecycleMessage, type LifecycleState } from './lifecycleMessage.js';

/** `process.send` (present only when the process has an IPC channel: forked, or run by PM2/forever). */
export type Send = (message: unknown, callback: (error: Error | null) => void) => void;

export interface IpcNotifier {
  state(state: LifecycleState, error?: { code: string; message: string }, membership?: JoinedBalancers): void;
  /** The plain string PM2 (`wait_ready`) and forever understand. */
  ready(): void;
  /** Resolves when every message sent so far has left, or after `timeoutMs` (before exit: a message still in the pipe dies with the process). */
  flush(timeoutMs: number): Promise<void>;
}

export function createIpcNotifier(send: Send | undefined, pid: number): IpcNotifier {
  let pending: Promise<void> = Promise.resolve();
  const post = (message: unknown): void => {
    if (send === undefined) return;
    const sent = new Promise<void>((resolve) => {
      try {
        // A supervisor that went away (ERR_IPC_CHANNEL_CLOSED) must not break the app's shutdown.
        send(message, () => resolve());
      } catch {
        resolve();
      }
    });
    pending = Promise.all([pending, sent]).then(() => undefined);
  };
  return {
    state(state, error, membership) {
      const message: LifecycleMessage = {
        type: LIFECYCLE_MESSAGE_TYPE,
        state,
        at: Date.now(),
        pid,
        ...(error !== undefined && { error }),
        ...(membership !== undefined && { membership }),
      };
      post(message);
    },
    ready() {
      post('ready');
    },
    async flush(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs).unref();
      });
      await Promise.race([pending, timeout]);
      clearTimeout(timer);
    },
  };
}
