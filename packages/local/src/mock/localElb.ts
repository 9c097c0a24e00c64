import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pino, type Logger } from 'pino';
import { AwsQueryError, LocalElbConfigError, LocalElbListenError } from './errors.js';
import { createApiGuard, type ApiGuard } from './apiGuard.js';
import { AutoScalingStore, type AutoScalingInstanceView, type SpotAction } from './autoScalingStore.js';
import { CallLog, type LocalElbCall } from './callLog.js';
import { handleLocalControl } from './localControl.js';
import { defaultLocalElbConfig, hostPort, instanceId as checkInstanceId, loadLocalElbConfigFile, resolveLocalElbConfig, type ImdsConfig, type LocalElbConfig, type ResolvedLocalElbConfig } from './config.js';
import { ControlPlane } from './controlPlane.js';
import { DataPlane } from './dataPlane.js';
import { IMDS_CREDENTIALS_MIN_TTL_SECONDS, LOCAL_ELB_DEFAULTS } from './defaults.js';
import { InstanceCredentials } from './instanceCredentials.js';
import { Faults, type LocalElbFaults } from './faults.js';
import { healthCheckRunner } from './healthChecker.js';
import { Imds, IMDS_PATH } from './imds.js';
import { sendJson } from './jsonResponse.js';
import { errorBody, newRequestId, sendXml } from './queryResponse.js';
import { LiveFeed } from './liveFeed.js';
import { LivePage } from './livePage.js';
import { buildStatus, type LocalElbStatus } from './status.js';
import { listenerRoutes } from './listenerRoutes.js';
import { LocalElbStore } from './store.js';

export interface LocalElbOptions {
  /** A config object, or the path of a YAML/JSON file. Default: the embedded setup (Classic `web`, ALB `web-alb` → `web-tg`). */
  config?: LocalElbConfig | string;
  /** @default '127.0.0.1' */
  host?: string;
  /** Control plane (Query API) + IMDS (/latest/…) + status (/_local/status) port. @default 0 (ephemeral) */
  port?: number;
  /** 'config': listeners on their declared ports; 'ephemeral': every listener on a free port (tests). @default 'config' */
  listenerPorts?: 'config' | 'ephemeral';
  /** How long a deregistered instance keeps receiving new requests. @default 1000 (or the config's value) */
  propagationDelayMs?: number;
  /** instanceId → 'host:port' where its traffic and health checks go (merged over the config's `instances`). */
  instances?: Record<string, string>;
  imds?: ImdsConfig;
  /** A pino logger, or false for silence. @default pino at level 'warn' on stderr */
  logger?: Logger | false;
  /**
   * For this long after RegisterTargets, DescribeTargetHealth says `unused` (Target.NotRegistered), as AWS's eventual
   * consistency sometimes does; lets a client prove it tolerates that. @default 0 (or the config's value)
   */
  targetRegistrationLagMs?: number;
  /**
   * Names clients may use in the Host header of control-port requests besides the bound address (and `localhost` on
   * loopback); any other Host is refused, which stops DNS rebinding. @default []
   */
  apiHostNames?: readonly string[];
  /** How long an API-created ALB/NLB reads `provisioning` before `active`. @default 2000 (or the config's value) */
  provisioningMs?: number;
  /** Control-plane body limit. @default 1 MiB */
  maxBodyBytes?: number;
  /** How many of the latest API calls `calls()` keeps. @default 10000 */
  callLogLimit?: number;
}

export interface LocalElbListener {
  balancer: string;
  type: 'classic' | 'application' | 'network';
  /** The port actually listened on. */
  port: number;
  /** The port the balancer declares (config/API); differs from `port` in 'ephemeral' mode. */
  declaredPort: number;
  url: string;
}

export interface LocalElbEnv {
  AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING: string;
  AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: string;
  /** Auto Scaling shares the endpoint (the Version parameter tells the APIs apart). */
  AWS_ENDPOINT_URL_AUTO_SCALING: string;
  AWS_EC2_METADATA_SERVICE_ENDPOINT: string;
  AWS_REGION: string;
  /** The AWS CLI v1 reads the region only from this one. */
  AWS_DEFAULT_REGION: string;
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
}

