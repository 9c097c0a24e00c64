// The same app on Express: gracefulElb() takes the http.Server that app.listen() returns.
// Runs with PORT/HOST and the same env as examples/app.mjs.
import express from 'express';
import { gracefulElb } from 'graceful-elb';

const app = express();
app.get('/ping', (_req, res) => res.type('text').send('pong'));
app.get('/work', (req, res) => {
  const ms = Math.min(Math.max(Number(req.query.ms) || 0, 0), 600_000);
  setTimeout(() => res.type('text').send(`worked ${ms} ms in ${process.pid}\n`), ms);
});
app.use((_req, res) => res.type('text').send(`hello from ${process.pid} (express)\n`));

const server = app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ msg: 'express app listening', port: typeof address === 'object' && address ? address.port : undefined, pid: process.pid }));
});

const elb = gracefulElb({ server, elbName: process.env.GRACEFUL_ELB_NAME ?? 'web', healthPath: '/ping' });
elb.ready.then(
  (info) => console.log(JSON.stringify({ msg: 'ready', ...info })),
  () => {}, // logged by the library; the app keeps serving
);
