import { request } from 'node:http';
import { connect } from 'node:net';
import type { Logger } from 'pino';
import type { HealthCheckSpec } from './config.js';
import type { HealthFailure } from './member.js';
import type { HealthCheckJob, StartHealthChecks } from './store.js';

export interface ProbeResult {
  ok: boolean;
  failure?: { reason: HealthFailure; detail: string };
}

/**
 * Health checks as the balancers run them: one probe per interval (the next starts one interval after the
 * previous started, whatever it took), each on a fresh connection, failing after the timeout. HTTP passes on
 * the matcher's codes (Classic: 200 only), TCP on a completed connect. HTTPS/SSL probes are sent as plain
 * HTTP/TCP: the local ELB has no TLS.
 */
export function healthCheckRunner(logger: Logger): StartHealthChecks {
  return (job: HealthCheckJob) => {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let abortProbe: (() => void) | undefined;
    const tick = (): void => {
      if (stopped) return;
      const spec = job.spec();
      const address = job.address();
      timer = setTimeout(tick, spec.intervalSeconds * 1000);
      timer.unref();
      const probe = runProbe(address, spec);
      abortProbe = probe.abort;
      probe.result.then((result) => {
        if (stopped) return;
        logger.trace({ job: job.label, address, ok: result.ok, failure: result.failure?.detail }, 'health check');
        job.report(result.ok, result.failure);
      }, () => undefined);
    };
    // The first probe runs at once: locally there is no reason to wait one interval before the first check.
    setImmediate(tick).unref();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      abortProbe?.();
    };
  };
}

/** One probe to `host:port`. Never rejects; `abort` ends it early (its result is then ignored). */
export function runProbe(address: string, spec: HealthCheckSpec): { result: Promise<ProbeResult>; abort: () => void } {
  const separator = address.lastIndexOf(':');
  const host = address.slice(0, separator).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(separator + 1));
  const timeoutMs = spec.timeoutSeconds * 1000;
  let abort: () => void = () => undefined;
  const result = new Promise<ProbeResult>((resolve) => {
    let done = false;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      resolve(r);
    };
    const deadline = setTimeout(() => {
      cleanup();
      finish({ ok: false, failure: { reason: 'Target.Timeout', detail: `no answer within ${timeoutMs} ms` } });
    }, timeoutMs);
    deadline.unref();
    let cleanup: () => void;

    if (spec.protocol === 'TCP' || spec.protocol === 'SSL') {
      const socket = connect({ host, port });
      cleanup = () => socket.destroy();
      socket.once('connect', () => {
        socket.destroy();
        finish({ ok: true });
      });
      socket.once('error', (err: NodeJS.ErrnoException) => finish({ ok: false, failure: { reason: 'Target.FailedHealthChecks', detail: err.code ?? err.message } }));
    } else {
      const req = request({ host, port, path: spec.path || '/', method: 'GET', agent: false, headers: { 'user-agent': 'ELB-HealthChecker/2.0', connection: 'close' } }, (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        if (matches(spec.matcher, status)) finish({ ok: true });
        else finish({ ok: false, failure: { reason: 'Target.ResponseCodeMismatch', detail: String(status) } });
        res.on('error', () => undefined);
      });
      cleanup = () => req.destroy();
      req.once('error', (err: NodeJS.ErrnoException) => finish({ ok: false, failure: { reason: 'Target.FailedHealthChecks', detail: err.code ?? err.message } }));
      req.end();
    }
    abort = () => {
      cleanup();
      finish({ ok: false, failure: { reason: 'Target.FailedHealthChecks', detail: 'aborted' } });
    };
  });
  return { result, abort };
}

/** ELBv2 matcher syntax: `200`, `200-299`, `200,302`. */
export function matches(matcher: string, status: number): boolean {
  return matcher.split(',').some((part) => {
    const [low, high] = part.split('-').map(Number);
    return high === undefined ? status === low : status >= low! && status <= high;
  });
}
