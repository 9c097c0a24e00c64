/** What the demo records about one instance's crash, scale-in or Spot notice, in epoch ms. */
export interface InstanceIncident {
  readonly instanceId: string;
  /** The crash was triggered, the scale-in started, the notice sent. */
  readonly at: number;
  /** Requests the balancer had in flight to the instance then: what a crash could abort. */
  readonly inFlight: number;
  /** The app's process exited (the supervisor's record), with its code or signal; undefined when it did not. */
  readonly exitedAt: number | undefined;
  readonly exitCode: number | null | undefined;
  readonly exitSignal: string | null | undefined;
}

/** The common part, from what the supervisor recorded of the exit of process `pid` (an older exit is not this one's). */
export function instanceIncident(
  instanceId: string,
  at: number,
  inFlight: number,
  pid: number,
  lastExit: { readonly pid: number; readonly code: number | null; readonly signal: string | null; readonly at: number } | undefined,
): InstanceIncident {
  const exit = lastExit?.pid === pid ? lastExit : undefined;
  return { instanceId, at, inFlight, exitedAt: exit?.at, exitCode: exit?.code, exitSignal: exit?.signal };
}
