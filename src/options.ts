import { Server as HttpServer } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import { constants as osConstants } from 'node:os';
import type { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { pino, type Logger } from 'pino';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { BALANCER_ENV, resolveBalancerSelection, type BalancerSelection } from './balancerOptions.js';
import { InvalidOptionError } from './errors.js';
import { NOTICE_OPTION_NAMES, resolveNoticeOptions, type InstanceNoticeOptionsInput, type ResolvedNoticeOptions } from './autoScaling/noticeOptions.js';
import { envText } from './envText.js';
import { MAX_TIMER_MS } from './maxTimer.js';

/** Anything with the AWS SDK client's `send` (the SDK client itself, or a wrapper around it). */
export type ElbClient = Pick<ElasticLoadBalancingClient, 'send'>;
/** The same for the ELBv2 (ALB/NLB target groups) API. */
export type ElbV2Client = Pick<ElasticLoadBalancingV2Client, 'send'>;

/** The environment the options read their overrides from (process.env unless a test injects one). */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Options of `gracefulElb()`. Every value is checked when `gracefulElb()` is called; a bad one throws an
 * `InvalidOptionError` naming the option (or the env var it came from) and the value.
 * The env overrides win over the option: they are for ops, who change a deployment without changing code.
 */
export interface GracefulElbOptions extends InstanceNoticeOptionsInput {
  /** The app's node:http or node:https server (Express/Koa: what `app.listen()` returns; Fastify: `app.server`). */
  readonly server: HttpServer | HttpsServer;
  /**
   * Classic ELB name(s) this instance belongs to. One of `elbName`, `targetGroupArn`, `targetGroups` or
   * `discover` is required; Classic ELBs and target groups may be combined (all are joined and left in parallel).
   * Env: `GRACEFUL_ELB_NAME` (comma-separated for several). The balancer env vars act together: if any of
   * GRACEFUL_ELB_NAME, GRACEFUL_ELB_TARGET_GROUP_ARNS, GRACEFUL_ELB_DISCOVER is set, they replace all four options.
   */
  readonly elbName?: string | readonly string[];
  /**
   * An ALB/NLB target group to join (as the target `instanceId:listeningPort`).
   * Env: `GRACEFUL_ELB_TARGET_GROUP_ARNS` (comma-separated for several).
   */
  readonly targetGroupArn?: string;
  /** Target groups to join, each on `port` (1..65535; default: the server's listening port). */
  readonly targetGroups?: ReadonlyArray<{ readonly targetGroupArn: string; readonly port?: number }>;
  /**
   * Join every Classic ELB and target group that holds this instance now, remembered in `stateFile` so that the
   * next start rejoins exactly that set (plus anything holding the instance then). Not with `elbName` or target
   * groups. Env: `GRACEFUL_ELB_DISCOVER` (1/true/0/false).
   * @default false
   */
  readonly discover?: boolean;
  /**
   * Where discovery remembers the balancers to rejoin. Env: `GRACEFUL_ELB_STATE_FILE`.
   * @default `<GRACEFUL_ELB_STATE_DIR or ~/.local/state/graceful-elb>/membership-<listening port>.json`
   */
  readonly stateFile?: string;
  /**
   * Upper bound of the drain after the signal, in seconds (Classic ELB's connection-draining range, 0..3600).
   * The drain usually ends much sooner: as soon as the balancer stopped routing here and traffic is quiet.
   * Env: `GRACEFUL_ELB_DRAIN_SECONDS`.
   * @default 30
   */
  readonly drainSeconds?: number;
  /**
   * The app's health route: probed on the loopback before registering, and answered 503 by the library after
   * the signal (the app's handler is not called then). Env: `GRACEFUL_ELB_HEALTH_PATH`.
   * @default '/ping'
   */
  readonly healthPath?: string;
  /** This instance's id; skips IMDS. Env: `GRACEFUL_ELB_INSTANCE_ID`. @default read from IMDSv2 */
  readonly instanceId?: string;
  /** AWS region; skips IMDS for the region. @default `AWS_REGION`, else IMDSv2 placement/region */
  readonly region?: string;
  /**
   * The drain ends only after no request arrived for this long (also covers balancer nodes that route for a
   * moment after deregistration). Must fit inside `drainSeconds`; the default is clamped to it.
   * @default 1000
   */
  readonly quietMs?: number;
  /**
   * After the drain: time given to requests still running before their sockets are destroyed. The hard
   * deadline of the whole shutdown is `drainSeconds * 1000 + graceMs` after the signal.
   * @default 5000
   */
  readonly graceMs?: number;
  /** Signals that start the shutdown; a second one forces exit at once. `[]` installs no handler. @default ['SIGTERM', 'SIGINT'] */
  readonly signals?: readonly NodeJS.Signals[];
  /** Interval between health probes on the loopback. @default 250 */
  readonly probeIntervalMs?: number;
  /** Give up on the health route after this long: `ready` rejects, the instance is never registered. @default 60000 */
  readonly probeTimeoutMs?: number;
  /** Timeout of one health probe request. @default 1000 */
  readonly probeRequestTimeoutMs?: number;
  /**
   * Give up joining after this long, counted from the end of the health probe: discovery, the balancer settings,
   * registering and the InService wait together (`ready` rejects with NotInServiceError). AWS's default health check (30 s interval, healthy threshold 10) alone needs 5 minutes, hence 10.
   * @default 600000
   */
  readonly inServiceTimeoutMs?: number;
  /** Interval between DescribeInstanceHealth calls while joining and draining. @default 1000 */
  readonly pollIntervalMs?: number;
  /** Bound of one IMDS read, token and value (the SDK's metadata client has none by default and can hang off EC2). @default 1000 */
  readonly imdsTimeoutMs?: number;
  /**
   * Bound of one load balancer API call: connect, request and the whole response (a timed-out call is retried like
   * a network error). Applies to a `client` / `elbv2Client` you pass too. @default 5000
   */
  readonly apiTimeoutMs?: number;
  /** Attempts per Register/Deregister call on Throttling, 5xx and network errors (full-jitter backoff). @default 6 */
  readonly retryMaxAttempts?: number;
  /** Base of the exponential backoff. @default 200 */
  readonly retryBaseMs?: number;
  /** Cap of one backoff delay. @default 5000 */
  readonly retryMaxDelayMs?: number;
  /** Raise `keepAliveTimeout`/`headersTimeout` above the balancer's idle timeout unless the app set them. @default true */
  readonly adjustKeepAlive?: boolean;
  /** On a startup failure (health never passed, never InService), leave and exit non-zero instead of serving on. @default false */
  readonly exitOnStartupFailure?: boolean;
  /**
   * Treat an uncaught exception or unhandled rejection as a shutdown: log it, leave every balancer, drain for at
   * most `crashDrainSeconds`, close, exit with code 70. Only when no other listener of the app handles that event at
   * the time of the crash: an app with its own `uncaughtException` / `unhandledRejection` listener keeps its own
   * behaviour (docs/leaving.md, Crashes). `false` installs nothing.
   * @default true
   */
  readonly handleCrashes?: boolean;
  /**
   * Upper bound of the drain after a crash (and after the app closed its server itself), in seconds: short, since a
   * crashed process should not serve long. Capped by `drainSeconds`. The crash's hard deadline is this + `graceMs`.
   * @default 5
   */
  readonly crashDrainSeconds?: number;
  /** Any pino logger, or `false` for silence. @default pino({ name: 'graceful-elb' }) on stdout */
  readonly logger?: Logger | false;
  /** Your own ELB client (anything with the SDK's `send`). @default a client from the SDK's standard chain */
  readonly client?: ElbClient;
  /** Your own ELBv2 client, for target groups and discovery. @default a client from the SDK's standard chain */
  readonly elbv2Client?: ElbV2Client;
  /** Called to end the process (tests inject their own). @default process.exit */
  readonly exit?: (code: number) => void;
}

/** Every default, written once. README's Options table and the tests read these. */
export const DEFAULTS = {
  drainSeconds: 30,
  healthPath: '/ping',
  quietMs: 1000,
  graceMs: 5000,
  signals: ['SIGTERM', 'SIGINT'] as readonly NodeJS.Signals[],
  probeIntervalMs: 250,
  probeTimeoutMs: 60_000,
  probeRequestTimeoutMs: 1000,
  inServiceTimeoutMs: 600_000,
  pollIntervalMs: 1000,
  imdsTimeoutMs: 1000,
  apiTimeoutMs: 5000,
  retryMaxAttempts: 6,
  retryBaseMs: 200,
  retryMaxDelayMs: 5000,
  adjustKeepAlive: true,
  exitOnStartupFailure: false,
  handleCrashes: true,
  crashDrainSeconds: 5,
} as const;

/** The env vars ops may set to override an option. */
export const ENV_OVERRIDES = {
  elbName: BALANCER_ENV.elbName,
  drainSeconds: 'GRACEFUL_ELB_DRAIN_SECONDS',
  healthPath: 'GRACEFUL_ELB_HEALTH_PATH',
  instanceId: 'GRACEFUL_ELB_INSTANCE_ID',
  targetGroupArn: BALANCER_ENV.targetGroupArns,
  discover: BALANCER_ENV.discover,
  stateFile: 'GRACEFUL_ELB_STATE_FILE',
  /** Not an option: the directory of the default `stateFile` (shared with the supervisor). */
  stateDir: 'GRACEFUL_ELB_STATE_DIR',
} as const;

type DefaultedOption = keyof typeof DEFAULTS;
type DurationOption = Extract<DefaultedOption, `${string}Ms`>;
type FlagOption = { [K in DefaultedOption]: (typeof DEFAULTS)[K] extends boolean ? K : never }[DefaultedOption];
type Widened<T> = T extends boolean ? boolean : T extends number ? number : T extends string ? string : T;

/**
 * The options without a default (the others are DEFAULTS' keys, and the Auto Scaling and Spot ones NOTICE_OPTION_NAMES). Typed with exactly the remaining keys of
 * GracefulElbOptions, so an option added to the interface but not here (or the reverse) does not compile.
 */
const OPTIONS_WITHOUT_DEFAULT: Record<Exclude<keyof GracefulElbOptions, DefaultedOption | (typeof NOTICE_OPTION_NAMES)[number]>, true> = {
  server: true,
  elbName: true,
  targetGroupArn: true,
  targetGroups: true,
  discover: true,
  stateFile: true,
  instanceId: true,
  region: true,
  logger: true,
  client: true,
  elbv2Client: true,
  exit: true,
};
const KNOWN_OPTIONS: ReadonlySet<string> = new Set([...Object.keys(OPTIONS_WITHOUT_DEFAULT), ...Object.keys(DEFAULTS), ...NOTICE_OPTION_NAMES]);

/** Durations that must be above 0: an interval or a timeout of 0 would spin or never wait. */
const POSITIVE_DURATIONS: ReadonlySet<DurationOption> = new Set(['probeIntervalMs', 'probeRequestTimeoutMs', 'pollIntervalMs', 'imdsTimeoutMs', 'apiTimeoutMs']);
const DURATION_OPTIONS = (Object.keys(DEFAULTS) as DefaultedOption[]).filter((name): name is DurationOption => name.endsWith('Ms'));
const FLAG_OPTIONS = (Object.keys(DEFAULTS) as DefaultedOption[]).filter((name): name is FlagOption => typeof DEFAULTS[name] === 'boolean');

/**
 * What the lifecycle runs on: every option present, checked, in its final unit. The defaulted options keep their
 * names and types; the balancer options become one selection (elbNames, targetGroups, discover).
 */
export type ResolvedOptions = { readonly [K in DefaultedOption]: Widened<(typeof DEFAULTS)[K]> } & BalancerSelection & {
  readonly server: HttpServer | HttpsServer;
  /** undefined: the default file in `stateDir`, named after the listening port (known once the server listens). */
  readonly stateFile: string | undefined;
  readonly stateDir: string | undefined;
  readonly instanceId: string | undefined;
  readonly region: string | undefined;
  readonly logger: Logger;
  readonly client: ElbClient | undefined;
  readonly elbv2Client: ElbV2Client | undefined;
  readonly exit: (code: number) => void;
  /** Auto Scaling and Spot (src/autoScaling/noticeOptions.ts). */
  readonly notices: ResolvedNoticeOptions;
};

// SIGKILL and SIGSTOP cannot be caught; Node throws when a listener is added for them.
const UNCATCHABLE = new Set(['SIGKILL', 'SIGSTOP']);

/**
 * Checks every option, applies the env overrides and the defaults, and returns the resolved config.
 * Never mutates `input`. Throws `InvalidOptionError` on the first bad value.
 */
export function resolveOptions(input: GracefulElbOptions, env: Env): ResolvedOptions {
  if (typeof input !== 'object' || input === null) throw new InvalidOptionError('options', input, 'an object');
  for (const key of Object.keys(input)) {
    if (!KNOWN_OPTIONS.has(key)) throw new InvalidOptionError(key, (input as unknown as Record<string, unknown>)[key], 'a known option (typo?)');
  }

  const server: unknown = input.server;
  if (!(server instanceof HttpServer) && !(server instanceof HttpsServer)) {
    throw new InvalidOptionError('server', server, isHttp2Server(server) ? HTTP2_REFUSED : 'a node:http or node:https Server');
  }

  const { elbNames, targetGroups, discover } = resolveBalancerSelection(input, env);
  // Every GRACEFUL_ELB_* var follows one rule: empty (or blank) means unset, as in a shell's `export X=`.
  const stateFileFromEnv = envText(env[ENV_OVERRIDES.stateFile]);
  const stateFile = stateFileFromEnv ?? input.stateFile;
  if (stateFile !== undefined && (typeof stateFile !== 'string' || stateFile.trim() === '')) {
    throw new InvalidOptionError(stateFileFromEnv !== undefined ? ENV_OVERRIDES.stateFile : 'stateFile', stateFile, 'a file path');
  }
  const stateDir = envText(env[ENV_OVERRIDES.stateDir]);

  const drainSeconds = fromEnvNumber(env, ENV_OVERRIDES.drainSeconds) ?? input.drainSeconds ?? DEFAULTS.drainSeconds;
  const drainOption = envText(env[ENV_OVERRIDES.drainSeconds]) !== undefined ? ENV_OVERRIDES.drainSeconds : 'drainSeconds';
  if (typeof drainSeconds !== 'number' || !Number.isFinite(drainSeconds) || drainSeconds < 0 || drainSeconds > 3600) {
    throw new InvalidOptionError(drainOption, drainSeconds, 'a number of seconds from 0 to 3600');
  }

  const healthFromEnv = envText(env[ENV_OVERRIDES.healthPath]);
  const healthPath = healthFromEnv ?? input.healthPath ?? DEFAULTS.healthPath;
  if (typeof healthPath !== 'string' || !healthPath.startsWith('/') || /\s/.test(healthPath)) {
    throw new InvalidOptionError(healthFromEnv !== undefined ? ENV_OVERRIDES.healthPath : 'healthPath', healthPath, 'a path starting with `/`');
  }

  const idFromEnv = envText(env[ENV_OVERRIDES.instanceId]);
  const instanceId = idFromEnv ?? input.instanceId;
  if (instanceId !== undefined && (typeof instanceId !== 'string' || !/^\S+$/.test(instanceId))) {
    throw new InvalidOptionError(idFromEnv !== undefined ? ENV_OVERRIDES.instanceId : 'instanceId', instanceId, 'an instance id such as "i-0123456789abcdef0"');
  }

  const region = input.region;
  if (region !== undefined && (typeof region !== 'string' || !/^[a-z0-9-]+$/.test(region))) {
    throw new InvalidOptionError('region', region, 'an AWS region such as "us-east-1"');
  }

  const ms = (name: DurationOption): number => {
    const value = input[name] ?? DEFAULTS[name];
    const positive = POSITIVE_DURATIONS.has(name);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0) || value > MAX_TIMER_MS) {
      const range = positive ? `greater than 0 and at most ${MAX_TIMER_MS}` : `from 0 to ${MAX_TIMER_MS}`;
      throw new InvalidOptionError(name, value, `a number of milliseconds ${range} (Node's longest timer)`);
    }
    return value;
  };
  // quietMs is checked below: its default depends on drainSeconds.
  const durations = Object.fromEntries(DURATION_OPTIONS.filter((name) => name !== 'quietMs').map((name) => [name, ms(name)])) as Record<Exclude<DurationOption, 'quietMs'>, number>;
  const { graceMs, probeIntervalMs, probeTimeoutMs } = durations;
  // The hard deadline of the shutdown is one timer of drainSeconds + graceMs.
  if (drainSeconds * 1000 + graceMs > MAX_TIMER_MS) {
    throw new InvalidOptionError('graceMs', graceMs, `at most ${MAX_TIMER_MS - drainSeconds * 1000} (drainSeconds × 1000 + graceMs is one timer, at most ${MAX_TIMER_MS} ms)`);
  }

  // The quiet window is part of the drain, so it must fit inside it. A caller's own value that does not fit is
  // a mistake worth reporting; the default is simply shortened (drainSeconds: 0 means "do not wait at all").
  const drainMs = drainSeconds * 1000;
  let quietMs: number;
  if (input.quietMs === undefined) {
    quietMs = Math.min(DEFAULTS.quietMs, drainMs);
  } else {
    quietMs = ms('quietMs');
    if (quietMs > drainMs) throw new InvalidOptionError('quietMs', quietMs, `at most drainSeconds × 1000 (${drainMs})`);
  }
  if (probeIntervalMs > probeTimeoutMs && probeTimeoutMs > 0) {
    throw new InvalidOptionError('probeIntervalMs', probeIntervalMs, `at most probeTimeoutMs (${probeTimeoutMs})`);
  }

  const retryMaxAttempts = input.retryMaxAttempts ?? DEFAULTS.retryMaxAttempts;
  if (!Number.isInteger(retryMaxAttempts) || retryMaxAttempts < 1 || retryMaxAttempts > 100) {
    throw new InvalidOptionError('retryMaxAttempts', retryMaxAttempts, 'an integer from 1 to 100');
  }

  const signals = input.signals ?? DEFAULTS.signals;
  if (!Array.isArray(signals)) throw new InvalidOptionError('signals', signals, 'an array of signal names');
  for (const signal of signals) {
    if (typeof signal !== 'string' || !(signal in osConstants.signals) || UNCATCHABLE.has(signal)) {
      throw new InvalidOptionError('signals', signal, 'a catchable signal name such as "SIGTERM"');
    }
  }

  const crashDrainSeconds = input.crashDrainSeconds ?? DEFAULTS.crashDrainSeconds;
  if (typeof crashDrainSeconds !== 'number' || !Number.isFinite(crashDrainSeconds) || crashDrainSeconds < 0 || crashDrainSeconds > 3600) {
    throw new InvalidOptionError('crashDrainSeconds', crashDrainSeconds, 'a number of seconds from 0 to 3600');
  }

  const flags = Object.fromEntries(
    FLAG_OPTIONS.map((name) => {
      const value = input[name] ?? DEFAULTS[name];
      if (typeof value !== 'boolean') throw new InvalidOptionError(name, value, 'a boolean');
      return [name, value];
    }),
  ) as Record<FlagOption, boolean>;

  // Synchronous stdout: a shutdown logs a handful of lines and then exits; async buffering lost or reordered the last ones.
  const logger = input.logger ?? pino({ name: 'graceful-elb' }, pino.destination({ dest: 1, sync: true }));
  if (logger === false) {
    // Fall through to the silent logger below.
  } else if (typeof logger !== 'object' || logger === null || typeof logger.child !== 'function' || typeof logger.info !== 'function') {
    throw new InvalidOptionError('logger', logger, 'a pino logger or false');
  }

  const client = input.client;
  if (client !== undefined && (typeof client !== 'object' || client === null || typeof client.send !== 'function')) {
    throw new InvalidOptionError('client', client, 'an object with a `send(command)` method (an ElasticLoadBalancingClient)');
  }
  const elbv2Client = input.elbv2Client;
  if (elbv2Client !== undefined && (typeof elbv2Client !== 'object' || elbv2Client === null || typeof elbv2Client.send !== 'function')) {
    throw new InvalidOptionError('elbv2Client', elbv2Client, 'an object with a `send(command)` method (an ElasticLoadBalancingV2Client)');
  }

  const exit = input.exit ?? ((code: number) => process.exit(code));
  if (typeof exit !== 'function') throw new InvalidOptionError('exit', exit, 'a function');

  return {
    ...durations,
    ...flags,
    drainSeconds,
    healthPath,
    quietMs,
    retryMaxAttempts,
    signals: [...signals],
    server,
    elbNames,
    targetGroups,
    discover,
    stateFile,
    stateDir,
    instanceId,
    region,
    // Never longer than the drain a signal would get.
    crashDrainSeconds: Math.min(crashDrainSeconds, drainSeconds),
    logger: logger === false ? pino({ enabled: false }) : logger,
    client,
    elbv2Client,
    exit,
    notices: resolveNoticeOptions(input, env),
  };
}

// The balancers speak HTTP/1.1 to their targets unless told otherwise (an ALB target group's protocol version is
// HTTP1 by default, a Classic ELB knows nothing else): HTTP/2 to clients ends at the balancer.
const HTTP2_REFUSED =
  'a node:http or node:https Server (node:http2 servers are not supported: their sessions and streams are not tracked ' +
  'for the drain; serve the balancer HTTP/1.1 with node:https or node:http, it still speaks HTTP/2 to clients)';

/** node:http2's Http2Server / Http2SecureServer, recognised without importing node:http2 for a check. */
function isHttp2Server(value: unknown): boolean {
  const name = (value as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return name === 'Http2Server' || name === 'Http2SecureServer';
}

function fromEnvNumber(env: Env, name: string): number | undefined {
  const text = envText(env[name]);
  if (text === undefined) return undefined;
  // Number('') is 0 and Number(' 1e3 ') is 1000: accept only a plain decimal so a typo is reported, not reinterpreted.
  if (!/^\d+(\.\d+)?$/.test(text.trim())) throw new InvalidOptionError(name, text, 'a number of seconds from 0 to 3600');
  return Number(text);
}
