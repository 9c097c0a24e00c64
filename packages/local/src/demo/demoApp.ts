import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** How a scenario's app differs from examples/app.mjs. */
export interface DemoAppVariant {
  /** The first line of the file: what this app is for. */
  readonly purpose: string;
  /** Appended to the instance id in `x-instance-id`, so its answers are told apart. @default '' */
  readonly instanceSuffix?: string;
  /** What the health route answers. @default 200 */
  readonly healthStatus?: number;
  /** Nothing listens for this long after the process starts (a slow boot). @default 0 */
  readonly bootMs?: number;
  /** A path that answers 202 and then throws an uncaught exception outside any request. */
  readonly crashPath?: string;
  /** The library's `probeTimeoutMs` (how long it tries the health route before it reports 'failed'). */
  readonly probeTimeoutMs?: number;
}

/**
 * Writes a scenario's app into `dir`: examples/app.mjs (same routes, same `x-instance-id`) changed as the variant
 * says. It imports the library by its file URL, since the run directory is outside any package; with
 * GRACEFUL_ELB_DISABLE=1 it runs without the library, as the baselines do. It installs no `uncaughtException`
 * listener of its own, so a crash is the library's to handle (or Node's, without it).
 */
export function writeDemoApp(dir: string, libraryRoot: string, variant: DemoAppVariant): { appDir: string; appScript: string } {
  mkdirSync(dir, { recursive: true });
  const library = pathToFileURL(join(libraryRoot, 'dist', 'index.js')).href;
  const health = variant.healthStatus ?? 200;
  const options = variant.probeTimeoutMs === undefined ? '' : `, probeTimeoutMs: ${variant.probeTimeoutMs}`;
  const crashRoute = variant.crashPath
    ? `  if (url.pathname === ${JSON.stringify(variant.crashPath)}) {
    res.writeHead(202, { 'content-type': 'text/plain' }).end('crashing\\n');
    // Outside the request: nothing catches it but the process's uncaughtException listeners.
    setImmediate(() => {
      throw new Error('demo: an uncaught exception under load');
    });
    return;
  }
`
    : '';
  writeFileSync(
    join(dir, 'app.mjs'),
    `// ${variant.purpose}
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const instanceId = (process.env.GRACEFUL_ELB_INSTANCE_ID ?? \`pid-\${process.pid}\`) + ${JSON.stringify(variant.instanceSuffix ?? '')};

const server = createServer((req, res) => {
  res.setHeader('x-instance-id', instanceId);
  const url = new URL(req.url ?? '/', 'http://app');
${crashRoute}  if (url.pathname === '/ping') {
    res.writeHead(${health}, { 'content-type': 'text/plain' }).end(${JSON.stringify(health === 200 ? 'pong' : 'health check failing (this revision is broken on purpose)')});
  } else if (url.pathname === '/work') {
    const ms = Math.min(Math.max(Number(url.searchParams.get('ms')) || 0, 0), 600_000);
    setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end(\`worked \${ms} ms in \${process.pid}\\n\`), ms);
  } else {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(\`hello from \${process.pid}\\n\`);
  }
});

await sleep(${variant.bootMs ?? 0});
server.listen(port, host);
if (process.env.GRACEFUL_ELB_DISABLE !== '1') {
  const { gracefulElb } = await import(${JSON.stringify(library)});
  const elb = gracefulElb({ server, elbName: process.env.GRACEFUL_ELB_NAME ?? 'web', healthPath: '/ping'${options} });
  elb.ready.catch(() => {});
}
`,
  );
  return { appDir: dir, appScript: 'app.mjs' };
}
