import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { AUTO_SCALING_API_VERSION, autoScalingActions } from './autoScalingApi.js';
import type { AutoScalingStore } from './autoScalingStore.js';
import { AwsQueryError } from './errors.js';
import { callScope, type CallLog, type CallScope } from './callLog.js';
import { CLASSIC_API_VERSION, classicActions, type ActionHandler } from './classicApi.js';
import type { FaultDecision, Faults } from './faults.js';
import { QueryRequest } from './queryRequest.js';
import { errorBody, newRequestId, sendXml, successBody } from './queryResponse.js';
import type { LocalElbStore } from './store.js';
import { classicTagActions, v2TagActions } from './tagsApi.js';
import { V2_API_VERSION, v2Actions } from './v2Api.js';
import { v2ListenerActions } from './v2ListenerApi.js';

/** Past this much, an oversized body is no longer read (the socket is closed after the 413 answer). */
const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * The Query API endpoint of ELB, ELBv2 and Auto Scaling: reads the form body (bounded), dispatches on Version
 * (nine action names exist in both ELB APIs), applies injected faults, and answers exactly as AWS does on the wire. Never throws to the server:
 * every failure becomes an `<ErrorResponse>`.
 */
export class ControlPlane {
  private readonly tables: Record<string, Record<string, ActionHandler>>;
  private readonly logger: Logger;
  private readonly faults: Faults;
  private readonly maxBodyBytes: number;
  private readonly settled: () => Promise<void>;
  private readonly calls: CallLog;
  private readonly expiredAccessKey: (accessKeyId: string) => boolean;

