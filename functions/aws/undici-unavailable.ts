/**
 * What `undici` resolves to in the Lambda bundles (esbuild `alias`, functions/aws/bundles.ts and serverless.yml).
 * Lambdas read repositories through the address-guarded node:http transport (IndexStore with allowPrivateAddresses
 * false), never through the proxy-aware local fetch that loads undici: leaving its 0.5 MB out of every bundle saves a
 * cold start the time to parse it. Reaching it anyway is a wiring bug, reported as one.
 */
const unavailable = (what: string): never => {
  throw new Error(`undici.${what} is not bundled in the Lambda functions: their repository reads go through the address-guarded transport (IndexStore allowPrivateAddresses: false)`);
};

export class Agent {
  constructor() {
    unavailable('Agent');
  }
}

export class EnvHttpProxyAgent {
  constructor() {
    unavailable('EnvHttpProxyAgent');
  }
}

export const fetch = (): never => unavailable('fetch');
