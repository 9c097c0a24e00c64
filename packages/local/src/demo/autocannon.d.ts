// autocannon 8 ships no type declarations; this covers only the programmatic API the demo uses
// (checked against node_modules/autocannon/lib/run.js and httpClient.js).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface AutocannonRequestParams {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    [key: string]: unknown;
  }

  interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    /** Called before every request built from this entry; returns the request to send. */
    setupRequest?: (request: AutocannonRequestParams, context: Record<string, unknown>) => AutocannonRequestParams;
    /** Called with every complete response; `headers` keeps the names as the server sent them. */
    onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string | string[]>) => void;
  }

  /** One connection. Emits 'request' before each write, 'response', 'connError', 'timeout'. */
  interface AutocannonClient extends EventEmitter {
    readonly opts: { rate?: number };
  }

  interface AutocannonOptions {
    url: string;
    connections?: number;
    duration?: number;
    timeout?: number;
    pipelining?: number;
    overallRate?: number;
    connectionRate?: number;
    headers?: Record<string, string>;
    requests?: AutocannonRequest[];
    setupClient?: (client: AutocannonClient) => void;
    title?: string;
    excludeErrorStats?: boolean;
    skipAggregateResult?: boolean;
  }

  interface AutocannonResult {
    title?: string;
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    requests: { average: number; mean: number; total: number; sent: number; p50: number };
    latency: { average: number; p50: number; p99: number; max: number };
    '2xx': number;
  }

  interface AutocannonInstance extends EventEmitter, PromiseLike<AutocannonResult> {
    stop(): void;
  }

  function autocannon(options: AutocannonOptions): AutocannonInstance;
  export default autocannon;
  export type { AutocannonClient, AutocannonInstance, AutocannonOptions, AutocannonRequest, AutocannonRequestParams, AutocannonResult };
}
