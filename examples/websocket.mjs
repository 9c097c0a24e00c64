// WebSockets behind the balancer, closed properly on a redeploy: when the library says the drain has started
// (`draining`: the balancers no longer send new connections here), close every socket with 1001 "going away" so the
// clients reconnect through the balancer, to another instance. A socket still open at the end of the drain is cut
// (no close frame: the client sees 1006) and the library logs it.
//   PORT (default 3000), HOST (default 127.0.0.1)
//   GET /ping   health route          ws://…/     echoes every message
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { gracefulElb } from 'graceful-elb';

const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' }).end(req.url === '/ping' ? 'pong' : 'use a WebSocket\n');
});
const wss = new WebSocketServer({ server });
let draining = false;
wss.on('connection', (ws) => {
  // A client that got in during the drain (a balancer node that had not heard yet) is sent on its way too.
  if (draining) return ws.close(1001, 'server restarting');
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});

const elb = gracefulElb({ server, elbName: process.env.GRACEFUL_ELB_NAME ?? 'web', healthPath: '/ping' });
elb.ready.catch(() => {});
elb.on('draining', ({ open }) => {
  draining = true;
  console.log(JSON.stringify({ msg: 'closing websockets', websockets: open.websocket }));
  for (const ws of wss.clients) ws.close(1001, 'server restarting');
});

const port = Number(process.env.PORT ?? 3000);
server.listen(port, process.env.HOST ?? '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ msg: 'websocket app listening', port: typeof address === 'object' && address ? address.port : port, pid: process.pid }));
});
