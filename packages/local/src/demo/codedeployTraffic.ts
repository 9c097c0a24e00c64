import {
  DeregisterInstancesFromLoadBalancerCommand,
  DescribeInstanceHealthCommand,
  ElasticLoadBalancingClient,
  RegisterInstancesWithLoadBalancerCommand,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEMO_DEFAULTS } from './defaults.js';
import { InvalidOptionError, TrafficWaitError } from './errors.js';

/**
 * CodeDeploy's built-in load-balancer handling (a deployment group with a load balancer, in-place): before
 * ApplicationStop, BlockTraffic deregisters the instance and waits until the balancer reports it gone (for a target
 * group: until `draining` ends, i.e. the whole deregistration delay, however idle the instance is; for a Classic ELB:
 * until connection draining ends); after ValidateService, AllowTraffic registers it and waits until it is healthy.
 * The app knows nothing of it. The demo's `--codedeploy-builtin` baseline runs these from its hooks.
 */
export type TrafficMember =
  | { readonly kind: 'classic'; readonly name: string; readonly instanceId: string }
  | { readonly kind: 'target-group'; readonly arn: string; readonly instanceId: string; readonly port: number };

/** GRACEFUL_ELB_TARGET_GROUP_ARNS (the first) with PORT, else GRACEFUL_ELB_NAME: the same variables the library reads. */
export function balancerFromEnv(env: NodeJS.ProcessEnv, instanceId: string): TrafficMember {
  const arn = env.GRACEFUL_ELB_TARGET_GROUP_ARNS?.split(',')[0]?.trim();
  if (arn) {
    const port = Number(env.PORT);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidOptionError('PORT', env.PORT, 'the port the app listens on (the target port)');
    return { kind: 'target-group', arn, instanceId, port };
  }
  const name = env.GRACEFUL_ELB_NAME?.trim();
  if (!name) throw new InvalidOptionError('GRACEFUL_ELB_NAME', env.GRACEFUL_ELB_NAME, 'a Classic ELB name (or set GRACEFUL_ELB_TARGET_GROUP_ARNS)');
  return { kind: 'classic', name, instanceId };
}

export interface TrafficWaitOptions {
  /** @default DEMO_DEFAULTS.builtinPollMs */
  readonly pollMs?: number;
  /** BlockTraffic: the balancer's own limit plus a minute; AllowTraffic: DEMO_DEFAULTS.builtinAllowTimeoutSeconds. */
  readonly timeoutMs?: number;
  /** Endpoint, region, credentials for the SDK clients. @default the standard AWS environment variables */
  readonly clientConfig?: ClientConfig;
}

type ClientConfig = { endpoint?: string; region?: string; credentials?: { accessKeyId: string; secretAccessKey: string } };

/** Deregisters, then polls until the balancer reports the instance gone. Resolves with a line for the hook log. */
export async function blockTraffic(member: TrafficMember, options: TrafficWaitOptions = {}): Promise<string> {
  const started = Date.now();
  const api = apiFor(member, options.clientConfig);
  try {
    await api.deregister();
    const state = await waitUntil(api.state, (s) => s.gone, options.pollMs, options.timeoutMs ?? 3_660_000, 'the balancer reports the instance deregistered');
    return `BlockTraffic: deregistered; the balancer reported it gone after ${seconds(Date.now() - started)} (${state.text})`;
  } finally {
    api.destroy();
  }
}

/** Registers, then polls until the balancer reports the instance healthy / InService. */
export async function allowTraffic(member: TrafficMember, options: TrafficWaitOptions = {}): Promise<string> {
  const started = Date.now();
  const api = apiFor(member, options.clientConfig);
  try {
    await api.register();
    const timeoutMs = options.timeoutMs ?? DEMO_DEFAULTS.builtinAllowTimeoutSeconds * 1000;
    const state = await waitUntil(api.state, (s) => s.inService, options.pollMs, timeoutMs, 'the balancer reports the instance healthy');
    return `AllowTraffic: registered; healthy after ${seconds(Date.now() - started)} (${state.text})`;
  } finally {
    api.destroy();
  }
}

interface MemberState {
  readonly gone: boolean;
  readonly inService: boolean;
  readonly text: string;
}

interface MemberApi {
  register(): Promise<unknown>;
  deregister(): Promise<unknown>;
  state(): Promise<MemberState>;
  destroy(): void;
}

/** Each call bounded, so a hung endpoint fails the hook instead of stalling it. */
const CALL_TIMEOUT_MS = 5000;

function apiFor(member: TrafficMember, config: ClientConfig = {}): MemberApi {
  if (member.kind === 'classic') {
    const client = new ElasticLoadBalancingClient({ ...config, requestHandler: { requestTimeout: CALL_TIMEOUT_MS } });
    const input = { LoadBalancerName: member.name, Instances: [{ InstanceId: member.instanceId }] };
    return {
      register: () => client.send(new RegisterInstancesWithLoadBalancerCommand(input)),
      deregister: () => client.send(new DeregisterInstancesFromLoadBalancerCommand(input)),
      async state() {
        const out = await client.send(new DescribeInstanceHealthCommand(input));
        const health = out.InstanceStates?.[0];
        const description = health?.Description ?? '';
        return {
          gone: health?.State === 'OutOfService' && /not currently registered/i.test(description),
          inService: health?.State === 'InService' && !/deregistration/i.test(description),
          text: `${health?.State ?? 'unknown'}: ${description}`,
        };
      },
      destroy: () => client.destroy(),
    };
  }
  const client = new ElasticLoadBalancingV2Client({ ...config, requestHandler: { requestTimeout: CALL_TIMEOUT_MS } });
  const input = { TargetGroupArn: member.arn, Targets: [{ Id: member.instanceId, Port: member.port }] };
  return {
    register: () => client.send(new RegisterTargetsCommand(input)),
    deregister: () => client.send(new DeregisterTargetsCommand(input)),
    async state() {
      const out = await client.send(new DescribeTargetHealthCommand(input));
      const health = out.TargetHealthDescriptions?.[0]?.TargetHealth;
      const state = health?.State ?? 'unused';
      return { gone: state === 'unused', inService: state === 'healthy', text: [state, health?.Reason].filter(Boolean).join(': ') };
    },
    destroy: () => client.destroy(),
  };
}

async function waitUntil(
  read: () => Promise<MemberState>,
  done: (state: MemberState) => boolean,
  pollMs: number = DEMO_DEFAULTS.builtinPollMs,
  timeoutMs: number,
  what: string,
): Promise<MemberState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await read();
    if (done(state)) return state;
    if (Date.now() + pollMs > deadline) throw new TrafficWaitError(what, timeoutMs, state.text);
    await sleep(pollMs);
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
