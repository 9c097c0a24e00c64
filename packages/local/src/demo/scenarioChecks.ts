import type { DemoReport } from './report.js';

/** One part of a scenario's promise, as the report and the summary show it. */
export interface ScenarioCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** What each scenario promises; the demo exits 0 only when every check holds. */
export function scenarioChecks(report: Omit<DemoReport, 'checks' | 'ok'>): ScenarioCheck[] {
  if (report.scenario === 'crash') return crashChecks(report);
  if (report.scenario === 'scale-in' || report.scenario === 'spot') return leaveChecks(report);
  const checks: ScenarioCheck[] = [
    { name: 'zero failed requests', ok: report.failedRequests === 0, detail: `${report.failedRequests.toLocaleString('en-US')} failed of ${report.traffic.totals.sent.toLocaleString('en-US')} sent` },
  ];
  const { deployment } = report;
  switch (report.scenario) {
    case 'deploy':
      checks.push({ name: 'deployment succeeded', ok: deployment.status === 'Succeeded', detail: deployment.reason ?? deployment.status });
      break;
    case 'failed-revision': {
      const failed = report.instances.filter((i) => i.status === 'Failed');
      checks.push(
        {
          // One instance with OneAtATime; every instance of the first wave when the configuration allows several
          // at once (min-healthy 1 of 3 deploys to two): each got the broken revision and none may succeed with it.
          name: 'the deployment failed on the first instance(s) it reached, each with the library\'s reason',
          ok:
            deployment.status === 'Failed' &&
            failed.length > 0 &&
            failed.length === report.instances.length - deployment.skipped.length &&
            failed.every((i) => /ERR_GRACEFUL_ELB_/.test(i.error ?? '')),
          detail: failed.length > 0 ? failed.map((i) => `${i.instanceId}: ${i.error ?? '(no reason)'}`).join('; ') : `no instance failed (deployment ${deployment.status})`,
        },
        {
          name: 'it stopped there: the other instances kept the old revision',
          ok: deployment.skipped.length === report.instances.length - failed.length && deployment.skipped.length > 0,
          detail: `skipped: ${deployment.skipped.join(', ') || 'none'}`,
        },
        {
          name: 'automatic rollback redeployed the last good revision to the failed instance',
          ok: report.rollback?.status === 'Succeeded' && failed.every((i) => i.rollback?.status === 'Succeeded' && i.servedAfterRejoin > 0),
          detail: report.rollback ? `rollback ${report.rollback.id} ${report.rollback.status} on ${report.rollback.instances.join(', ')}` : 'no rollback ran',
        },
        {
          name: 'the bad process never received traffic',
          ok: failed.length > 0 && failed.every((i) => i.badRevision !== undefined && i.badRevision.served === 0 && !i.badRevision.routed),
          detail: failed
            .map((i) =>
              i.badRevision
                ? `${i.instanceId}: ran ${((i.badRevision.to - i.badRevision.from) / 1000).toFixed(1)} s, served ${i.badRevision.served}, ${i.badRevision.routed ? 'ROUTED TO' : 'never routed to'}`
                : `${i.instanceId}: no bad-revision window`,
            )
            .join('; '),
        },
      );
      break;
    }
  }
  return checks;
}

/** scale-in, spot: the instance leaves for good without a failed request, before it is taken. */
function leaveChecks(report: Omit<DemoReport, 'checks' | 'ok'>): ScenarioCheck[] {
  const l = report.incident;
  if (!l || l.kind === 'crash') return [{ name: 'the instance was taken away', ok: false, detail: 'nothing was recorded' }];
  const expectedExit = l.kind === 'scale-in' ? 10 : 11;
  const checks: ScenarioCheck[] = [
    { name: 'zero failed requests', ok: report.failedRequests === 0, detail: `${report.failedRequests.toLocaleString('en-US')} failed of ${report.traffic.totals.sent.toLocaleString('en-US')} sent` },
    {
      name: 'it left the balancer before its process exited',
      ok: l.leftAt !== undefined && l.exitedAt !== undefined && l.leftAt <= l.exitedAt,
      detail: `${l.kind === 'scale-in' ? 'scale-in' : 'notice'} at ${ms(l.at)}, out at ${ms(l.leftAt)}, exited at ${ms(l.exitedAt)}`,
    },
    {
      name: `the app exited for good with code ${expectedExit}, not restarted`,
      ok: l.exitCode === expectedExit,
      detail: l.exitCode !== null ? `exit code ${l.exitCode}` : (l.exitSignal ?? 'no exit seen'),
    },
  ];
  if (l.lifecycle) {
    const c = l.lifecycle;
    const waited = c.proceededAt !== undefined && c.waitStartedAt !== undefined ? c.proceededAt - c.waitStartedAt : undefined;
    checks.push({
      name: 'the app completed the lifecycle action (CONTINUE) before the hook timed out',
      ok: c.cause === 'CompleteLifecycleAction CONTINUE' && waited !== undefined && waited < c.heartbeatTimeoutSeconds * 1000,
      detail: `${c.cause ?? 'not completed'} ${ms(waited)} after Terminating:Wait (timeout ${c.heartbeatTimeoutSeconds} s)`,
    });
  }
  if (l.terminationTime !== undefined) {
    checks.push({
      name: 'gone before EC2 takes the instance',
      ok: l.exitedAt !== undefined && l.exitedAt < l.terminationTime,
      detail: `exited ${ms(l.exitedAt !== undefined ? l.terminationTime - l.exitedAt : undefined)} before the termination time`,
    });
  }
  return checks;
}

/** crash: a crash may cost what it had in flight, never more; the balancer never routes to the dead process. */
function crashChecks(report: Omit<DemoReport, 'checks' | 'ok'>): ScenarioCheck[] {
  const c = report.incident;
  if (!c || c.kind !== 'crash') return [{ name: 'the app crashed', ok: false, detail: 'no crash was recorded' }];
  const crashed = report.instances.find((i) => i.instanceId === c.instanceId);
  return [
    {
      name: 'failed requests at most what the crash had in flight',
      ok: report.failedRequests <= c.inFlightAtCrash,
      detail: `${report.failedRequests.toLocaleString('en-US')} failed, ${c.inFlightAtCrash} in flight at the crash`,
    },
    {
      name: 'no black hole: the balancer stopped routing before the process was gone',
      ok: c.blackHoleMs === 0 && c.leftAt !== undefined,
      detail: c.blackHoleMs === 0 ? `out of the balancer at ${ms(c.leftAt)}, exited at ${ms(c.exitedAt)}` : `routed to for ${ms(c.blackHoleMs)} after the process was gone`,
    },
    {
      name: 'restarted and back in service',
      ok: c.backAt !== undefined && (crashed?.servedAfterRejoin ?? 0) > 0,
      detail: `restarted at ${ms(c.restartedAt)}, routed to again at ${ms(c.backAt)}, served ${crashed?.servedAfterRejoin ?? 0} after`,
    },
  ];
}

const ms = (value: number | undefined): string => (value === undefined ? '–' : `${(value / 1000).toFixed(1)} s`);
