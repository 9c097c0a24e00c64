import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The bad revision's app names itself so in `x-instance-id`: any answer it gave would show in the report. */
export const BAD_REVISION_SUFFIX = ' (bad revision)';

/**
 * Writes the failed-revision scenario's new revision: the example app with a health route that always answers
 * 500 (a broken dependency check, a missing config value), everything else unchanged. It uses the library, so
 * the library refuses to register it and reports why; `probeTimeoutMs` bounds how long it keeps trying (the
 * default, 60 s, would only make the demo slower). Returns the app directory and script for the hooks' env.
 */
export function writeBadRevision(dir: string, libraryRoot: string, probeTimeoutMs: number): { appDir: string; appScript: string } {
  mkdirSync(dir, { recursive: true });
  const library = pathToFileURL(join(libraryRoot, 'dist', 'index.js')).href;
  writeFileSync(
    join(dir, 'app.mjs'),
    `// The failed-revision scenario's new revision: /ping always answers 500, the rest is examples/app.mjs.
import { createServer } from 'node:http';
import { gracefulElb } from ${JSON.stringify(library)};

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const instanceId = (process.env.GRACEFUL_ELB_INSTANCE_ID ?? \`pid-\${process.pid}\`) + ${JSON.stringify(BAD_REVISION_SUFFIX)};

const server = createServer((req, res) => {
  res.setHeader('x-instance-id', instanceId);
  const url = new URL(req.url ?? '/', 'http://app');
  if (url.pathname === '/ping') {
    res.writeHead(500, { 'content-type': 'text/plain' }).end('database check failed (this revision is broken on purpose)');
  } else if (url.pathname === '/work') {
    const ms = Math.min(Math.max(Number(url.searchParams.get('ms')) || 0, 0), 600_000);
    setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end(\`worked \${ms} ms in \${process.pid}\\n\`), ms);
  } else {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(\`hello from \${process.pid}\\n\`);
  }
});
server.listen(port, host);

const elb = gracefulElb({ server, elbName: process.env.GRACEFUL_ELB_NAME ?? 'web', healthPath: '/ping', probeTimeoutMs: ${probeTimeoutMs} });
elb.ready.catch(() => {});
`,
  );
  return { appDir: dir, appScript: 'app.mjs' };
}
