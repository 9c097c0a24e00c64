import { Option, type Command } from 'commander';
import { SUPERVISOR_DEFAULTS } from '../supervisor/defaults.js';
import { checkStateDir, defaultStateDir, statePaths, type StatePaths } from '../supervisor/statePaths.js';
import { parseName, parseNonEmpty } from './argParsers.js';

export interface StateOptions {
  stateDir?: string;
  name: string;
}

/** --state-dir (env GRACEFUL_ELB_STATE_DIR) and --name: which supervised app a command talks to. */
export function addStateOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--state-dir <dir>', 'where the state, lock and logs live (default: ~/.local/state/graceful-elb)')
        .env('GRACEFUL_ELB_STATE_DIR')
        .argParser(parseNonEmpty),
    )
    .addOption(
      new Option('--name <name>', 'the app within the state dir, for several apps on one machine')
        .default(SUPERVISOR_DEFAULTS.name)
        .argParser(parseName),
    );
}

/** The app's paths; an existing state dir someone else could write to is refused here, for every command. */
export function pathsFromOptions(options: StateOptions): StatePaths {
  const paths = statePaths(options.stateDir ?? defaultStateDir(), options.name);
  checkStateDir(paths);
  return paths;
}

/** "(ApplicationStop, deployment d-123)" when run from a CodeDeploy hook, for the agent's log. */
export function codeDeployContext(env: NodeJS.ProcessEnv): string {
  if (!env.LIFECYCLE_EVENT) return '';
  return ` (${env.LIFECYCLE_EVENT}${env.DEPLOYMENT_ID ? `, deployment ${env.DEPLOYMENT_ID}` : ''})`;
}
