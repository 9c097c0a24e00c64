import {
  DeregisterInstancesFromLoadBalancerCommand,
  ElasticLoadBalancingClient,
  RegisterInstancesWithLoadBalancerCommand,
} from '@aws-sdk/client-elastic-load-balancing';
import { DeregisterTargetsCommand, ElasticLoadBalancingV2Client, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { request } from 'node:http';
import { allowTraffic, blockTraffic, balancerFromEnv } from './codedeployTraffic.js';
import { InvalidOptionError } from './errors.js';

/**
 * The one-line tools the baseline hook scripts call (`graceful-elb-local demo-step …`), so the demo needs neither
 * curl nor the AWS CLI installed: what the seed article does with `curl` and `aws elb`, done with node:http
 * and the AWS SDK (endpoint, region and credentials from the standard environment variables).
 */
export const DEMO_STEPS = [
  'instance-id',
  'http-status',
  'register-instances-with-load-balancer',
  'deregister-instances-from-load-balancer',
  'register-targets',
  'deregister-targets',
  'block-traffic',
  'allow-traffic',
] as const;
export type DemoStep = (typeof DEMO_STEPS)[number];

/** Each step's bound: a hook must never hang on one of them. */
const STEP_TIMEOUT_MS = 5000;

export async function runDemoStep(step: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  switch (step) {
    case 'instance-id': {
      // IMDSv1, as the seed's `curl http://169.254.169.254/latest/meta-data/instance-id`.
      const endpoint = env.AWS_EC2_METADATA_SERVICE_ENDPOINT ?? 'http://169.254.169.254';
      const { status, body } = await get(`${endpoint.replace(/\/+$/, '')}/latest/meta-data/instance-id`);
      if (status !== 200) throw new Error(`instance metadata answered ${status}`);
      return body.trim();
    }
    case 'http-status': {
      // curl -s -I URL | grep HTTP/1.1 | awk '{print $2}': the status code, "000" when nothing answered.
      const url = requireArg(args, 0, '<url>');
      try {
        return String((await get(url)).status);
      } catch {
        return '000';
      }
    }
    case 'register-instances-with-load-balancer':
    case 'deregister-instances-from-load-balancer': {
      const name = requireArg(args, 0, '<load-balancer-name>');
      const instances = args.slice(1).map((id) => ({ InstanceId: id }));
      if (instances.length === 0) requireArg(args, 1, '<instance-id>');
      const client = new ElasticLoadBalancingClient({ requestHandler: { requestTimeout: STEP_TIMEOUT_MS } });
      try {
        const input = { LoadBalancerName: name, Instances: instances };
        const output =
          step === 'register-instances-with-load-balancer'
            ? await client.send(new RegisterInstancesWithLoadBalancerCommand(input))
            : await client.send(new DeregisterInstancesFromLoadBalancerCommand(input));
        return JSON.stringify({ Instances: output.Instances ?? [] }, null, 4);
      } finally {
        client.destroy();
      }
    }
    case 'register-targets':
    case 'deregister-targets': {
      // aws elbv2 register-targets --target-group-arn ARN --targets Id=i-…,Port=3001 …
      const arn = requireArg(args, 0, '<target-group-arn>');
      if (args.length < 2) requireArg(args, 1, '<Id=…,Port=…>');
      const targets = args.slice(1).map(parseTarget);
      const client = new ElasticLoadBalancingV2Client({ requestHandler: { requestTimeout: STEP_TIMEOUT_MS } });
      try {
        const input = { TargetGroupArn: arn, Targets: targets };
        await client.send(step === 'register-targets' ? new RegisterTargetsCommand(input) : new DeregisterTargetsCommand(input));
        return '';
      } finally {
        client.destroy();
      }
    }
    case 'block-traffic':
    case 'allow-traffic': {
      // What CodeDeploy itself does around the hooks when the deployment group names a load balancer.
      const instanceId = requireArg(args, 0, '<instance-id>');
      const balancer = balancerFromEnv(env, instanceId);
      return step === 'block-traffic' ? blockTraffic(balancer) : allowTraffic(balancer);
    }
    default:
      throw new InvalidOptionError('<step>', step, `one of ${DEMO_STEPS.join(', ')}`);
  }
}

/** `Id=i-…,Port=3001` (the CLI's shorthand) → a target. */
function parseTarget(text: string): { Id: string; Port?: number } {
  const fields = Object.fromEntries(text.split(',').map((pair) => pair.split('=', 2) as [string, string]));
  const port = fields.Port === undefined ? undefined : Number(fields.Port);
  if (!fields.Id || (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535))) {
    throw new InvalidOptionError('<target>', text, 'Id=<instance-id>[,Port=<port>]');
  }
  return port === undefined ? { Id: fields.Id } : { Id: fields.Id, Port: port };
}

function requireArg(args: readonly string[], index: number, name: string): string {
  const value = args[index];
  if (value === undefined || value === '') throw new InvalidOptionError(name, value, 'a value');
  return value;
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: STEP_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${STEP_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}
