import type { LocalElbConfig } from '../mock/config.js';
import { DEMO_DEFAULTS } from './defaults.js';

/** The Classic balancer every demo (and bench) instance sits behind. */
export const DEMO_BALANCER = 'web';
/** The scale-in and spot scenarios' Auto Scaling group and its termination lifecycle hook. */
export const DEMO_AUTO_SCALING_GROUP = 'demo-asg';
export const DEMO_TERMINATION_HOOK = 'drain-before-terminate';

/**
 * One Classic balancer and nothing else: health checks every second with threshold 2, connection draining
 * as long as drainSeconds (so the balancer never cuts what the library still drains), AWS's idle timeout.
 * The listener and instance ports are placeholders: the demo runs listeners on ephemeral ports and gives
 * every instance its own address.
 */
export function demoBalancerConfig(drainSeconds: number, autoScaling?: { readonly instanceIds: readonly string[]; readonly hookTimeoutSeconds: number }): LocalElbConfig {
  return {
    // The group has no balancer attached: the app registered itself, so only the app can take itself out
    // (on AWS the group would not deregister it either). Every instance may get a Spot notice.
    ...(autoScaling
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
      : {}),
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
