import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The part of the supervisor's state file (`<state dir>/<name>/state.json`) the demo reads. */
export interface SupervisedApp {
  readonly pid: number | undefined;
  /** epoch ms the current app process was spawned */
  readonly startedAt: number | undefined;
  readonly restarts: number;
  readonly lastExit: { readonly pid: number; readonly code: number | null; readonly signal: string | null; readonly at: number } | undefined;
}

/**
 * Reads what the supervisor of one demo instance last wrote about its app, or undefined when nothing runs there
 * (no state file yet). The supervisor replaces the file atomically, so a read never sees half of it.
 */
export function readSupervisedApp(stateDir: string): SupervisedApp | undefined {
  let names: string[];
  try {
    names = readdirSync(stateDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return undefined;
  }
  for (const name of names) {
    let text: string;
    try {
      text = readFileSync(join(stateDir, name, 'state.json'), 'utf8');
    } catch {
      continue;
    }
    const state = JSON.parse(text) as {
      app?: { process?: { pid?: number }; startedAt?: number; restarts?: number };
      lastExit?: { pid: number; code: number | null; signal: string | null; at: number };
    };
    return { pid: state.app?.process?.pid, startedAt: state.app?.startedAt, restarts: state.app?.restarts ?? 0, lastExit: state.lastExit };
  }
  return undefined;
}
