// osls plugin (serverless.yml `plugins`): after `osls deploy`, the web UI goes live. It builds web/dist when missing,
// uploads it to the stack's WebUiBucket (hashed assets cached for a year, everything else revalidated) and writes
// config.json from the stack's outputs: the API on the distribution's own origin, OIDC sign-in (code flow + PKCE)
// against the stack's user pool or the configured issuer. Packaging (`osls package`) is untouched: it needs no network.
// CommonJS because osls require()s its plugins.
'use strict';

const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, readFileSync, statSync } = require('node:fs');
const { extname, join, relative, sep } = require('node:path');

// One table with local/web-ui.ts: the types S3 serves are the ones the local server sends.
const TYPES = require('../web/content-types.json');

/** Every file under `dir`, as [absolute path, key with / separators]. */
function listFiles(dir, root = dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full, root) : [[full, relative(root, full).split(sep).join('/')]];
  });
}

/** The UI's runtime config (web/src/api/runtime-config.ts) from the stack's outputs. */
function runtimeConfigOf(outputs) {
  const domain = outputs.WebUiOidcDomain;
  return {
    apiBase: '/api/image-builder/v1',
    auth: {
      mode: 'oidc',
      issuer: outputs.WebUiOidcIssuer,
      clientId: outputs.WebUiOidcClientId,
      tokenType: 'id',
      ...(domain
        ? { authorizationEndpoint: `${domain}/oauth2/authorize`, tokenEndpoint: `${domain}/oauth2/token`, logoutEndpoint: `${domain}/logout` }
        : {}),
    },
  };
}

class WebUiDeploy {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'after:deploy:deploy': () => this.publish() };
  }

  async publish() {
    const provider = this.serverless.getProvider('aws');
    const log = (message) => this.serverless.cli.log(`web UI: ${message}`);
    const webDir = join(this.serverless.config.servicePath, 'web');
    const dist = join(webDir, 'dist');
    if (!existsSync(join(dist, 'index.html'))) {
      log('building web/dist (vite build web)');
      const built = spawnSync(process.execPath, [require.resolve('vite/bin/vite.js', { paths: [webDir] }), 'build', webDir], { stdio: 'inherit' });
      if (built.status !== 0) throw new this.serverless.classes.Error('vite build of the web UI failed', 'IBS_WEB_UI_BUILD');
    }
    const stack = await provider.request('CloudFormation', 'describeStacks', { StackName: provider.naming.getStackName() });
    const outputs = Object.fromEntries((stack.Stacks[0].Outputs || []).map((o) => [o.OutputKey, o.OutputValue]));
    const bucket = outputs.WebUiBucketName;
    if (!bucket) throw new this.serverless.classes.Error('the stack has no WebUiBucketName output', 'IBS_WEB_UI_BUCKET');
    const put = (Key, Body, ContentType, CacheControl) => provider.request('S3', 'putObject', { Bucket: bucket, Key, Body, ContentType, CacheControl });
    // Assets first: an index.html never names an asset that is not there yet.
    const files = listFiles(dist).sort(([, a], [, b]) => (a === 'index.html') - (b === 'index.html'));
    for (const [path, key] of files) {
      const immutable = key.startsWith('assets/');
      await put(key, readFileSync(path), TYPES[extname(key)] || 'application/octet-stream', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    }
    await put('config.json', JSON.stringify(runtimeConfigOf(outputs)), TYPES['.json'], 'no-store');
    log(`${files.length} files and config.json in s3://${bucket}; open ${outputs.WebUiUrl}`);
  }
}

module.exports = WebUiDeploy;
module.exports.runtimeConfigOf = runtimeConfigOf;
module.exports.CONTENT_TYPES = TYPES;
