import { Option, type Command } from 'commander';
import { ValidateFailedError } from '../supervisor/errors.js';
import { SUPERVISOR_DEFAULTS } from '../supervisor/defaults.js';
import { parseSeconds } from './argParsers.js';
import { commandAction, formatError } from './commandAction.js';
import { EXIT_CODES } from './exitCodes.js';
import { addStateOptions, codeDeployContext, pathsFromOptions, type StateOptions } from './stateOptions.js';

interface ValidateOptions extends StateOptions {
  timeout: number;
  allowNoBalancer?: boolean;
}

export function registerValidateCommand(program: Command): void {
  const command = program
    .command('validate')
    .summary('wait (bounded) until the app reports that the balancer has it in service')
    .description(
      "Waits until the supervised app reports lifecycle state 'in-service' (every balancer has it InService). Fails " +
        "at once, with the reason, when the app reports 'failed', exits, shuts down, or runs without a balancer " +
        "('serving'; accepted with --allow-no-balancer), and after --timeout otherwise.",
    );
  addStateOptions(command)
    .addOption(
      new Option('--timeout <seconds>', 'how long to wait for in-service')
        .default(SUPERVISOR_DEFAULTS.validateTimeoutSeconds)
        .argParser(parseSeconds),
    )
    .option('--allow-no-balancer', "accept the library's no-balancer mode (state 'serving') as success")
    .action(commandAction((options: ValidateOptions) => validate(options)));
}

async function validate(options: ValidateOptions): Promise<number> {
  const [{ waitForService }, { readState }, { logTail }] = await Promise.all([
    import('../supervisor/waitForService.js'),
    import('../supervisor/stateFile.js'),
    import('../supervisor/logTail.js'),
  ]);
  const paths = pathsFromOptions(options);
  const context = codeDeployContext(process.env);
  try {
    const result = await waitForService({
      paths,
      timeoutSeconds: options.timeout,
      allowNoBalancer: options.allowNoBalancer ?? false,
      onProgress: (state) => process.stdout.write(`graceful-elb validate: ${state}\n`),
    });
    const phase = result.state.lifecycle?.state ?? 'ready';
    process.stdout.write(
      `graceful-elb validate: app pid ${result.state.app.process?.pid} is ${phase} after ${(result.elapsedMs / 1000).toFixed(1)} s${context}\n`,
    );
    return EXIT_CODES.ok;
  } catch (err) {
    if (!(err instanceof ValidateFailedError)) throw err;
    process.stderr.write(`${formatError(err)}${context}\n`);
    // The app's own last words usually say why (a stack trace, a refused connection).
    const errLog = err.reason === 'not-running' ? undefined : readState(paths.state)?.logs.err;
    const tail = errLog ? logTail(errLog, SUPERVISOR_DEFAULTS.logTailLines) : '';
    if (tail) process.stderr.write(`graceful-elb validate: last lines of ${errLog}:\n${tail}\n`);
    return EXIT_CODES.failure;
  }
}
