/**
 * Test-only Classic ELB control plane speaking the real Query protocol (form-encoded POST, XML answers), for the
 * lifecycle tests and their faults until the project's local ELB (src/mock) lands on main. It models just what the
 * library calls: Register/Deregister, DescribeInstanceHealth (with connection draining), DescribeLoadBalancerAttributes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { XMLBuilder } from 'fast-xml-parser';

export interface FakeElbCall {
  readonly action: string;
  readonly at: number;
  readonly params: Readonly<Record<string, string>>;
  /** The HTTP status answered. */
  readonly status: number;
}

export interface FakeElbOptions {
  readonly balancers?: readonly string[];
  /** Registered → InService after this long. */
  readonly inServiceAfterMs?: number;
  /** 0 = connection draining disabled (OutOfService at once on deregistration). */
  readonly connectionDrainingSeconds?: number;
  readonly idleTimeoutSeconds?: number;
}

export interface FakeElb {
  readonly endpoint: string;
  readonly calls: FakeElbCall[];
  /** AWS SDK env for a child process pointing at this endpoint. */
  readonly env: Record<string, string>;
  /** A real SDK client for this endpoint (in-process tests; forked ones use `env`). */
  client(): ElasticLoadBalancingClient;
  /** The next `count` calls of `action` (any action if omitted) on `balancer` (any if omitted) answer 400 Throttling. */
  throttle(count: number, action?: string, balancer?: string): void;
  /** true: every new connection is reset at once (the API is unreachable); false: back to normal. */
  unreachable(on: boolean): void;
  /** The current DescribeInstanceHealth state of an instance. */
  stateOf(balancer: string, instanceId: string): string;
  close(): Promise<void>;
}

const NS = 'http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/';
const builder = new XMLBuilder({ ignoreAttributes: false, suppressEmptyNode: false });

interface Membership {
  registeredAt: number;
  deregisteredAt: number | undefined;
}

export async function startFakeElb(options: FakeElbOptions = {}): Promise<FakeElb> {
  const balancers = new Map((options.balancers ?? ['web']).map((name) => [name, new Map<string, Membership>()]));
  const inServiceAfterMs = options.inServiceAfterMs ?? 300;
  const drainingMs = (options.connectionDrainingSeconds ?? 300) * 1000;
  const calls: FakeElbCall[] = [];
  const sockets = new Set<Socket>();
  const throttles: Array<{ left: number; action: string | undefined; balancer: string | undefined }> = [];
  let refuse = false;
  let requestCounter = 0;

  const health = (m: Membership | undefined): { State: string; ReasonCode: string; Description: string } => {
    const now = Date.now();
    if (m === undefined || (m.deregisteredAt !== undefined && now - m.deregisteredAt >= drainingMs)) {
      return { State: 'OutOfService', ReasonCode: 'N/A', Description: 'Instance is not currently registered with the LoadBalancer.' };
    }
    if (m.deregisteredAt !== undefined) return { State: 'InService', ReasonCode: 'N/A', Description: 'Instance deregistration currently in progress.' };
    if (now - m.registeredAt < inServiceAfterMs) return { State: 'OutOfService', ReasonCode: 'ELB', Description: 'Instance has not passed the configured HealthyThreshold number of health checks consecutively.' };
    return { State: 'InService', ReasonCode: 'N/A', Description: 'N/A' };
  };

  const reply = (res: ServerResponse, status: number, body: unknown): void => {
    const requestId = `fake-${++requestCounter}`;
    res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
    res.end(builder.build(body));
  };
  const error = (res: ServerResponse, status: number, code: string, message: string): void =>
    reply(res, status, { ErrorResponse: { '@_xmlns': NS, Error: { Type: 'Sender', Code: code, Message: message }, RequestId: `fake-${requestCounter}` } });
  const ok = (res: ServerResponse, action: string, result: unknown): void =>
    reply(res, 200, { [`${action}Response`]: { '@_xmlns': NS, [`${action}Result`]: result, ResponseMetadata: { RequestId: `fake-${requestCounter}` } } });

  const handle = (params: Record<string, string>, res: ServerResponse): number => {
    const action = params.Action ?? '';
    const throttle = throttles.find(
      (t) => t.left > 0 && (t.action === undefined || t.action === action) && (t.balancer === undefined || t.balancer === params.LoadBalancerName),
    );
    if (throttle !== undefined) {
      throttle.left--;
      error(res, 400, 'Throttling', 'Rate exceeded');
      return 400;
    }
    const name = params.LoadBalancerName ?? '';
    const members = balancers.get(name);
    if (members === undefined) {
      error(res, 400, 'LoadBalancerNotFound', `There is no ACTIVE Load Balancer named '${name}'`);
      return 400;
    }
    const ids = Object.entries(params)
      .filter(([key]) => /^Instances\.member\.\d+\.InstanceId$/.test(key))
      .map(([, value]) => value);
    const current = (): Array<{ InstanceId: string }> =>
      [...members].filter(([, m]) => m.deregisteredAt === undefined).map(([id]) => ({ InstanceId: id }));
    switch (action) {
      case 'RegisterInstancesWithLoadBalancer':
        for (const id of ids) members.set(id, { registeredAt: Date.now(), deregisteredAt: undefined });
        ok(res, action, { Instances: { member: current() } });
        return 200;
      case 'DeregisterInstancesFromLoadBalancer':
        for (const id of ids) {
          const m = members.get(id);
          if (m !== undefined && m.deregisteredAt === undefined) m.deregisteredAt = Date.now();
        }
        ok(res, action, { Instances: { member: current() } });
        return 200;
      case 'DescribeInstanceHealth': {
        const wanted = ids.length > 0 ? ids : [...members.keys()];
        ok(res, action, { InstanceStates: { member: wanted.map((id) => ({ InstanceId: id, ...health(members.get(id)) })) } });
        return 200;
      }
      case 'DescribeLoadBalancerAttributes':
        ok(res, action, {
          LoadBalancerAttributes: {
            ConnectionDraining: { Enabled: drainingMs > 0, Timeout: Math.round(drainingMs / 1000) },
            ConnectionSettings: { IdleTimeout: options.idleTimeoutSeconds ?? 60 },
          },
        });
        return 200;
      default:
        error(res, 400, 'InvalidAction', `Unknown action ${action}`);
        return 400;
    }
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(body));
      const status = handle(params, res);
      calls.push({ action: params.Action ?? '', at: Date.now(), params, status });
    });
  });
  server.on('connection', (socket: Socket) => {
    if (refuse) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    calls,
    env: {
      AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'test-secret',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    client() {
      return new ElasticLoadBalancingClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
        maxAttempts: 1,
      });
    },
    throttle(count, action, balancer) {
      throttles.push({ left: count, action, balancer });
    },
    unreachable(on) {
      refuse = on;
      if (on) for (const socket of sockets) socket.destroy();
    },
    stateOf(balancer, instanceId) {
      return health(balancers.get(balancer)?.get(instanceId)).State;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
