import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AutoScalingStore, SpotAction } from './autoScalingStore.js';
import { instanceId as checkInstanceId } from './config.js';
import { sendJson } from './jsonResponse.js';
import { AwsQueryError, LocalElbConfigError } from './errors.js';

const MAX_BODY_BYTES = 64 * 1024;
const SPOT_ACTIONS: readonly SpotAction[] = ['terminate', 'stop', 'hibernate'];

/**
 * The local control actions for what AWS decides on its own (HTTP, JSON bodies):
 * - `GET  /_local/autoscaling`: every group instance, its lifecycle state, target state and history;
 * - `POST /_local/autoscaling/scale-in` `{"instanceId":"i-…"}`: scale that instance in;
 * - `POST /_local/spot/interrupt` `{"instanceId":"i-…","action":"terminate"}`: a two-minute Spot notice;
 * - `POST /_local/spot/rebalance` `{"instanceId":"i-…"}`: a rebalance recommendation.
 * Bad input answers 400 with `{ error, code }` naming the field.
 */
export function handleLocalControl(req: IncomingMessage, res: ServerResponse, path: string, store: AutoScalingStore, logger: Logger): void {
  if (path === '/_local/autoscaling') {
    if (req.method !== 'GET') return sendJson(res, 405, { error: 'use GET' });
    return sendJson(res, 200, { instances: store.instances() });
  }
  const actions: Record<string, (body: Record<string, unknown>) => unknown> = {
    '/_local/autoscaling/scale-in': (body) => store.scaleIn(instanceIdField(body)),
    '/_local/spot/interrupt': (body) => {
      const action = body.action ?? 'terminate';
      if (typeof action !== 'string' || !SPOT_ACTIONS.includes(action as SpotAction)) throw new LocalElbConfigError('action', action, SPOT_ACTIONS.join(', '));
      const id = instanceIdField(body);
      return { instanceId: id, ...store.spotInterrupt(id, action as SpotAction) };
    },
    '/_local/spot/rebalance': (body) => {
      const id = instanceIdField(body);
      return { instanceId: id, noticeTime: store.rebalanceRecommendation(id) };
    },
  };
  const action = actions[path];
  if (!action) return sendJson(res, 404, { error: `no local control action at ${path}` });
  if (req.method !== 'POST') return sendJson(res, 405, { error: 'use POST' });
  readJson(req)
    .then((body) => sendJson(res, 200, action(body)))
    .catch((err: unknown) => {
      const code = err instanceof AwsQueryError ? err.awsCode : ((err as { code?: string }).code ?? 'ERR_INVALID_JSON');
      logger.info({ path, err }, 'local control action refused');
      sendJson(res, 400, { error: (err as Error).message, code });
    });
}

function instanceIdField(body: Record<string, unknown>): string {
  return checkInstanceId(body.instanceId, 'instanceId');
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return reject(new LocalElbConfigError('body', `${size} bytes`, `at most ${MAX_BODY_BYTES} bytes`));
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        const value: unknown = text.trim() === '' ? {} : JSON.parse(text);
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new LocalElbConfigError('body', value, 'a JSON object');
        resolve(value as Record<string, unknown>);
      } catch (err) {
        reject(err);
      }
    });
  });
}
