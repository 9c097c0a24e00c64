import { writeDemoApp } from './demoApp.js';

/** The path that makes the crash app throw (the demo calls it on the instance itself, not through the balancer). */
export const CRASH_PATH = '/_demo/crash';

/**
 * Writes the crash scenario's app: examples/app.mjs with a slow boot (it listens only `bootMs` after it starts, as
 * an app that loads a cache or opens a pool would) and a route that throws an uncaught exception (`CRASH_PATH`).
 */
export function writeCrashApp(dir: string, libraryRoot: string, bootMs: number): { appDir: string; appScript: string } {
  return writeDemoApp(dir, libraryRoot, {
    purpose: `The crash scenario's app: a ${bootMs} ms boot and ${CRASH_PATH}, which throws an uncaught exception; the rest is examples/app.mjs.`,
    bootMs,
    crashPath: CRASH_PATH,
  });
}
