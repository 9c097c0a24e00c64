import type { Command } from 'commander';
import { commandAction } from './commandAction.js';
import { EXIT_CODES } from './exitCodes.js';
import { addStateOptions, pathsFromOptions, type StateOptions } from './stateOptions.js';

interface StatusOptions extends StateOptions {
  json?: boolean;
}

export function registerStatusCommand(program: Command): void {
  const command = program
    .command('status')
    .summary('is the supervised app running: pids, uptime, lifecycle phase')
    .description('Prints whether the supervised app runs, its pid, uptime, restarts and lifecycle phase. Exit 0 when it runs, 3 when it does not.');
  addStateOptions(command)
    .option('--json', 'print the status as JSON')
    .action(commandAction((options: StatusOptions) => status(options)));
}

async function status(options: StatusOptions): Promise<number> {
  const { formatStatus, statusReport } = await import('../supervisor/statusReport.js');
  const report = statusReport(pathsFromOptions(options), options.name);
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatStatus(report)}\n`);
  return report.running ? EXIT_CODES.ok : EXIT_CODES.notRunning;
}
