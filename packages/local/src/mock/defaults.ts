/**
 * Every default of the local ELB, written once. Two families:
 * - what AWS itself uses for resources created through the API (the local ELB answers the same values), and
 * - what the embedded local setup uses (fast health checks so local use needs no waiting; see docs/local-elb.md).
 */
export const LOCAL_ELB_DEFAULTS = {
  /** Control plane + IMDS + status port of `graceful-elb-local mock` (the programmatic default is ephemeral: 0). */
  cliPort: 4566,
  host: '127.0.0.1',
  region: 'us-east-1',
  accountId: '123456789012',
  /** Real balancer nodes learn about a deregistration at slightly different times: new requests keep arriving this long. */
  propagationDelayMs: 1000,
  /** Control-plane request bodies above this are refused (413) without being buffered. */
  maxBodyBytes: 1024 * 1024,
  /** The API call log (`lb.calls()`, `GET /_local/calls`) keeps this many of the latest calls. */
  callLogLimit: 10_000,
  /** The live page (/_local/): how often its event stream sends every registration's state and counters. */
  liveTickMs: 500,
  /** The live page: API calls sent with the first event (later ones arrive as they happen). */
  liveRecentCalls: 30,
  /** The fake static credentials printed for developers to export (any value works: the local ELB ignores signatures). */
  accessKeyId: 'AKIALOCALELB000000000',
  secretAccessKey: 'local-elb-secret-key-not-a-real-secret',
  /** The instance id IMDS reports when none is configured (the first configured instance wins). */
  imdsInstanceId: 'i-0123456789abcdef0',
  availabilityZoneSuffix: 'a',
  /** IMDSv2 token TTL bounds, as EC2 enforces them. */
  imdsTokenTtlSeconds: { min: 1, max: 21600 },
  /** An API-created ALB/NLB reads `provisioning` this long, then `active` (AWS takes minutes; locally it is short). */
  provisioningMs: 2000,
  /** The instance profile IMDS serves (iam/info, iam/security-credentials/<role>). */
  imdsRoleName: 'graceful-elb-local',
  /** IMDS temporary credentials live 6 h, and new ones are served from 15 min before expiry, as EC2 rotates them. */
  imdsCredentialsTtlSeconds: 21_600,
  imdsCredentialsRenewBeforeSeconds: 900,
  /** Upstream requests get no response within this → 504, as a real balancer's backend timeout would (its idle timeout). */
  upstreamTimeoutMs: 60_000,

  /** AWS defaults for a Classic ELB created through the API. */
  classicApi: {
    healthCheck: { intervalSeconds: 30, timeoutSeconds: 5, healthyThreshold: 10, unhealthyThreshold: 2 },
    // Connection draining is off for balancers created with the API (the console turns it on with 300 s).
    connectionDraining: { enabled: false, timeoutSeconds: 300 },
    idleTimeoutSeconds: 60,
  },
  /** AWS defaults for an ELBv2 target group created through the API. */
  targetGroupApi: {
    healthCheck: { path: '/', intervalSeconds: 30, timeoutSeconds: 5, healthyThreshold: 5, unhealthyThreshold: 2, matcher: '200' },
    deregistrationDelaySeconds: 300,
  },
  /** Auto Scaling (API 2011-01-01) as AWS does it. */
  autoScaling: {
    /** A lifecycle hook's HeartbeatTimeout when none is given. */
    heartbeatTimeoutSeconds: 3600,
    /** A lifecycle hook's DefaultResult when none is given. */
    defaultResult: 'ABANDON',
    /** The global timeout of a lifecycle action: 100 × HeartbeatTimeout, at most 48 hours. */
    globalTimeoutFactor: 100,
    globalTimeoutMaxSeconds: 172_800,
    /** A Spot interruption notice comes this long before the interruption. */
    spotNoticeSeconds: 120,
    /** How often a scale-in or standby checks whether the attached balancers finished deregistering. */
    deregistrationCheckMs: 100,
  },
  /** AWS default idle timeout of an ALB. */
  loadBalancerIdleTimeoutSeconds: 60,

  /**
   * The embedded local setup: Classic `web` (8080 → 3000) and ALB `web-alb` (8081 → target group `web-tg`, port 3000).
   * Health checks every 1 s with thresholds 2 are below AWS's minimums (5 s) on purpose: joining takes ~1 s, not 50 s.
   */
  local: {
    classicName: 'web',
    classicListenerPort: 8080,
    albName: 'web-alb',
    albListenerPort: 8081,
    targetGroupName: 'web-tg',
    instancePort: 3000,
    healthPath: '/ping',
    healthCheck: { intervalSeconds: 1, timeoutSeconds: 1, healthyThreshold: 2, unhealthyThreshold: 2 },
    connectionDrainingTimeoutSeconds: 300,
    deregistrationDelaySeconds: 300,
    idleTimeoutSeconds: 60,
  },
} as const;

/**
 * The shortest credential lifetime IMDS accepts: above the renewal window plus the SDK's own 5-minute refresh
 * margin, so a client never gets credentials it already considers expired.
 */
export const IMDS_CREDENTIALS_MIN_TTL_SECONDS = LOCAL_ELB_DEFAULTS.imdsCredentialsRenewBeforeSeconds + 300 + 60;
