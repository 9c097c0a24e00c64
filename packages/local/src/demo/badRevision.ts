import { writeDemoApp } from './demoApp.js';

/** The bad revision's app names itself so in `x-instance-id`: any answer it gave would show in the report. */
export const BAD_REVISION_SUFFIX = ' (bad revision)';

/**
 * Writes the failed-revision scenario's new revision: the example app with a health route that always answers
 * 500 (a broken dependency check, a missing config value), everything else unchanged. It uses the library, so
 * the library refuses to register it and reports why; `probeTimeoutMs` bounds how long it keeps trying (the
 * default, 60 s, would only make the demo slower). Returns the app directory and script for the hooks' env.
 */
export function writeBadRevision(dir: string, libraryRoot: string, probeTimeoutMs: number): { appDir: string; appScript: string } {
  return writeDemoApp(dir, libraryRoot, {
    purpose: "The failed-revision scenario's new revision: /ping always answers 500, the rest is examples/app.mjs.",
    instanceSuffix: BAD_REVISION_SUFFIX,
    healthStatus: 500,
    probeTimeoutMs,
  });
}
