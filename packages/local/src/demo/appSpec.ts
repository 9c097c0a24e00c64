import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { AppSpecError } from './errors.js';

/** The in-place lifecycle events that run scripts, in CodeDeploy's order (DownloadBundle and Install run none). */
export const LIFECYCLE_EVENTS = ['ApplicationStop', 'BeforeInstall', 'AfterInstall', 'ApplicationStart', 'ValidateService'] as const;
export type LifecycleEvent = (typeof LIFECYCLE_EVENTS)[number];

/** Hook names CodeDeploy accepts for EC2/on-premises that the demo does not run (it has no traffic-blocking step). */
const OTHER_KNOWN_EVENTS = new Set([
  'BeforeBlockTraffic',
  'AfterBlockTraffic',
  'BeforeAllowTraffic',
  'AfterAllowTraffic',
]);

/** CodeDeploy's default and maximum script timeout, in seconds. */
export const HOOK_TIMEOUT_MAX_SECONDS = 3600;

export interface HookScript {
  /** As written in the appspec, relative to the revision's root. */
  readonly location: string;
  /** Absolute path of the script. */
  readonly path: string;
  readonly timeoutSeconds: number;
  /** Kept for the report; a local run cannot switch users, so scripts run as the demo's own user. */
  readonly runas: string | undefined;
}

export interface AppSpec {
  readonly file: string;
  /** The revision's root directory: script locations are relative to it, and scripts run in it. */
  readonly root: string;
  readonly hooks: Readonly<Partial<Record<LifecycleEvent, readonly HookScript[]>>>;
}

/** Reads and checks an appspec.yml; `root` defaults to the file's directory (the bundle root). */
export function loadAppSpec(file: string, root = dirname(file)): AppSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new AppSpecError(file, undefined, 'cannot be read', { cause });
  }
  return parseAppSpec(text, file, root);
}

export function parseAppSpec(text: string, file: string, root: string): AppSpec {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (cause) {
    throw new AppSpecError(file, undefined, 'is not valid YAML', { cause });
  }
  if (!isRecord(doc)) throw new AppSpecError(file, undefined, 'must be a YAML mapping');
  // YAML reads `version: 0.0` as the number 0; CodeDeploy accepts only that version.
  if (doc.version !== 0 && doc.version !== '0.0') {
    throw new AppSpecError(file, 'version', `must be 0.0, got ${JSON.stringify(doc.version)}`);
  }
  const hooksNode = doc.hooks ?? {};
  if (!isRecord(hooksNode)) throw new AppSpecError(file, 'hooks', 'must be a mapping of lifecycle event names to script lists');

  const hooks: Partial<Record<LifecycleEvent, HookScript[]>> = {};
  for (const [event, entries] of Object.entries(hooksNode)) {
    const known = (LIFECYCLE_EVENTS as readonly string[]).includes(event);
    if (!known && !OTHER_KNOWN_EVENTS.has(event)) {
      throw new AppSpecError(file, `hooks.${event}`, `is not a CodeDeploy lifecycle event (expected one of ${LIFECYCLE_EVENTS.join(', ')})`);
    }
    if (!Array.isArray(entries)) throw new AppSpecError(file, `hooks.${event}`, 'must be a list of scripts');
    const scripts = entries.map((entry, i) => hookScript(entry, `hooks.${event}[${i}]`, file, root));
    if (known) hooks[event as LifecycleEvent] = scripts;
  }
  return { file, root, hooks };
}

function hookScript(entry: unknown, field: string, file: string, root: string): HookScript {
  if (!isRecord(entry)) throw new AppSpecError(file, field, 'must be a mapping with a `location`');
  const { location, timeout, runas } = entry;
  if (typeof location !== 'string' || location.trim() === '') {
    throw new AppSpecError(file, `${field}.location`, 'must name a script relative to the revision root');
  }
  let timeoutSeconds: number = HOOK_TIMEOUT_MAX_SECONDS;
  if (timeout !== undefined && timeout !== null) {
    const value = typeof timeout === 'string' ? Number(timeout) : timeout;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > HOOK_TIMEOUT_MAX_SECONDS) {
      throw new AppSpecError(file, `${field}.timeout`, `must be a whole number of seconds from 1 to ${HOOK_TIMEOUT_MAX_SECONDS}, got ${JSON.stringify(timeout)}`);
    }
    timeoutSeconds = value;
  }
  if (runas !== undefined && runas !== null && typeof runas !== 'string') {
    throw new AppSpecError(file, `${field}.runas`, 'must be a user name');
  }
  return {
    location,
    path: isAbsolute(location) ? location : resolve(root, location),
    timeoutSeconds,
    runas: typeof runas === 'string' ? runas : undefined,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
