/**
 * Every default of the demo (`npm start` / `graceful-elb-local demo`) and of `npm run bench`, written once.
 * docs/demo-and-bench.md documents these values.
 */
export const DEMO_DEFAULTS = {
  /** `--instances`: copies of examples/app.mjs behind the local ELB. */
  instances: 3,
  /** `--rate`: requests per second offered to the balancer's listener (2 cores must cope with it and the fleet). */
  ratePerSecond: 400,
  /** `--duration`: the least number of seconds the load runs; it runs on until the deployment ends plus `tailSeconds`. */
  durationSeconds: 30,
  /** `--balancer`: what the fleet sits behind (classic, alb or nlb). */
  balancer: 'classic',
  /** `--codedeploy-builtin`: how often BlockTraffic/AllowTraffic poll the balancer (CodeDeploy's own cadence is not documented; 1 s favours it). */
  builtinPollMs: 1000,
  /** `--codedeploy-builtin`: AllowTraffic gives up when the instance is not healthy after this long. */
  builtinAllowTimeoutSeconds: 120,
  /** `--strategy`: CodeDeploy's own default deployment configuration. */
  strategy: 'OneAtATime',
  /** `--drain-seconds`: the library's bound, the local ELB's ConnectionDraining timeout, the seed's `sleep`. The seed uses 30. */
  drainSeconds: 30,
  /** Steady load before the first instance is touched, so the timeline shows the fleet at rest first. */
  warmupSeconds: 3,
  /** Load kept on after the last instance is back in service, so every instance is seen serving again. */
  tailSeconds: 3,
  /** Share of the load sent over kept-alive connections; the rest opens a fresh connection per request. */
  keepAliveShare: 0.75,
  /** Requests per second each kept-alive connection sends (autocannon's per-connection quota). */
  ratePerKeepAliveConnection: 2,
  /** Kept-alive load is split over this many staggered autocannon instances to spread their per-second bursts. */
  keepAliveStagger: 4,
  /** A request without an answer after this long counts as failed (autocannon's `timeout`, in seconds). */
  requestTimeoutSeconds: 10,
  /** `/work?ms=N` durations and their weights: mostly quick, a few slow requests still in flight at every signal. */
  workMix: [
    { ms: 2, weight: 60 },
    { ms: 20, weight: 25 },
    { ms: 100, weight: 10 },
    { ms: 500, weight: 5 },
  ],
  /** Width of one bucket of the per-second counts. */
  bucketMs: 1000,
  /** Local ELB: delay before a deregistration stops new requests, as on real balancer nodes. */
  propagationDelayMs: 1000,
  /** Local ELB health check: every second, 2 passes to join, 2 failures to leave (AWS's minimums are slower). */
  healthCheck: { intervalSeconds: 1, timeoutSeconds: 1, healthyThreshold: 2, unhealthyThreshold: 2 },
  /** Resolution of the demo process's event-loop delay sampling (it hosts the local ELB and the load generator). */
  hostLoopResolutionMs: 10,
  /**
   * An event-loop delay this long in the demo process means the machine starved the local ELB and the load generator:
   * the summary says so beside any failure, since requests then time out whatever the deployment does.
   */
  hostStarvedMs: 1000,
  /** How often the demo reads the local ELB's view of each instance for the phase timeline. */
  observeIntervalMs: 200,
  /** Where runs write their report, timeline and hook logs (relative to the working directory). */
  outputDir: 'demo-output',
  /** The seed article's fixed waits: `sleep 10` before its health check, `sleep 10` after registering. */
  seedStartSleepSeconds: 10,
  seedRegisterSleepSeconds: 10,
  /**
   * failed-revision: how long the bad revision's library tries its health route before it reports 'failed'
   * (its `probeTimeoutMs`; the library's default is 60 s). ValidateService fails as soon as it does.
   */
  badRevisionProbeSeconds: 10,
  /** crash: the crash app's boot, from its start until it listens (an app loading a cache, opening a pool). */
  crashBootSeconds: 5,
  /** crash: the crashed instance must be restarted and routed to again within this long. */
  crashRecoveryTimeoutSeconds: 90,
  /** scale-in: the termination lifecycle hook's heartbeat timeout (AWS's default is 3600 s; the report compares with it). */
  lifecycleHookTimeoutSeconds: 300,
  /** scale-in, spot: how often the library asks IMDS for notices (GRACEFUL_ELB_NOTICE_INTERVAL_MS; its default is 5000). */
  noticeIntervalMs: 1000,
  /** scale-in, spot: the instance must have left and exited within this long. */
  leaveTimeoutSeconds: 90,
  /** The naive ValidateService hook polls the app's health route this long at most. */
  naiveValidateTimeoutSeconds: 30,
} as const;

/** What `npm run bench` does unless told otherwise. */
export const BENCH_DEFAULTS = {
  /** Repeated runs per approach; the table reports medians. */
  repeats: 3,
  /** Alternating rounds (one run per side each) for the request-path overhead; paired, so drift cancels out. */
  overheadRuns: 8,
  /** Seconds of unthrottled load per overhead run. */
  overheadSeconds: 3,
  /** Connections for the overhead runs. */
  overheadConnections: 50,
  /** Rounds of the per-request CPU comparison with the peer libraries (each round runs every server once). */
  peerRounds: 30,
  /** Seconds of unthrottled load per server and round. */
  peerSeconds: 1,
  /** Connections (kept alive) for the peer comparison. */
  peerConnections: 10,
  /** Fresh processes per startup measurement (CLI call, import); the table reports medians. */
  startupRuns: 10,
  /** Idle signal-to-exit measurements. */
  idleShutdownRuns: 5,
  /** The modelled fleet. */
  fleetSize: 100,
} as const;

export interface WorkMixEntry {
  ms: number;
  weight: number;
}