export interface LocalElb {
  /** 'http://127.0.0.1:PORT' */
  readonly endpoint: string;
  /** The live page: balancers, listeners, instances and API calls as they change ('http://127.0.0.1:PORT/_local/'). */
  readonly livePageUrl: string;
  /** The env a process exports to use this local ELB through the AWS SDK/CLI standard variables. */
  readonly env: LocalElbEnv;
  /** The data-plane listeners serving now (API-created ones appear once created). */
  readonly listeners: LocalElbListener[];
  readonly faults: LocalElbFaults;
  status(): LocalElbStatus;
  /**
   * The latest control-plane calls, oldest first, each with when it was read and answered, its action, the balancer,
   * target group and instance ids it named, and the status, AWS error code and injected fault it got (also
   * `GET /_local/calls`). Health checks, IMDS and `/_local/*` requests are not API calls and are not listed.
   */
  calls(): LocalElbCall[];
  setInstanceAddress(instanceId: string, address: string): void;
  /**
   * What AWS decides and no API call from outside starts: scale-in of one instance (walked as AWS walks it), a Spot
   * interruption notice, a rebalance recommendation. Also over HTTP (`POST /_local/autoscaling/scale-in`,
   * `/_local/spot/interrupt`, `/_local/spot/rebalance`) and the CLI (`graceful-elb-local scale-in`, `spot-interrupt`).
   */
  readonly autoScaling: {
    scaleIn(instanceId: string): AutoScalingInstanceView;
    spotInterrupt(instanceId: string, action?: SpotAction): { action: SpotAction; time: Date };
    rebalanceRecommendation(instanceId: string): Date;
    /** Every group instance with its lifecycle state, target state and history (`GET /_local/autoscaling`). */
    instances(): AutoScalingInstanceView[];
  };
  /** Stops every server and timer; idempotent (a repeat call returns the same promise). */
  close(): Promise<void>;
}