  /**
   * `settled`: awaited before a success answer, so a listener created by the call is bound when the client hears back.
   * `calls`: every call read to its end is recorded there once answered (or reset).
   */
  constructor(options: {
    store: LocalElbStore;
    autoScaling: AutoScalingStore;
    faults: Faults;
    logger: Logger;
    maxBodyBytes: number;
    settled: () => Promise<void>;
    calls: CallLog;
    /** True for temporary credentials (IMDS) whose lifetime is over: the call is refused with ExpiredToken. */
    expiredAccessKey?: (accessKeyId: string) => boolean;
  }) {
    const { store } = options;
    this.tables = {
      [CLASSIC_API_VERSION]: { ...classicActions(store), ...classicTagActions(store) },
      [V2_API_VERSION]: { ...v2Actions(store), ...v2ListenerActions(store), ...v2TagActions(store) },
      // One endpoint for the three APIs, as AWS_ENDPOINT_URL_AUTO_SCALING may point at the same URL: Version tells them apart.
      [AUTO_SCALING_API_VERSION]: autoScalingActions(options.autoScaling),
    };
    this.logger = options.logger;
    this.faults = options.faults;
    this.maxBodyBytes = options.maxBodyBytes;
    this.settled = options.settled;
    this.calls = options.calls;
    this.expiredAccessKey = options.expiredAccessKey ?? (() => false);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const requestId = newRequestId();
    readBody(req, this.maxBodyBytes)
      .then(
        async (body) => {
          if (body === undefined) {
            // Refuse without buffering: AWS fronts answer 413 for bodies over their limit.
            const error = new AwsQueryError('RequestEntityTooLarge', `Request body exceeds the ${this.maxBodyBytes} byte limit`, 413);
            const call = { at: Date.now(), requestId, version: undefined, scope: unreadScope(), accessKeyId: accessKeyIdOf(req) };
            this.finish(res, error, call, started, undefined, { connection: 'close' });
            return;
          }
          await this.dispatch(req, res, body, requestId, started);
        },
        (cause: unknown) => {
          this.logger.debug({ err: cause, requestId }, 'control-plane request aborted');
          res.destroy();
        },
      )
      .catch((err: unknown) => {
        // Last line of defence: a bug here must cost one request, never the process.
        this.logger.error({ err, requestId }, 'control-plane request failed');
        res.destroy();
      });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, body: string, requestId: string, started: number): Promise<void> {
    const query = req.url?.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
    const params = QueryRequest.parse(query && body ? `${query}&${body}` : query || body);
    const action = params.raw('Action');
    const version = params.raw('Version');
    const call: CallContext = { at: Date.now(), requestId, version, scope: callScope(params, version), accessKeyId: accessKeyIdOf(req) };
    let fault: FaultDecision;
    try {
      if (!action) throw new AwsQueryError('MissingAction', 'The request must contain the parameter Action.');
      if (!version) throw new AwsQueryError('MissingParameter', 'The request must contain the parameter Version.');
      const table = this.tables[version];
      const handler = table && Object.hasOwn(table, action) ? table[action] : undefined;
      if (!handler) throw new AwsQueryError('InvalidAction', `Could not find operation ${action} for version ${version}`);
      if (call.accessKeyId && this.expiredAccessKey(call.accessKeyId)) throw new AwsQueryError('ExpiredToken', 'The security token included in the request is expired');

      fault = this.faults.decide(call.scope);
      if (this.faults.addedLatencyMs > 0) await delay(this.faults.addedLatencyMs);
      if (fault === 'unreachable') {
        this.logger.info({ action, requestId }, 'fault: connection reset (API unreachable)');
        req.socket.destroy();
        this.record(call, 0, null, fault);
        return;
      }
      if (fault === 'throttle') throw new AwsQueryError('Throttling', 'Rate exceeded');
      if (fault === 'serverError') throw new AwsQueryError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 500);

      const result = handler(params);
      await this.settled();
      const xml = successBody(action, version, result, requestId);
      sendXml(res, 200, xml, requestId);
      this.record(call, 200, null, undefined);
      this.logger.info({ action, version, status: 200, ms: elapsed(started), requestId }, 'api call');
    } catch (caught) {
      const error =
        caught instanceof AwsQueryError
          ? caught
          : new AwsQueryError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 500, { cause: caught });
      if (!(caught instanceof AwsQueryError)) this.logger.error({ err: caught, action, requestId }, 'api call crashed');
      this.finish(res, error, call, started, fault);
    }
  }

  private finish(res: ServerResponse, error: AwsQueryError, call: CallContext, started: number, fault: FaultDecision, headers: Record<string, string> = {}): void {
    const { requestId, version } = call;
    sendXml(res, error.httpStatus, errorBody(error, version, requestId), requestId, headers);
    this.record(call, error.httpStatus, error.awsCode, fault);
    const action = call.scope.action ?? undefined;
    this.logger.info({ action, version, status: error.httpStatus, code: error.awsCode, message: error.message, ms: elapsed(started), requestId }, 'api call failed');
  }

  private record(call: CallContext, status: number, error: string | null, fault: FaultDecision): void {
    this.calls.record({
      ...call.scope,
      requestId: call.requestId,
      accessKeyId: call.accessKeyId,
      at: call.at,
      answeredAt: status === 0 ? null : Date.now(),
      version: call.version?.slice(0, 32) ?? null,
      status,
      error,
      fault: fault ?? null,
    });
  }
}

interface CallContext {
  at: number;
  requestId: string;
  version: string | undefined;
  scope: CallScope;
  accessKeyId: string | null;
}

/** The access key id of a SigV4 `Authorization` header (`Credential=AKID/date/region/service/aws4_request`). */
function accessKeyIdOf(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /Credential=([A-Z0-9]{16,128})\//.exec(header) : null;
  return match ? match[1]! : null;
}

/** A body refused for its size is never parsed: the call names nothing. */
function unreadScope(): CallScope {
  return { action: null, loadBalancer: null, targetGroup: null, targetGroupArn: null, autoScalingGroup: null, instanceIds: [] };
}

/**
 * Resolves the body as text, or undefined when it exceeds `limit` bytes (the rest is read and dropped so the
 * client sees the answer rather than a reset, up to DISCARD_LIMIT_BYTES).
 */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > DISCARD_LIMIT_BYTES) {
      resolve(undefined);
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DISCARD_LIMIT_BYTES) {
        req.destroy();
        return;
      }
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('client closed the request before its end'));
    });
  });
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
