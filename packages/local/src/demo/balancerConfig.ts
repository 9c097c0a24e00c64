import type { LocalElbConfig } from '../mock/config.js';
import { DEMO_DEFAULTS } from './defaults.js';

export const DEMO_BALANCER_KINDS = ['classic', 'alb', 'nlb'] as const;
export type DemoBalancerKind = (typeof DEMO_BALANCER_KINDS)[number];

/** The Classic balancer every classic demo (and bench) instance sits behind. */
export const DEMO_BALANCER = 'web';
/** The scale-in and spot scenarios' Auto Scaling group and its termination lifecycle hook. */
export const DEMO_AUTO_SCALING_GROUP = 'demo-asg';
export const DEMO_TERMINATION_HOOK = 'drain-before-terminate';

/** Names of what each demo balancer kind is made of: the listener's balancer, and what instances join (ELB name or target group). */
export const DEMO_BALANCERS: Readonly<Record<DemoBalancerKind, { readonly listener: string; readonly members: string }>> = {
  classic: { listener: DEMO_BALANCER, members: DEMO_BALANCER },
  alb: { listener: 'web-alb', members: 'web-tg' },
  nlb: { listener: 'web-nlb', members: 'web-nlb-tg' },
};

/**
 * One balancer and nothing else: health checks every second with threshold 2, AWS's idle timeout, and the drain
 * bound as the balancer's own (Classic connection draining timeout, or the target group's deregistration delay),
 * so the balancer never cuts what the library still drains. The NLB passes TCP through (see tcpDataPlane.ts) and
 * checks the app's health route over HTTP. The listener and instance ports are placeholders: the demo runs listeners
 * on ephemeral ports and gives every instance its own address.
 */
export function demoBalancerConfig(
  drainSeconds: number,
  kind: DemoBalancerKind = 'classic',
  autoScaling?: { readonly instanceIds: readonly string[]; readonly hookTimeoutSeconds: number },
): LocalElbConfig {
  // The group has no balancer attached: the app registered itself, so only the app can take itself out
  // (on AWS the group would not deregister it either). Every instance may get a Spot notice.
  const groups: Pick<LocalElbConfig, 'autoScalingGroups' | 'spotInstances'> = autoScaling
    ? {
        autoScalingGroups: [
          {
            name: DEMO_AUTO_SCALING_GROUP,
            instances: [...autoScaling.instanceIds],
            lifecycleHooks: [{ name: DEMO_TERMINATION_HOOK, heartbeatTimeoutSeconds: autoScaling.hookTimeoutSeconds, defaultResult: 'ABANDON' as const }],
          },
        ],
        spotInstances: [...autoScaling.instanceIds],
      }
    : {};
  if (kind === 'classic') {
    return {
      ...groups,
      classic: [
        {
          name: DEMO_BALANCER,
          listeners: [{ protocol: 'HTTP', loadBalancerPort: 8080, instanceProtocol: 'HTTP', instancePort: 3000 }],
          healthCheck: { target: 'HTTP:3000/ping', ...DEMO_DEFAULTS.healthCheck },
          connectionDraining: { enabled: true, timeoutSeconds: drainSeconds },
          idleTimeoutSeconds: 60,
        },
      ],
      loadBalancers: [],
      targetGroups: [],
    };
  }
  const names = DEMO_BALANCERS[kind];
  const tcp = kind === 'nlb';
  return {
    ...groups,
    classic: [],
    loadBalancers: [
      {
        name: names.listener,
        type: tcp ? 'network' : 'application',
        ...(tcp ? {} : { idleTimeoutSeconds: 60 }),
        listeners: [{ port: tcp ? 8082 : 8081, protocol: tcp ? 'TCP' : 'HTTP', targetGroup: names.members }],
      },
    ],
    targetGroups: [
      {
        name: names.members,
        protocol: tcp ? 'TCP' : 'HTTP',
        port: 3000,
        healthCheck: { protocol: 'HTTP', path: '/ping', ...DEMO_DEFAULTS.healthCheck },
        deregistrationDelaySeconds: drainSeconds,
      },
    ],
  };
}
