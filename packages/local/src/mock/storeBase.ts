import type { Logger } from 'pino';
import type { ClassicBalancer, ListenerV2, LoadBalancerV2, TargetGroup } from './resources.js';
import { MemberLifecycle } from './memberLifecycle.js';
import { Network } from './network.js';
import type { StoreOptions } from './storeTypes.js';

/** What every part of the store shares: the resources, the options, the network, the member state machine. */
export class StoreBase {
  readonly classic = new Map<string, ClassicBalancer>();
  readonly loadBalancers = new Map<string, LoadBalancerV2>();
  readonly listeners = new Map<string, ListenerV2>();
  readonly targetGroups = new Map<string, TargetGroup>();
  readonly region: string;
  readonly accountId: string;
  readonly network: Network;
  propagationDelayMs: number;
  readonly options: StoreOptions;
  protected readonly logger: Logger;
  protected readonly lifecycle: MemberLifecycle;
  protected closed = false;
  /** Makes every new listener and rule ARN unique, even for a port or priority used before. */
  protected sequence = 0;

  constructor(options: StoreOptions) {
    this.options = options;
    this.region = options.region;
    this.accountId = options.accountId;
    this.propagationDelayMs = options.propagationDelayMs;
    this.logger = options.logger;
    this.network = new Network(options.region, options.accountId);
    this.lifecycle = new MemberLifecycle({ logger: options.logger, propagationDelayMs: () => this.propagationDelayMs, closed: () => this.closed });
  }

  /** Where traffic and health checks for an instance go: its configured address, else the loopback. */
  addressOf(instanceId: string, port: number): string {
    return this.options.addresses.get(instanceId) ?? `127.0.0.1:${port}`;
  }

  close(): void {
    this.closed = true;
    for (const lb of this.classic.values()) for (const m of lb.members.all()) m.stopTimers();
    for (const tg of this.targetGroups.values()) for (const m of tg.members.all()) m.stopTimers();
  }
}
