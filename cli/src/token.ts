/** `ibs token`: mints a bearer token for the local service from the key its data directory holds. */
import { optionString, type CommandSpec } from './command.ts';
import { CliError, EXIT, UsageError } from './errors.ts';
import { formatJson } from './output.ts';
import { requireOption } from './parse.ts';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `--ttl`: seconds as a bare number, or with a unit (30m, 12h, 7d). */
export function parseTtl(value: string): number | undefined {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  return match ? Number(match[1]) * UNITS[match[2] || 's'] : undefined;
}

export const tokenCommand: CommandSpec = {
  path: ['token'],
  summary: "Mint a bearer token for the local service (signed with its data directory's key)",
  description: `
Prints a token for the organization --org (required) and the user --user, signed with the key the local service
created in <data directory>/auth on its first start: run it on the service's machine with the same IBS_DATA_DIR.
Send it as "Authorization: Bearer <token>"; ibs sends it from --token, IBS_TOKEN or "token" in the config file.
A deployed service takes tokens from its own issuer (by default the stack's Cognito user pool), not these.`,
  options: [
    { name: 'user', short: 'u', type: 'string', metavar: 'USER', description: 'the user the token names (its sub claim)' },
    { name: 'ttl', type: 'string', metavar: 'DURATION', description: 'lifetime: seconds, or 30m, 12h, 7d (default 12h, at most 30d)' },
    { name: 'data-dir', type: 'string', metavar: 'DIR', description: "the service's data directory (env IBS_DATA_DIR; default ./.ibs-data)", complete: 'dir' },
  ],
  offline: true,
  examples: ['export IBS_TOKEN=$(ibs token --org acme --user alice)', 'ibs token --org acme --user alice --ttl 1h --json'],
  async run({ io, json, options }) {
    const org = requireOption(tokenCommand, options, 'org', io.env.IBS_ORG);
    const user = requireOption(tokenCommand, options, 'user');
    const ttlText = optionString(options, 'ttl');
    const ttlSeconds = ttlText === undefined ? undefined : parseTtl(ttlText);
    if (ttlText !== undefined && ttlSeconds === undefined) throw new UsageError(`ibs token: --ttl must be seconds or a number with s, m, h or d, got "${ttlText}"`, 'ibs token');
    // Imported here: only this command needs the JWT library and the local config reader.
    const { mintLocalToken } = await import('../../local/auth-keys.ts');
    const { resolveDataDir } = await import('../../local/config.ts');
    const { readClaimNames } = await import('../../functions/api/auth.ts');
    const dataDir = optionString(options, 'data-dir') ?? resolveDataDir(io.env);
    let token: string;
    try {
      token = await mintLocalToken({ dataDir, org, user, ttlSeconds, claimNames: readClaimNames(io.env) });
    } catch (error) {
      if (error instanceof RangeError) throw new UsageError(`ibs token: ${error.message}`, 'ibs token', { cause: error });
      throw new CliError((error as Error).message, EXIT.failed, { cause: error });
    }
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { exp: number };
    const expiresAt = new Date(exp * 1000).toISOString();
    io.stdout.write(json ? formatJson({ token, org, user, expires_at: expiresAt }) : `${token}\n`);
    return EXIT.ok;
  },
};
