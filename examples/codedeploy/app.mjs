// The sample app the hooks in this folder deploy, on Fastify (examples/app.mjs and examples/express.mjs show
// node:http and Express): gracefulElb() takes the node http.Server behind Fastify, `app.server`.
// It answers with the CodeDeploy deployment that started it (DEPLOYMENT_ID reaches it through
// `graceful-elb start`), so a rolling deployment can be watched moving traffic from revision to revision:
//   while sleep 0.2; do curl -s http://<balancer>/; done
// Settings come from the environment (scripts/env.sh): PORT, HOST, GRACEFUL_ELB_NAME, GRACEFUL_ELB_DRAIN_SECONDS, …
import Fastify from 'fastify';
import { gracefulElb } from 'graceful-elb';

const revision = process.env.DEPLOYMENT_ID ?? 'local';
const app = Fastify();
app.get('/ping', async () => 'pong');
app.get('/', async () => `revision ${revision}, pid ${process.pid}\n`);

const elb = gracefulElb({ server: app.server, elbName: process.env.GRACEFUL_ELB_NAME ?? 'web', healthPath: '/ping' });
elb.on('state', (state) => console.log(`graceful-elb: ${state}`));

// On EC2 set HOST=0.0.0.0 so the balancer can reach the app; by default it stays on the loopback.
await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' });
console.log(`app listening on port ${app.server.address().port}`);
