// The sample app the hooks in this folder deploy: an ordinary Express app whose server is handed to
// gracefulElb(). Nothing else in the app changes. On SIGTERM (graceful-elb stop) the library leaves the
// balancer, keeps serving until its traffic has stopped, closes and exits; on start it rejoins once its
// own /ping passes, and tells the supervisor (hence `graceful-elb validate`) when it is in service.
// Settings come from the environment: PORT, HOST, GRACEFUL_ELB_NAME, GRACEFUL_ELB_DRAIN_SECONDS, …
import express from 'express';
import { gracefulElb } from 'graceful-elb';

const app = express();
app.get('/ping', (req, res) => res.send('pong'));
app.get('/', (req, res) => res.send(`hello from pid ${process.pid}\n`));

// On EC2 set HOST=0.0.0.0 (in scripts/env.sh) so the balancer can reach the app; by default it stays on
// the loopback.
const server = app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');

const elb = gracefulElb({ server, elbName: process.env.GRACEFUL_ELB_NAME ?? 'web', healthPath: '/ping' });
elb.on('state', (state) => console.log(`graceful-elb: ${state}`));
