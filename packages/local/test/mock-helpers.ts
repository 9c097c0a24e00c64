// Shared by the test/mock-*.test.ts files: real SDK clients pointed at a local ELB, and small waiting helpers.
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalElb } from '../src/mock/localElb.js';

export function clientsFor(lb: LocalElb, maxAttempts = 1): { classic: ElasticLoadBalancingClient; v2: ElasticLoadBalancingV2Client } {
  const config = {
    endpoint: lb.endpoint,
    region: lb.env.AWS_REGION,
    credentials: { accessKeyId: lb.env.AWS_ACCESS_KEY_ID, secretAccessKey: lb.env.AWS_SECRET_ACCESS_KEY },
    maxAttempts,
  };
  return { classic: new ElasticLoadBalancingClient(config), v2: new ElasticLoadBalancingV2Client(config) };
}


/**
 * An Authorization header of the AWS Signature V4 form, as every SDK and CLI sends: the local ELB requires the form
 * on Query API calls but verifies no signature, so a raw call needs no real one.
 */
export const SIGV4_FORM_AUTHORIZATION =
  'AWS4-HMAC-SHA256 Credential=AKIALOCALELB000000000/20261201/us-east-1/elasticloadbalancing/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=' +
  '0'.repeat(64);

/** Posts a raw Query API body (with a SigV4-form Authorization header unless `headers` replaces it) and returns status, headers and text. */
export async function rawCall(endpoint: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${endpoint}/`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: SIGV4_FORM_AUTHORIZATION, ...headers },
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A tiny backend on 127.0.0.1:0 that names itself in every answer; `/ping` is its health route. */
export interface Backend {
  name: string;
  server: Server;
  port: number;
  address: string;
  requests: number;
  healthy: boolean;
  close(): Promise<void>;
}

export async function startBackend(name: string, handler?: (req: IncomingMessage, res: ServerResponse) => void): Promise<Backend> {
  const backend = { name, requests: 0, healthy: true } as Backend;
  const server = createServer((req, res) => {
    if (req.url === '/ping') {
      res.writeHead(backend.healthy ? 200 : 500).end(backend.healthy ? 'pong' : 'sick');
      return;
    }
    backend.requests += 1;
    if (handler) return handler(req, res);
    res.writeHead(200, { 'content-type': 'text/plain' }).end(name);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  backend.server = server;
  backend.port = (server.address() as AddressInfo).port;
  backend.address = `127.0.0.1:${backend.port}`;
  backend.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return backend;
}
