import { Agent, get } from 'node:http';

export interface LoadResult {
  ok: number;
  failed: number;
  errors: string[];
  /** Requests answered 2xx with `Connection: close` (sent after the signal). */
  closedConnections: number;
}

/**
 * Keeps `concurrency` keep-alive clients sending requests to 127.0.0.1:port (like balancer nodes would) until
 * `stop` is called; `done` resolves with the tally once every client finished its last request.
 */
export function startLoad(port: number, paths: readonly string[], concurrency = 4): { result: LoadResult; stop(): void; done: Promise<LoadResult> } {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const result: LoadResult = { ok: 0, failed: 0, errors: [], closedConnections: 0 };
  let stopped = false;
  const once = (path: string): Promise<void> =>
    new Promise((resolve) => {
      const req = get({ host: '127.0.0.1', port, path, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) result.ok++;
          else (result.failed++, result.errors.push(`status ${res.statusCode}`));
          if (res.headers.connection === 'close') result.closedConnections++;
          resolve();
        });
        res.on('error', (error) => (result.failed++, result.errors.push(error.message), resolve()));
      });
      req.on('error', (error) => {
        result.failed++;
        result.errors.push(`${(error as NodeJS.ErrnoException).code ?? ''} ${error.message}`);
        resolve();
      });
    });
  const worker = async (n: number): Promise<void> => {
    for (let i = 0; !stopped; i++) await once(paths[(n + i) % paths.length]!);
  };
  const done = Promise.all(Array.from({ length: concurrency }, (_, n) => worker(n))).then(() => {
    agent.destroy();
    return result;
  });
  return {
    result,
    stop: () => {
      stopped = true;
    },
    done,
  };
}

/** One request on its own connection: its status, or the error that ended it. */
export function oneRequest(port: number, path: string): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      res.on('error', (error) => resolve({ error: error.message }));
    });
    req.on('error', (error) => resolve({ error: `${(error as NodeJS.ErrnoException).code ?? ''} ${error.message}` }));
  });
}
