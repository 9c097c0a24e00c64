// The canonical example app: node:http, one import, one call.
//   PORT (default 3000), HOST (default 127.0.0.1; use 0.0.0.0 on a real instance so the balancer reaches it)
//   GET /ping        the app's health route (200 "pong"); after SIGTERM the library answers it with 503
//   GET /work?ms=N   answers after N ms (demo and bench load)
//   anything else    200
// Every answer carries `x-instance-id` (GRACEFUL_ELB_INSTANCE_ID, else the pid).
// GRACEFUL_ELB_DISABLE=1 runs the same app without the library: the naive baseline (dies at once on SIGTERM).
// Every GRACEFUL_ELB_* / AWS_* variable the README lists is read by gracefulElb() itself.
import { createServer } from 'node:http';
import { gracefulElb } from 'graceful-elb';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
// Which instance answered, for the demo's per-instance counts (and for people reading curl -i output).
const instanceId = process.env.GRACEFUL_ELB_INSTANCE_ID ?? `pid-${process.pid}`;

const server = createServer((req, res) => {
  res.setHeader('x-instance-id', instanceId);
  const url = new URL(req.url ?? '/', 'http://app');
  if (url.pathname === '/ping') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('pong');
  } else if (url.pathname === '/work') {
    const ms = Math.min(Math.max(Number(url.searchParams.get('ms')) || 0, 0), 600_000);
    setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end(`worked ${ms} ms in ${process.pid}\n`), ms);
  } else {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`hello from ${process.pid}\n`);
  }
});

server.listen(port, host, () => {
  const address = server.address();
  console.log(JSON.stringify({ msg: 'example app listening', port: typeof address === 'object' && address ? address.port : port, pid: process.pid }));
});

if (process.env.GRACEFUL_ELB_DISABLE !== '1') {
  const elb = gracefulElb({ server, elbName: process.env.GRACEFUL_ELB_NAME ?? 'web', healthPath: '/ping' });
  // The library logs the failure itself and keeps serving; awaiting `ready` is optional.
  elb.ready.catch(() => {});
}
