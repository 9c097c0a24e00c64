import { Option, type Command } from 'commander';
import { SUPERVISOR_DEFAULTS } from '../supervisor/defaults.js';
import { checkStateDir, defaultStateDir, statePaths, type StatePaths } from '../supervisor/statePaths.js';
import { envText } from '../envText.js';
import { ENV_OVERRIDES } from '../options.js';
import { parseName, parseNonEmpty } from './argParsers.js';

const STATE_DIR_ENV = ENV_OVERRIDES.stateDir;

export interface StateOptions {
  stateDir?: string;
  name: string;
}

/** --state-dir (env GRACEFUL_ELB_STATE_DIR) and --name: which supervised app a command talks to. */
export function addStateOptions(command: Command): Command {
  return command
    .addOption(
      // Not commander's .env(): it hands an empty GRACEFUL_ELB_STATE_DIR to the parser, and for every GRACEFUL_ELB_*
      // var empty means unset (stateDirOf reads it).
      new Option('--state-dir <dir>', `where the state, lock and logs live (env: ${STATE_DIR_ENV}; default: ~/.local/state/graceful-elb)`).argParser(
        parseNonEmpty,
      ),
    )
    .addOption(
      new Option('--name <name>', 'the app within the state dir, for several apps on one machine')
        .default(SUPERVISOR_DEFAULTS.name)
        .argParser(parseName),
    );
}

/** --state-dir, else GRACEFUL_ELB_STATE_DIR (empty counts as unset), else the default. */
export function stateDirOf(options: StateOptions): string {
  return options.stateDir ?? envText(process.env[STATE_DIR_ENV]) ?? defaultStateDir();
}

/** The app's paths; an existing state dir someone else could write to is refused here, for every command. */
export function pathsFromOptions(options: StateOptions): StatePaths {
  const paths = statePaths(stateDirOf(options), options.name);
  checkStateDir(paths);
  return paths;
}

/** "(ApplicationStop, deployment d-123)" when run from a CodeDeploy hook, for the agent's log. */
export function codeDeployContext(env: NodeJS.ProcessEnv): string {
  if (!env.LIFECYCLE_EVENT) return '';
  return ` (${env.LIFECYCLE_EVENT}${env.DEPLOYMENT_ID ? `, deployment ${env.DEPLOYMENT_ID}` : ''})`;
}
