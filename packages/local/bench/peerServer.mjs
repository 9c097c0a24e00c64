// One hello-world node:http server for the bench's per-request CPU comparison, plain or with one graceful-shutdown
// library set up the way its README says. Started by bench/peers.ts with an IPC channel; it answers
// { peerServerPort } once it serves (for graceful-elb: once `ready` resolved, in no-balancer mode), and exits on 'stop'.
//   node bench/peerServer.mjs <plain|plain (control)|graceful-elb|http-terminator|lightship|close-with-grace> <graceful-elb entry URL>
import { createServer } from 'node:http';

const [variant, gracefulElbEntry] = process.argv.slice(2);
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' }).end('hello\n');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

let stop = async () => {};
if (variant === 'graceful-elb') {
  const { gracefulElb } = await import(gracefulElbEntry);
  const elb = gracefulElb({ server, elbName: 'web', healthPath: '/ping', logger: false, exit: () => {} });
  await elb.ready;
  stop = async () => elb.close();
} else if (variant === 'http-terminator') {
  const { createHttpTerminator } = await import('http-terminator');
  const terminator = createHttpTerminator({ server });
  stop = () => terminator.terminate();
} else if (variant === 'lightship') {
  const { createLightship } = await import('lightship');
  // Outside Kubernetes lightship serves its probes on an ephemeral port.
  const lightship = await createLightship({ detectKubernetes: true, terminate: () => {} });
  lightship.registerShutdownHandler(() => new Promise((resolve) => server.close(resolve)));
  lightship.signalReady();
  stop = () => lightship.shutdown();
} else if (variant === 'close-with-grace') {
  const { default: closeWithGrace } = await import('close-with-grace');
  const closer = closeWithGrace({ delay: 10_000 }, () => new Promise((resolve) => server.close(resolve)));
  stop = async () => closer.uninstall();
} else if (variant !== 'plain' && variant !== 'plain (control)') {
  throw new Error(`unknown variant ${variant}`);
}

process.on('message', (message) => {
  if (message === 'stop') {
    server.closeAllConnections();
    void stop().finally(() => process.exit(0));
  }
});
process.send({ peerServerPort: server.address().port });