/** Starts the local ELB: control plane, IMDS and status on one port, and one data-plane server per listener. */
export async function startLocalElb(options: LocalElbOptions = {}): Promise<LocalElb> {
  const host = options.host ?? LOCAL_ELB_DEFAULTS.host;
  if (typeof host !== 'string' || host.length === 0) throw new LocalElbConfigError('host', host, 'a host name or IP address');
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new LocalElbConfigError('port', port, 'an integer from 0 to 65535');
  const listenerPorts = options.listenerPorts ?? 'config';
  if (listenerPorts !== 'config' && listenerPorts !== 'ephemeral') throw new LocalElbConfigError('listenerPorts', listenerPorts, "'config' or 'ephemeral'");
  const maxBodyBytes = options.maxBodyBytes ?? LOCAL_ELB_DEFAULTS.maxBodyBytes;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1024) throw new LocalElbConfigError('maxBodyBytes', maxBodyBytes, 'an integer of at least 1024');
  const callLogLimit = options.callLogLimit ?? LOCAL_ELB_DEFAULTS.callLogLimit;
  if (!Number.isInteger(callLogLimit) || callLogLimit < 0 || callLogLimit > 1_000_000) throw new LocalElbConfigError('callLogLimit', callLogLimit, 'an integer from 0 to 1000000');

  const apiHostNames = options.apiHostNames ?? [];
  if (!Array.isArray(apiHostNames) || apiHostNames.some((name) => typeof name !== 'string' || !/^[A-Za-z0-9.-]{1,253}$|^\[?[0-9A-Fa-f:.]+\]?$/.test(name))) {
    throw new LocalElbConfigError('apiHostNames', apiHostNames, 'a list of host names or IP addresses');
  }

  const config = resolveConfig(options.config);
  const propagationDelayMs = options.propagationDelayMs ?? config.propagationDelayMs ?? LOCAL_ELB_DEFAULTS.propagationDelayMs;
  if (typeof propagationDelayMs !== 'number' || !(propagationDelayMs >= 0 && propagationDelayMs <= 600_000)) {
    throw new LocalElbConfigError('propagationDelayMs', propagationDelayMs, 'a number of ms from 0 to 600000');
  }
  const targetRegistrationLagMs = options.targetRegistrationLagMs ?? config.targetRegistrationLagMs ?? 0;
  if (typeof targetRegistrationLagMs !== 'number' || !(targetRegistrationLagMs >= 0 && targetRegistrationLagMs <= 600_000)) {
    throw new LocalElbConfigError('targetRegistrationLagMs', targetRegistrationLagMs, 'a number of ms from 0 to 600000');
  }
  const provisioningMs = options.provisioningMs ?? config.provisioningMs ?? LOCAL_ELB_DEFAULTS.provisioningMs;
  if (typeof provisioningMs !== 'number' || !(provisioningMs >= 0 && provisioningMs <= 600_000)) {
    throw new LocalElbConfigError('provisioningMs', provisioningMs, 'a number of ms from 0 to 600000');
  }
  const addresses = new Map(Object.entries(config.instances));
  for (const [id, address] of Object.entries(options.instances ?? {})) {
    checkInstanceId(id, `instances (key ${JSON.stringify(id)})`);
    addresses.set(id, hostPort(address, `instances.${id}`));
  }
  const imdsInput = options.imds ?? {};
  const imdsInstanceId = imdsInput.instanceId ?? config.imds.instanceId ?? addresses.keys().next().value ?? LOCAL_ELB_DEFAULTS.imdsInstanceId;
  checkInstanceId(imdsInstanceId, 'imds.instanceId');

  const credentialsTtlSeconds = imdsInput.credentialsTtlSeconds ?? config.imds.credentialsTtlSeconds ?? LOCAL_ELB_DEFAULTS.imdsCredentialsTtlSeconds;
  if (typeof credentialsTtlSeconds !== 'number' || !(credentialsTtlSeconds >= IMDS_CREDENTIALS_MIN_TTL_SECONDS && credentialsTtlSeconds <= 43_200)) {
    throw new LocalElbConfigError('imds.credentialsTtlSeconds', credentialsTtlSeconds, `a number of seconds from ${IMDS_CREDENTIALS_MIN_TTL_SECONDS} to 43200`);
  }
  const roleName = imdsInput.roleName ?? config.imds.roleName ?? LOCAL_ELB_DEFAULTS.imdsRoleName;
  if (typeof roleName !== 'string' || !/^[\w+=,.@-]{1,64}$/.test(roleName)) throw new LocalElbConfigError('imds.roleName', roleName, 'an IAM role name (1-64 of letters, digits and +=,.@_-)');
  const credentials = new InstanceCredentials({ roleName, ttlSeconds: credentialsTtlSeconds, renewBeforeSeconds: LOCAL_ELB_DEFAULTS.imdsCredentialsRenewBeforeSeconds });

  const logger = options.logger === false ? pino({ level: 'silent' }) : (options.logger ?? pino({ level: 'warn' }, pino.destination(2)));
  const faults = new Faults();
  const dataPlane = new DataPlane({ host, listenerPorts, logger });
  const store: LocalElbStore = new LocalElbStore({
    region: config.region,
    accountId: config.accountId,
    propagationDelayMs,
    logger,
    addresses,
    startHealthChecks: healthCheckRunner(logger),
    onListenersChanged: () => void dataPlane.sync(listenerRoutes(store)),
    targetRegistrationLagMs,
    provisioningMs,
  });
  const autoScaling = new AutoScalingStore({
    groups: config.autoScalingGroups,
    spotInstances: config.spotInstances,
    elb: store,
    logger,
    availabilityZone: `${config.region}${LOCAL_ELB_DEFAULTS.availabilityZoneSuffix}`,
  });
  const imds = new Imds({
    notices: autoScaling,
    instanceId: imdsInstanceId,
    region: imdsInput.region ?? config.imds.region ?? config.region,
    accountId: config.accountId,
    requireToken: imdsInput.requireToken ?? config.imds.requireToken,
    credentials,
    logger,
  });
  const callLog = new CallLog(callLogLimit);
  const livePage = new LivePage();
  const liveFeed = new LiveFeed({
    status: () => buildStatus(endpoint, store, dataPlane, faults),
    calls: callLog,
    intervalMs: LOCAL_ELB_DEFAULTS.liveTickMs,
    recentCalls: LOCAL_ELB_DEFAULTS.liveRecentCalls,
  });
  const controlPlane = new ControlPlane({ store, autoScaling, faults, logger, maxBodyBytes, settled: () => dataPlane.settled(), calls: callLog, expiredAccessKey: (id) => credentials.expired(id) });

  let endpoint = '';
  let guard: ApiGuard | undefined;
  const server = createServer((req, res) => route(req, res));
  const sockets = new Set<Socket>();
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function route(req: IncomingMessage, res: ServerResponse): void {
    try {
      routeUnsafe(req, res);
    } catch (err) {
      logger.error({ err, url: req.url?.slice(0, 200) }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    }
  }

  function routeUnsafe(req: IncomingMessage, res: ServerResponse): void {
    const refused = guard?.checkOrigin(req);
    if (refused) return refuse(req, res, refused, logger);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const imdsMatch = IMDS_PATH.exec(path);
    if (imdsMatch) return imds.handle(req, res, imdsMatch);
    if (path === '/_local/events') return liveFeed.handle(req, res);
    if (livePage.serves(path)) return livePage.handle(path, res);
    if (path === '/_local/status') return sendJson(res, 200, buildStatus(endpoint, store, dataPlane, faults));
    if (path === '/_local/faults') return handleFaults(req, res, faults, logger);
    if (path.startsWith('/_local/autoscaling') || path.startsWith('/_local/spot/')) return handleLocalControl(req, res, path, autoScaling, logger);
    if (path === '/_local/calls') {
      if (req.method !== 'GET') return sendJson(res, 405, { error: 'use GET' });
      return sendJson(res, 200, { total: callLog.total, calls: callLog.calls() });
    }
    const unsigned = guard?.checkAuthorization(req);
    if (unsigned) return refuse(req, res, unsigned, logger);
    controlPlane.handle(req, res);
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (cause) {
    throw new LocalElbListenError(`The local ELB could not listen on ${host}:${port}: ${(cause as Error).message}`, { cause });
  }
  const bound = (server.address() as AddressInfo).port;
  endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  guard = createApiGuard({ host, port: bound, hostNames: apiHostNames });

  try {
    store.loadConfig(config);
    await dataPlane.settled();
  } catch (cause) {
    autoScaling.close();
    store.close();
    await dataPlane.close();
    await closeServer(server, sockets);
    throw cause;
  }
  logger.info({ endpoint, listeners: dataPlane.listeners().map((l) => l.url), imdsInstanceId }, 'local ELB started');

  let closing: Promise<void> | undefined;
  const env: LocalElbEnv = {
    AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING: endpoint,
    AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: endpoint,
    AWS_ENDPOINT_URL_AUTO_SCALING: endpoint,
    AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoint,
    AWS_REGION: config.region,
    AWS_DEFAULT_REGION: config.region,
    AWS_ACCESS_KEY_ID: LOCAL_ELB_DEFAULTS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_ELB_DEFAULTS.secretAccessKey,
  };
  return {
    endpoint,
    livePageUrl: `${endpoint}/_local/`,
    env,
    get listeners(): LocalElbListener[] {
      return dataPlane.listeners().map((l) => ({ balancer: l.balancer, type: l.type, port: l.port, declaredPort: l.declaredPort, url: l.url }));
    },
    faults,
    status: () => buildStatus(endpoint, store, dataPlane, faults),
    calls: () => callLog.calls(),
    setInstanceAddress(id: string, address: string): void {
      checkInstanceId(id, 'instanceId');
      addresses.set(id, hostPort(address, 'address'));
      logger.info({ instanceId: id, address }, 'instance address set');
    },
    autoScaling: {
      scaleIn: (id) => autoScaling.scaleIn(id),
      spotInterrupt: (id, action) => autoScaling.spotInterrupt(id, action),
      rebalanceRecommendation: (id) => autoScaling.rebalanceRecommendation(id),
      instances: () => autoScaling.instances(),
    },
    close(): Promise<void> {
      closing ??= (async () => {
        liveFeed.close();
        autoScaling.close();
        store.close();
        await dataPlane.close();
        await closeServer(server, sockets);
        logger.info({ endpoint }, 'local ELB closed');
      })();
      return closing;
    },
  };
}

function resolveConfig(config: LocalElbConfig | string | undefined): ResolvedLocalElbConfig {
  if (config === undefined) return resolveLocalElbConfig(defaultLocalElbConfig());
  if (typeof config === 'string') return loadLocalElbConfigFile(config);
  return resolveLocalElbConfig(config);
}

function handleFaults(req: IncomingMessage, res: ServerResponse, faults: Faults, logger: Logger): void {
  if (req.method === 'GET') return sendJson(res, 200, faults.snapshot());
  if (req.method !== 'POST') return sendJson(res, 405, { error: 'use GET or POST' });
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= 64 * 1024) chunks.push(chunk);
  });
  req.on('error', () => res.destroy());
  req.on('end', () => {
    if (size > 64 * 1024) return sendJson(res, 413, { error: 'body too large' });
    try {
      const text = Buffer.concat(chunks).toString('utf8');
      faults.apply(text.trim() === '' ? {} : (JSON.parse(text) as unknown));
      logger.info({ faults: faults.snapshot() }, 'faults changed');
      sendJson(res, 200, faults.snapshot());
    } catch (err) {
      sendJson(res, 400, { error: (err as Error).message, code: (err as { code?: string }).code ?? 'ERR_INVALID_JSON' });
    }
  });
}

/** A refused request is answered without reading its body, and its connection is closed. */
function refuse(req: IncomingMessage, res: ServerResponse, error: AwsQueryError, logger: Logger): void {
  const requestId = newRequestId();
  logger.warn({ code: error.awsCode, host: req.headers.host?.slice(0, 200), origin: req.headers.origin?.slice(0, 200), url: req.url?.slice(0, 200), requestId }, 'control-port request refused');
  sendXml(res, error.httpStatus, errorBody(error, undefined, requestId), requestId, { connection: 'close' });
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });
}
