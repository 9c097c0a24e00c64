import { dirname, join } from 'node:path';
import { parseTargetGroupArn } from './balancers/targetGroupArn.js';
import type { Memberships } from './balancers/memberships.js';
import { MembershipStateError } from './balancers/errors.js';
import { UnsafeStateDirError } from './privateDir.js';
import { checkPrivateDir, ensurePrivateDir } from './privateDir.js';
import { readPrivateFile, writePrivateFileAtomic } from './privateFiles.js';
import { defaultStateDir } from './stateDir.js';

/**
 * The balancers discovery found, remembered across a restart. The shutdown leaves every one of them, so a discovery
 * run on the next start would find nothing: the file is what lets the new process rejoin exactly that set.
 */
interface MembershipFile {
  readonly version: 1;
  /** A file copied to another instance (a baked image) must not make that instance join this one's balancers. */
  readonly instanceId: string;
  readonly savedAt: string;
  readonly elbNames: readonly string[];
  readonly targetGroups: ReadonlyArray<{ readonly targetGroupArn: string; readonly port: number }>;
}

export type RememberedMemberships =
  | { readonly kind: 'none' }
  | { readonly kind: 'remembered'; readonly memberships: Memberships }
  /** The file exists but cannot be used (corrupt, another instance's): said in a warning, then ignored. */
  | { readonly kind: 'ignored'; readonly reason: string };

/**
 * The default place of the file: `<GRACEFUL_ELB_STATE_DIR>/membership-<port>.json`, the state dir defaulting to the
 * supervisor's (`~/.local/state/graceful-elb` of the user, from the password database rather than $HOME, which
 * CodeDeploy's `runas` does not reset). Keyed by the listening port: several apps on one machine share the dir.
 */
export function defaultMembershipFile(stateDir: string | undefined, port: number): string {
  return join(stateDir ?? defaultStateDir(), `membership-${port}.json`);
}

export async function readMemberships(path: string, instanceId: string): Promise<RememberedMemberships> {
  let text: string | undefined;
  try {
    // Someone else able to write the dir could make this instance join their balancers: such a file is not read.
    checkPrivateDir(dirname(path));
    text = readPrivateFile(path);
  } catch (error) {
    if (error instanceof UnsafeStateDirError) return { kind: 'ignored', reason: error.message };
    return { kind: 'ignored', reason: `unreadable: ${(error as Error).message}` };
  }
  if (text === undefined) return { kind: 'none' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: 'ignored', reason: 'not valid JSON' };
  }
  const file = parsed as Partial<MembershipFile> | null;
  if (typeof file !== 'object' || file === null || file.version !== 1 || !Array.isArray(file.elbNames) || !Array.isArray(file.targetGroups)) {
    return { kind: 'ignored', reason: 'not a graceful-elb membership file (version 1)' };
  }
  if (file.instanceId !== instanceId) return { kind: 'ignored', reason: `it belongs to instance ${String(file.instanceId)}, not ${instanceId}` };
  const validNames = file.elbNames.every((n) => typeof n === 'string' && n.length > 0);
  const validGroups = file.targetGroups.every(
    (g) => typeof g === 'object' && g !== null && parseTargetGroupArn(g.targetGroupArn) !== undefined && Number.isInteger(g.port) && g.port >= 1 && g.port <= 65535,
  );
  if (!validNames || !validGroups) return { kind: 'ignored', reason: 'it holds an entry that is not a balancer name or a target group ARN and port' };
  return { kind: 'remembered', memberships: { elbNames: file.elbNames, targetGroups: file.targetGroups } };
}

/**
 * Replaces the file atomically (write then rename): a crash mid-write must not leave half a list behind. The dir is
 * created 0700 and refused when someone else could write to it; the temporary file has an unpredictable name.
 */
export async function writeMemberships(path: string, instanceId: string, memberships: Memberships): Promise<void> {
  const file: MembershipFile = { version: 1, instanceId, savedAt: new Date().toISOString(), ...memberships };
  try {
    ensurePrivateDir(dirname(path));
    writePrivateFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
  } catch (error) {
    throw new MembershipStateError(path, { cause: error });
  }
}
