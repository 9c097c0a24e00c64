// Shared by the test/tg-*.test.ts files: a local ELB with a Classic ELB, an ALB and target groups on ephemeral
// ports and fast health checks, and a small app server.
import { createServer, get, type Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { startLocalElb, type LocalElb, type LocalElbOptions } from '@graceful-elb/local';
import type { LocalElbConfig } from '@graceful-elb/local';

export interface TgSetup {
  lb: LocalElb;
  /** ARN of each target group, by name. */
  arns: Record<string, string>;
  /** The data-plane URL of each ALB/Classic listener, by balancer name. */
  urls: Record<string, string>;
}

export interface TgSetupOptions {
  /** Target group names; the first is behind ALB `web-alb`, the others behind `web-alb-<i>`. @default ['web-tg'] */
  groups?: string[];
  deregistrationDelaySeconds?: number;
  albIdleTimeoutSeconds?: number;
  /** Also a Classic ELB `web`. */
  classic?: boolean;
  instances?: Record<string, string>;
  propagationDelayMs?: number;
  extra?: Partial<LocalElbOptions>;
}

const FAST_CHECKS = { intervalSeconds: 0.25, timeoutSeconds: 0.5, healthyThreshold: 2, unhealthyThreshold: 2 };

export async function startTgLocalElb(options: TgSetupOptions = {}): Promise<TgSetup> {
  const groups = options.groups ?? ['web-tg'];
  const config: LocalElbConfig = {
    classic: options.classic
      ? [{ name: 'web', listeners: [{ loadBalancerPort: 8080, instancePort: 3000 }], healthCheck: { target: 'HTTP:3000/ping', ...FAST_CHECKS }, connectionDraining: { enabled: true, timeoutSeconds: 300 } }]
      : [],
    loadBalancers: groups.map((name, i) => ({
      name: i === 0 ? 'web-alb' : `web-alb-${i}`,
      idleTimeoutSeconds: options.albIdleTimeoutSeconds ?? 60,
      listeners: [{ port: 8081 + i, targetGroup: name }],
    })),
    targetGroups: groups.map((name) => ({
      name,
      healthCheck: { path: '/ping', ...FAST_CHECKS },
      deregistrationDelaySeconds: options.deregistrationDelaySeconds ?? 300,
    })),
  };
  const lb = await startLocalElb({
    config,
    listenerPorts: 'ephemeral',
    logger: false,
    ...(options.instances !== undefined && { instances: options.instances }),
    ...(options.propagationDelayMs !== undefined && { propagationDelayMs: options.propagationDelayMs }),
    ...options.extra,
  });
  const status = lb.status();
  const arns = Object.fromEntries(status.targetGroups.map((g) => [g.name, g.arn]));
  const urls = Object.fromEntries(lb.listeners.map((l) => [l.balancer, l.url]));
  return { lb, arns, urls };
}

/** An app on 127.0.0.1:0: `/ping` answers 200 (or what `health()` says), `/slow?ms=N` after N ms, anything else 200 with `name`. */
export async function startApp(name: string, health: () => number = () => 200): Promise<Server & { port: number; hits: number }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://app');
    if (url.pathname === '/ping') return void res.writeHead(health()).end('pong');
    app.hits += 1;
    const ms = Number(url.searchParams.get('ms') ?? 0);
    setTimeout(() => res.end(name), ms);
  }) as Server & { port: number; hits: number };
  const app = server;
  app.hits = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  app.port = (server.address() as AddressInfo).port;
  return app;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** GET `url` → status and body (any error is thrown). */
export function fetchText(url: string, agent?: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`GET ${url} timed out`)));
  });
}

export interface Call {
  name: string;
  start: number;
  end: number;
}

/** Real SDK clients for the local ELB, each call recorded with its start and end (to see what ran in parallel). */
export function recordingClients(lb: LocalElb): { classic: ElasticLoadBalancingClient; v2: ElasticLoadBalancingV2Client; calls: Call[] } {
  const config = {
    endpoint: lb.endpoint,
    region: lb.env.AWS_REGION,
    credentials: { accessKeyId: lb.env.AWS_ACCESS_KEY_ID, secretAccessKey: lb.env.AWS_SECRET_ACCESS_KEY },
    maxAttempts: 1,
  };
  const calls: Call[] = [];
  const record = <C extends { send: (...args: never[]) => Promise<unknown> }>(client: C): C => {
    const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as { send: unknown }).send = async (...args: unknown[]) => {
      const call = { name: (args[0] as object).constructor.name.replace(/Command$/, ''), start: Date.now(), end: Number.NaN };
      calls.push(call);
      try {
        return await send(...args);
      } finally {
        call.end = Date.now();
      }
    };
    return client;
  };
  return { classic: record(new ElasticLoadBalancingClient(config)), v2: record(new ElasticLoadBalancingV2Client(config)), calls };
}
