/**
 * Issue 16: the Koji client certificate from SSM Parameter Store (AWS): one GetParameters call with decryption for
 * `<path>/cert`, `<path>/key`, `<path>/ca`; cert and key required, ca optional; what the session then presents.
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { kojiAuthFromParameters, kojiCertParameterNames } from '../../functions/composer-v2/koji/koji-auth.ts';

/** An SSM client that answers GetParameters from `stored` and records the inputs. */
function fakeSsm(stored: Record<string, string>) {
  const inputs: { Names: string[]; WithDecryption: boolean }[] = [];
  const client = {
    send: async (command: { input: { Names: string[]; WithDecryption: boolean } }) => {
      inputs.push(command.input);
      const names = command.input.Names;
      return {
        Parameters: names.filter((n) => n in stored).map((Name) => ({ Name, Value: stored[Name], Type: 'SecureString' })),
        InvalidParameters: names.filter((n) => !(n in stored)),
      };
    },
  } as unknown as Pick<SSMClient, 'send'>;
  return { client, inputs };
}

describe('the Koji client certificate from SSM parameters', () => {
  it('reads cert, key and ca under the path in one decrypting call', async () => {
    const { client, inputs } = fakeSsm({ '/ibs/koji/cert': 'CERT', '/ibs/koji/key': 'KEY', '/ibs/koji/ca': 'CA' });
    const auth = await kojiAuthFromParameters('/ibs/koji/', client);
    expect(inputs).toEqual([{ Names: ['/ibs/koji/cert', '/ibs/koji/key', '/ibs/koji/ca'], WithDecryption: true }]);
    expect(auth.tls).toEqual({ cert: 'CERT', key: 'KEY', ca: 'CA' });
    expect(kojiCertParameterNames('/ibs/koji')).toEqual({ cert: '/ibs/koji/cert', key: '/ibs/koji/key', ca: '/ibs/koji/ca' });
  });

  it('takes the CA as optional, and refuses without the key naming what is missing', async () => {
    expect((await kojiAuthFromParameters('/p', fakeSsm({ '/p/cert': 'C', '/p/key': 'K' }).client)).tls).toEqual({ cert: 'C', key: 'K' });
    await expect(kojiAuthFromParameters('/p', fakeSsm({ '/p/cert': 'C' }).client)).rejects.toThrow(/\/p\/key.*missing: \/p\/key, \/p\/ca/);
    const failing = { send: async () => Promise.reject(new Error('AccessDeniedException')) } as unknown as Pick<SSMClient, 'send'>;
    await expect(kojiAuthFromParameters('/p', failing)).rejects.toThrow(/could not read the Koji client certificate/);
  });
});
