/**
 * Where the Koji hub's SSL client certificate comes from. Locally: files named by IBS_KOJI_CERT, IBS_KOJI_KEY and
 * IBS_KOJI_CA. On AWS: SecureString parameters in SSM Parameter Store under IBS_KOJI_CERT_PARAMETERS — `<path>/cert`,
 * `<path>/key` and, if the hub's CA is not a public one, `<path>/ca` — read with decryption once per Lambda container,
 * so the certificate is never in the template, the function's environment or the bundle.
 */
import { readFileSync } from 'node:fs';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { sslCertificateAuth, type KojiAuth, type KojiTls } from './koji-session.ts';

/** The parameter names under a path: what the function's role may read, and nothing else. */
export const kojiCertParameterNames = (path: string) => {
  const base = path.replace(/\/$/, '');
  return { cert: `${base}/cert`, key: `${base}/key`, ca: `${base}/ca` };
};

/** The certificate from files (local mode; none: a plain-http hub stand-in). */
export function kojiAuthFromEnv(env: NodeJS.ProcessEnv = process.env): KojiAuth {
  const file = (name: string) => (env[name] ? readFileSync(env[name]!) : undefined);
  const [cert, key, ca] = [file('IBS_KOJI_CERT'), file('IBS_KOJI_KEY'), file('IBS_KOJI_CA')];
  return sslCertificateAuth({ ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(ca ? { ca } : {}) });
}

/** The certificate from SecureString parameters: cert and key are required, ca is optional. */
export async function kojiAuthFromParameters(path: string, client: Pick<SSMClient, 'send'> = new SSMClient({})): Promise<KojiAuth> {
  const names = kojiCertParameterNames(path);
  let reply;
  try {
    reply = await client.send(new GetParametersCommand({ Names: [names.cert, names.key, names.ca], WithDecryption: true }));
  } catch (error) {
    throw new Error(`could not read the Koji client certificate from SSM parameters ${path}/{cert,key,ca}`, { cause: error });
  }
  const value = (name: string) => reply.Parameters?.find((p) => p.Name === name)?.Value;
  const [cert, key, ca] = [value(names.cert), value(names.key), value(names.ca)];
  if (!cert || !key) throw new Error(`the Koji client certificate needs the SSM parameters ${names.cert} and ${names.key} (missing: ${(reply.InvalidParameters ?? []).join(', ')})`);
  const tls: KojiTls = { cert, key, ...(ca ? { ca } : {}) };
  return sslCertificateAuth(tls);
}

let fromParameters: { path: string; auth: Promise<KojiAuth> } | undefined;

/** The hub authentication this deployment is configured with: SSM parameters when IBS_KOJI_CERT_PARAMETERS is set, else files. */
export function resolveKojiAuth(env: NodeJS.ProcessEnv = process.env): Promise<KojiAuth> {
  const path = env.IBS_KOJI_CERT_PARAMETERS;
  if (!path) return Promise.resolve(kojiAuthFromEnv(env));
  if (fromParameters?.path !== path) {
    const auth = kojiAuthFromParameters(path);
    // A failed read is not kept: the next import (or the stream's retry) reads again.
    auth.catch(() => {
      if (fromParameters?.auth === auth) fromParameters = undefined;
    });
    fromParameters = { path, auth };
  }
  return fromParameters.auth;
}
