import { statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { InvalidOptionError } from '../errors.js';
import { SUPERVISOR_DEFAULTS } from '../supervisor/defaults.js';
import type { SupervisorState } from '../supervisor/stateFile.js';
import { defaultStopTimeoutSeconds } from '../supervisor/stopTimeout.js';
import { parseCount, parseSeconds } from './argParsers.js';
import { commandAction } from './commandAction.js';
import { EXIT_CODES } from './exitCodes.js';
import { addStateOptions, codeDeployContext, pathsFromOptions, stateDirOf, type StateOptions } from './stateOptions.js';

interface StartOptions extends StateOptions {
  minUptime: number;
  maxRestarts: number;
  stopTimeout?: number;
  spawnTimeout: number;
  foreground?: boolean;
}

export function registerStartCommand(program: Command): void {
  const command = program
    .command('start')
    .summary('run a Node app under the supervisor; returns once it is spawned')
    .description(
      'Runs `node <script> [args...]` under a forever-monitor supervisor in the background and returns once the app is ' +
        'spawned. The supervisor stops the app with SIGTERM (SIGKILL after the stop bound), restarts it after a crash ' +
        '(not when it crashes within --min-uptime of its start), keeps its state and logs in the state dir, and gives ' +
        'the app an IPC channel through which the library reports its lifecycle. Arguments for the app go after `--`.',
    )
    .argument('<script>', 'the app entry point, run with this node')
    .argument('[args...]', 'arguments for the app (after --)');
  addStateOptions(command)
    .addOption(
      new Option('--min-uptime <ms>', 'a crash sooner than this after a start is final (no restart loop)')
        .default(SUPERVISOR_DEFAULTS.minUptimeMs)
        .argParser(parseCount),
    )
    .addOption(
      new Option('--max-restarts <n>', 'restarts after crashes before giving up')
        .default(SUPERVISOR_DEFAULTS.maxRestarts)
        .argParser(parseCount),
    )
    .addOption(
      new Option(
        '--stop-timeout <seconds>',
        'SIGTERM→SIGKILL bound when the supervisor itself is signalled (default: GRACEFUL_ELB_DRAIN_SECONDS or 30, + 15)',
      ).argParser(parseSeconds),
    )
    .addOption(
      new Option('--spawn-timeout <seconds>', 'how long to wait for the supervisor to report the app spawned')
        .default(SUPERVISOR_DEFAULTS.spawnTimeoutSeconds)
        .argParser(parseSeconds),
    )
    .option('--foreground', 'run the supervisor in this process until the app is stopped (systemd, containers)')
    .action(commandAction((script: string, args: string[], options: StartOptions) => start(script, args, options)));
}

async function start(scriptArg: string, args: string[], options: StartOptions): Promise<number> {
  const script = resolve(scriptArg);
  if (!isFile(script)) throw new InvalidOptionError('<script>', scriptArg, 'an existing file');
  const paths = pathsFromOptions(options);
  const stopTimeoutSeconds = options.stopTimeout ?? defaultStopTimeoutSeconds(process.env);

  if (options.foreground) {
    // Only the supervisor process needs pino and forever-monitor (with chokidar and the rest): loaded here, so that
    // every other command (and `start` itself in the hook) starts without them.
    const [{ default: pino }, { runSupervisor }] = await Promise.all([import('pino'), import('../supervisor/supervisor.js')]);
    const logger = pino({ base: { name: options.name } }, pino.destination({ dest: 1, sync: true }));
    const outcome = await runSupervisor({
      paths,
      name: options.name,
      script,
      args,
      cwd: process.cwd(),
      minUptimeMs: options.minUptime,
      maxRestarts: options.maxRestarts,
      stopTimeoutSeconds,
      ...codeDeployEnv(process.env),
      logger,
    });
    return outcome.exitCode;
  }

  const { launchSupervisor } = await import('../supervisor/launchSupervisor.js');
  const state = await launchSupervisor({
    paths,
    command: {
      file: process.execPath,
      args: [
        ...process.execArgv,
        resolve(process.argv[1] ?? ''),
        'start',
        '--foreground',
        '--state-dir',
        stateDirOf(options),
        '--name',
        options.name,
        '--min-uptime',
        String(options.minUptime),
        '--max-restarts',
        String(options.maxRestarts),
        '--stop-timeout',
        String(stopTimeoutSeconds),
        '--',
        script,
        ...args,
      ],
    },
    cwd: process.cwd(),
    env: process.env,
    spawnTimeoutSeconds: options.spawnTimeout,
  });
  process.stdout.write(`${describeStart(state)}${codeDeployContext(process.env)}\n`);
  if (state.status === 'exited') {
    process.stderr.write(`warning: the app has already exited: ${state.reason ?? 'see its logs'}\n`);
  }
  return EXIT_CODES.ok;
}

function describeStart(state: SupervisorState): string {
  return (
    `graceful-elb start: ${basename(state.app.script)} spawned (app pid ${state.app.process?.pid}, ` +
    `supervisor pid ${state.supervisor.pid}; state and logs in ${dirname(state.logs.out)})`
  );
}

function codeDeployEnv(env: NodeJS.ProcessEnv): { codedeploy?: SupervisorState['codedeploy'] } {
  if (!env.DEPLOYMENT_ID) return {};
  return {
    codedeploy: {
      deploymentId: env.DEPLOYMENT_ID,
      ...(env.APPLICATION_NAME ? { applicationName: env.APPLICATION_NAME } : {}),
      ...(env.DEPLOYMENT_GROUP_NAME ? { deploymentGroupName: env.DEPLOYMENT_GROUP_NAME } : {}),
      ...(env.LIFECYCLE_EVENT ? { lifecycleEvent: env.LIFECYCLE_EVENT } : {}),
    },
  };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
