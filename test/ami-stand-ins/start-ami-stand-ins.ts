/**
 * Starts the EBS direct and EC2 stand-ins on 127.0.0.1 (one port each) over one shared account, so unmodified SDK
 * clients (endpoint overrides: AWS_ENDPOINT_URL_EBS, AWS_ENDPOINT_URL_EC2) make AMIs without an AWS account.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AmiAccount } from './ami-account.ts';
import { handleEbsRequest } from './ebs-direct-stand-in.ts';
import { handleEc2Request } from './ec2-stand-in.ts';

export interface AmiStandIns {
  account: AmiAccount;
  ebsEndpoint: string;
  ec2Endpoint: string;
  /** The environment that points the SDK clients (and the runner) at the stand-ins. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

const listen = async (handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<{ server: Server; endpoint: string }> => {
  const server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });
  // The SDK keeps connections alive; a close must not wait for them.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, endpoint: `http://127.0.0.1:${port}` };
};

export async function startAmiStandIns(account = new AmiAccount()): Promise<AmiStandIns> {
  const ebs = await listen((req, res) => handleEbsRequest(account, req, res));
  const ec2 = await listen((req, res) => handleEc2Request(account, req, res));
  return {
    account,
    ebsEndpoint: ebs.endpoint,
    ec2Endpoint: ec2.endpoint,
    env: { AWS_ENDPOINT_URL_EBS: ebs.endpoint, AWS_ENDPOINT_URL_EC2: ec2.endpoint },
    async stop() {
      for (const { server } of [ebs, ec2]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      await account.close();
    },
  };
}
