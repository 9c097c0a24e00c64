import type { Command } from 'commander';
import { LOCAL_ELB_DEFAULTS } from '../mock/defaults.js';
import { instanceId as checkInstanceId } from '../mock/config.js';
import { LocalElbConfigError } from '../mock/errors.js';
import { commandAction, EXIT_CODES } from './commandAction.js';

const CONTROL_TIMEOUT_MS = 10_000;

/**
 * `graceful-elb-local scale-in <instance-id>` and `spot-interrupt <instance-id>`: what AWS decides on its own, sent
 * to a running `graceful-elb-local mock` over its `/_local/*` control routes. The answer is printed as JSON.
 */
export function registerLocalControlCommands(program: Command): void {
  const endpointHelp = `the local ELB (default: $AWS_ENDPOINT_URL_AUTO_SCALING, else http://127.0.0.1:${LOCAL_ELB_DEFAULTS.cliPort})`;
  program
    .command('scale-in')
    .argument('<instance-id>', 'an instance of an Auto Scaling group in the local ELB config')
    .summary('scale one instance in, as Auto Scaling does (attached balancers, then the termination lifecycle hook)')
    .option('--endpoint <url>', endpointHelp)
    .action(commandAction(async (id: string, flags: { endpoint?: string }) => usage(() => ({ instanceId: checkInstanceId(id, '<instance-id>') }), (body) => post(flags.endpoint, '/_local/autoscaling/scale-in', body))));
  program
    .command('spot-interrupt')
    .argument('<instance-id>', 'the instance that gets the notice')
    .summary('send a two-minute Spot interruption notice (IMDS spot/instance-action)')
    .option('--action <action>', 'terminate, stop or hibernate', 'terminate')
    .option('--rebalance', 'send a rebalance recommendation (events/recommendations/rebalance) instead')
    .option('--endpoint <url>', endpointHelp)
    .action(
      commandAction(async (id: string, flags: { endpoint?: string; action: string; rebalance?: boolean }) =>
        usage(
          () => {
            if (!SPOT_ACTIONS.includes(flags.action)) throw new LocalElbConfigError('--action', flags.action, SPOT_ACTIONS.join(', '));
            return { instanceId: checkInstanceId(id, '<instance-id>'), action: flags.action };
          },
          (body) => (flags.rebalance ? post(flags.endpoint, '/_local/spot/rebalance', { instanceId: body.instanceId }) : post(flags.endpoint, '/_local/spot/interrupt', body)),
        ),
      ),
    );
}

const SPOT_ACTIONS = ['terminate', 'stop', 'hibernate'];

/** Bad input is a usage error (exit 2, the flag and value named), like every other command's. */
async function usage<T>(check: () => T, run: (checked: T) => Promise<number>): Promise<number> {
  let checked: T;
  try {
    checked = check();
  } catch (err) {
    if (!(err instanceof LocalElbConfigError)) throw err;
    process.stderr.write(`error [${err.code}]: ${err.message}\n`);
    return EXIT_CODES.usage;
  }
  return run(checked);
}

async function post(endpointFlag: string | undefined, path: string, body: object): Promise<number> {
  const endpoint = endpointFlag ?? process.env.AWS_ENDPOINT_URL_AUTO_SCALING ?? `http://127.0.0.1:${LOCAL_ELB_DEFAULTS.cliPort}`;
  let url: URL;
  try {
    url = new URL(path, endpoint);
  } catch {
    process.stderr.write(`error: Expected \`--endpoint\` to be a URL like http://127.0.0.1:4566, got ${JSON.stringify(endpoint)}\n`);
    return EXIT_CODES.usage;
  }
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS) });
  const text = await response.text();
  (response.ok ? process.stdout : process.stderr).write(`${text}\n`);
  return response.ok ? EXIT_CODES.ok : EXIT_CODES.failure;
}
