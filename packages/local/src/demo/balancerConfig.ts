import type { LocalElbConfig } from '../mock/config.js';
import { DEMO_DEFAULTS } from './defaults.js';

/** The Classic balancer every demo (and bench) instance sits behind. */
export const DEMO_BALANCER = 'web';

/**
 * One Classic balancer and nothing else: health checks every second with threshold 2, connection draining
 * as long as drainSeconds (so the balancer never cuts what the library still drains), AWS's idle timeout.
 * The listener and instance ports are placeholders: the demo runs listeners on ephemeral ports and gives
 * every instance its own address.
 */
export function demoBalancerConfig(drainSeconds: number): LocalElbConfig {
  return {
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
