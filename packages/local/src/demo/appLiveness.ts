import { connect } from 'node:net';

/** One change in whether an instance's app accepts connections on its port. */
export interface AppListeningChange {
  readonly instanceId: string;
  /** epoch ms */
  readonly at: number;
  readonly listening: boolean;
}

export interface AppLiveness {
  /** undefined until the first probe answered */
  listening(instanceId: string): boolean | undefined;
  changes(): readonly AppListeningChange[];
  stop(): void;
}

/**
 * The instance's real state, beside what the balancer reports: every `intervalMs`, a TCP connect to each app's port
 * (closed at once). A target group says `draining` for its whole delay while the process may have exited long before;
 * this is how the demo shows both.
 */
export function watchApps(
  apps: ReadonlyArray<{ readonly id: string; readonly port: number }>,
  intervalMs: number,
  onChange?: (change: AppListeningChange) => void,
): AppLiveness {
  const state = new Map<string, boolean>();
  const changes: AppListeningChange[] = [];
  let stopped = false;
  const probe = (id: string, port: number): void => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (listening: boolean): void => {
      socket.destroy();
      if (stopped || state.get(id) === listening) return;
      state.set(id, listening);
      const change = { instanceId: id, at: Date.now(), listening };
      changes.push(change);
      onChange?.(change);
    };
    socket.setTimeout(Math.max(50, intervalMs - 10), () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  };
  const tick = (): void => {
    for (const app of apps) probe(app.id, app.port);
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    listening: (id) => state.get(id),
    changes: () => changes,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
