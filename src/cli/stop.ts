import { Option, type Command } from 'commander';
import { parseSeconds } from './argParsers.js';
import { commandAction } from './commandAction.js';
import { EXIT_CODES } from './exitCodes.js';
import { addStateOptions, codeDeployContext, pathsFromOptions, type StateOptions } from './stateOptions.js';

interface StopOptions extends StateOptions {
  timeout?: number;
  acceptLeaveFailure?: boolean;
}

export function registerStopCommand(program: Command): void {
  const command = program
    .command('stop')
    .summary('SIGTERM the supervised app, wait (bounded) until it has exited; 0 also when nothing runs')
    .description(
      'Asks the supervisor to stop the app: SIGTERM, then SIGKILL if it has not exited within the bound, then the ' +
        'supervisor exits. Waits for all of it. Exit 0 when the app exited on SIGTERM, and when nothing was running ' +
        '(CodeDeploy runs the previous revision’s ApplicationStop even if it never started); exit 1 when SIGKILL was ' +
        'needed; exit 4 when the app could not leave a balancer (the instance may still be registered).',
    )
    .argument('[script]', 'only stop if the supervisor runs this script');
  addStateOptions(command)
    .addOption(
      new Option(
        '--timeout <seconds>',
        'SIGTERM→SIGKILL bound (default: the one recorded by start: drainSeconds + 15)',
      ).argParser(parseSeconds),
    )
    .option('--accept-leave-failure', 'exit 0 even when the app could not leave a balancer (the warning is still printed)')
    .action(commandAction((script: string | undefined, options: StopOptions) => stop(script, options)));
}

async function stop(script: string | undefined, options: StopOptions): Promise<number> {
  const [{ stopApp }, { describeExit }] = await Promise.all([import('../supervisor/stopApp.js'), import('../supervisor/describeExit.js')]);
  const paths = pathsFromOptions(options);
  const result = await stopApp({
    paths,
    ...(script !== undefined ? { script } : {}),
    ...(options.timeout !== undefined ? { timeoutSeconds: options.timeout } : {}),
  });
  const context = codeDeployContext(process.env);
  if (!result.stopped) {
    const last = result.last ? ` (last status: ${result.last.status}${result.last.reason ? `: ${result.last.reason}` : ''})` : '';
    process.stdout.write(`graceful-elb stop: nothing running in ${paths.dir}${last}${context}\n`);
    return EXIT_CODES.ok;
  }
  const exit = result.state.lastExit;
  const how = exit && exit.pid === result.pid ? describeExit(exit.code, exit.signal) : 'exited';
  const without = result.withoutSupervisor ? ' (its supervisor was gone; signalled directly)' : '';
  process.stdout.write(
    `graceful-elb stop: app pid ${result.pid} ${how} ${(result.elapsedMs / 1000).toFixed(1)} s after SIGTERM${without}${context}\n`,
  );
  if (result.leaveFailed !== undefined) {
    process.stderr.write(
      `graceful-elb stop: warning: the instance may still be registered with a load balancer: ${result.leaveFailed}` +
        `${options.acceptLeaveFailure ? ' (accepted: --accept-leave-failure)' : ''}\n`,
    );
    if (!options.acceptLeaveFailure) return EXIT_CODES.leaveFailed;
  }
  return EXIT_CODES.ok;
}
