import type { Command } from 'commander';
import { pino } from 'pino';
import { GracefulElbLocalError } from '../localError.js';
import { isLoopback } from '../mock/apiGuard.js';
import { LocalElbConfigError } from '../mock/errors.js';
import { hostPort, instanceId as checkInstanceId } from '../mock/config.js';
import { LOCAL_ELB_DEFAULTS } from '../mock/defaults.js';
import { startLocalElb, type LocalElb } from '../mock/localElb.js';

interface MockFlags {
  port: string;
  host: string;
  config?: string;
  instance: string[];
  propagationDelayMs?: string;
  listenerPorts: string;
  imdsInstanceId?: string;
  imdsRequireToken?: boolean;
  apiHostName: string[];
  logLevel: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** `graceful-elb-local mock`: the local ELB in the foreground until SIGINT/SIGTERM. */
export function registerMockCommand(program: Command): void {
  program
    .command('mock')
    .summary('run a local ELB: the Classic and ELBv2 APIs, instance metadata, listeners that really route traffic')
    .description('Runs a local ELB in the foreground until SIGINT/SIGTERM: the Classic and ELBv2 Query APIs, instance metadata, and listeners that really route traffic. Prints the env to export and the listener URLs.')
    .option('--port <port>', 'control plane + IMDS + status port (0 = any free port)', String(LOCAL_ELB_DEFAULTS.cliPort))
    .option('--host <host>', 'address to bind (anything but loopback exposes an unauthenticated API)', LOCAL_ELB_DEFAULTS.host)
    .option('--config <file>', 'YAML or JSON file declaring balancers, target groups and instances (default: embedded)')
    .option('--instance <id=host:port>', 'where an instance\'s traffic and health checks go (repeatable)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--propagation-delay-ms <ms>', 'how long a deregistered instance keeps receiving new requests', undefined)
    .option('--listener-ports <mode>', "'config': listeners on their declared ports; 'ephemeral': each on a free port", 'config')
    .option('--imds-instance-id <id>', 'the instance id IMDS reports (default: the first --instance, else a fixed id)')
    .option('--imds-require-token', 'IMDSv2 only: refuse metadata requests without a token (401)')
    .option('--api-host-name <name>', 'a further name clients may reach the API by, besides the bound address (repeatable)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--log-level <level>', `pino log level on stderr (${LOG_LEVELS.join(', ')})`, 'info')
    .action(async (flags: MockFlags) => {
      let lb: LocalElb;
      try {
        lb = await start(flags);
      } catch (err) {
        if (err instanceof GracefulElbLocalError) {
          process.stderr.write(`graceful-elb-local mock: ${err.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw err;
      }
      printBanner(lb, flags.listenerPorts === 'ephemeral');
      await untilSignal();
      await lb.close();
    });
}

async function start(flags: MockFlags): Promise<LocalElb> {
  const port = integerFlag('--port', flags.port, 0, 65535);
  const propagationDelayMs = flags.propagationDelayMs === undefined ? undefined : integerFlag('--propagation-delay-ms', flags.propagationDelayMs, 0, 600_000);
  if (flags.listenerPorts !== 'config' && flags.listenerPorts !== 'ephemeral') {
    throw new LocalElbConfigError('--listener-ports', flags.listenerPorts, "'config' or 'ephemeral'");
  }
  if (!LOG_LEVELS.includes(flags.logLevel)) throw new LocalElbConfigError('--log-level', flags.logLevel, `one of ${LOG_LEVELS.join(', ')}`);
  const instances: Record<string, string> = {};
  for (const entry of flags.instance) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new LocalElbConfigError('--instance', entry, 'id=host:port like i-0abc=127.0.0.1:3001');
    const id = checkInstanceId(entry.slice(0, eq), '--instance');
    instances[id] = hostPort(entry.slice(eq + 1), '--instance');
  }
  if (flags.imdsInstanceId !== undefined) checkInstanceId(flags.imdsInstanceId, '--imds-instance-id');
  if (!isLoopback(flags.host)) {
    process.stderr.write(
      `graceful-elb-local mock: warning: --host ${flags.host} exposes the local ELB beyond this machine; its API checks no signatures and its listeners forward to your instances.\n`,
    );
  }
  const logger = pino({ level: flags.logLevel }, pino.destination(2));
  return startLocalElb({
    config: flags.config,
    host: flags.host,
    port,
    propagationDelayMs,
    listenerPorts: flags.listenerPorts,
    instances,
    imds: { instanceId: flags.imdsInstanceId, requireToken: flags.imdsRequireToken },
    apiHostNames: flags.apiHostName,
    logger,
  });
}

/** `ephemeral`: every listener was asked for a free port, so a port differing from the declared one is no news. */
function printBanner(lb: LocalElb, ephemeral: boolean): void {
  const lines = [
    `Local ELB on ${lb.endpoint} (ELB and Auto Scaling Query APIs, instance metadata, status at ${lb.endpoint}/_local/status, API calls at ${lb.endpoint}/_local/calls)`,
    `Live page: ${lb.livePageUrl}`,
    '',
    'Listeners:',
    ...lb.listeners.map((l) => `  ${l.balancer} (${l.type})  ${l.url}${l.port === l.declaredPort || ephemeral ? '' : `  (declared port ${l.declaredPort} was unavailable)`}`),
    '',
    'Point the AWS SDK and CLI at it:',
    ...Object.entries(lb.env).map(([key, value]) => `export ${key}=${value}`),
    '',
    'Stop with Ctrl-C.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

/** Resolves on the first SIGINT/SIGTERM; a second one exits at once (a stuck close must not trap the user). */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function integerFlag(flag: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    throw new LocalElbConfigError(flag, text, `an integer from ${min} to ${max}`);
  }
  return Number(text);
}
