import type { LifecycleState } from '../lifecycleMessage.js';
import { isProcessRunning } from './processIdentity.js';
import { readState, type SupervisorState, type SupervisorStatus } from './stateFile.js';
import type { StatePaths } from './statePaths.js';

/** What `graceful-elb status` prints; its --json output is exactly this object. */
export interface StatusReport {
  name: string;
  stateDir: string;
  /** The supervisor and the app both run. */
  running: boolean;
  status: SupervisorStatus | 'never-started';
  supervisorPid?: number;
  appPid?: number;
  uptimeMs?: number;
  restarts?: number;
  lifecycle?: { state: LifecycleState; since: string; error?: { code: string; message: string } };
  ready?: boolean;
  script?: string;
  args?: string[];
  lastExit?: SupervisorState['lastExit'];
  reason?: string;
  logs?: SupervisorState['logs'];
  codedeploy?: SupervisorState['codedeploy'];
}

const LIVE_STATUSES: readonly SupervisorStatus[] = ['starting', 'running', 'restarting', 'stopping'];

export function statusReport(paths: StatePaths, name: string): StatusReport {
  const state = readState(paths.state);
  if (!state) return { name, stateDir: paths.dir, running: false, status: 'never-started' };
  const supervisorRunning = isProcessRunning(state.supervisor);
  const appRunning = state.app.process !== undefined && isProcessRunning(state.app.process);
  const running = supervisorRunning && appRunning;
  // A supervisor killed with SIGKILL never wrote its final status.
  const died = !supervisorRunning && LIVE_STATUSES.includes(state.status);
  const reason = state.reason ?? (died ? `the supervisor (pid ${state.supervisor.pid}) died without recording why` : undefined);
  return {
    name,
    stateDir: paths.dir,
    running,
    status: died ? 'exited' : state.status,
    supervisorPid: state.supervisor.pid,
    ...(state.app.process ? { appPid: state.app.process.pid } : {}),
    ...(running && state.app.startedAt !== undefined ? { uptimeMs: Date.now() - state.app.startedAt } : {}),
    restarts: state.app.restarts,
    ...(state.lifecycle
      ? {
          lifecycle: {
            state: state.lifecycle.state,
            since: new Date(state.lifecycle.at).toISOString(),
            ...(state.lifecycle.error ? { error: state.lifecycle.error } : {}),
          },
        }
      : {}),
    ready: state.ready,
    script: state.app.script,
    args: state.app.args,
    ...(state.lastExit ? { lastExit: state.lastExit } : {}),
    ...(reason !== undefined ? { reason } : {}),
    logs: state.logs,
    ...(state.codedeploy ? { codedeploy: state.codedeploy } : {}),
  };
}

/** The human form: a headline and indented details. */
export function formatStatus(report: StatusReport): string {
  if (report.status === 'never-started') return `${report.name}: not running (never started in ${report.stateDir})`;
  const lines = [
    report.running
      ? `${report.name}: running (app pid ${report.appPid}, supervisor pid ${report.supervisorPid}, up ${formatDuration(report.uptimeMs ?? 0)}, ${report.restarts === 1 ? '1 restart' : `${report.restarts} restarts`})`
      : `${report.name}: not running (${report.status}${report.reason ? `: ${report.reason}` : ''})`,
  ];
  if (report.lifecycle) {
    const error = report.lifecycle.error ? ` — ${report.lifecycle.error.code}: ${report.lifecycle.error.message}` : '';
    lines.push(`  ${report.running ? 'lifecycle' : 'last lifecycle'}: ${report.lifecycle.state} since ${report.lifecycle.since}${error}`);
  } else if (report.running) {
    lines.push('  lifecycle: not reported (yet)');
  }
  lines.push(`  script: ${[report.script, ...(report.args ?? [])].join(' ')}`);
  if (report.logs) lines.push(`  logs: ${report.logs.out}, ${report.logs.err}`);
  if (report.codedeploy?.deploymentId) lines.push(`  started by CodeDeploy deployment ${report.codedeploy.deploymentId}`);
  return lines.join('\n');
}

export function formatDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
