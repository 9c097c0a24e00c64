import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { waitFor } from './capture.js';
import { freePort } from '../../src/freePort.js';

/** Whether moto_server is on PATH (CI has it; elsewhere tests skip and say why). */
export function motoAvailable(): boolean {
  return spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' }).status === 0;
}

/** Starts moto_server on a free loopback port and waits until it answers. */
export async function startMoto(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const endpoint = `http://127.0.0.1:${port}`;
  let up = false;
  const poll = async (): Promise<void> => {
    try {
      await fetch(`${endpoint}/moto-api/`);
      up = true;
    } catch {
      // not yet
    }
  };
  await waitFor(() => (void poll(), up || child.exitCode !== null), 30_000, 'moto_server to answer');
  if (!up) throw new Error(`moto_server exited with ${child.exitCode}`);
  return {
    endpoint,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
