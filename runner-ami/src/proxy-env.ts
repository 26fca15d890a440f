/**
 * osbuild's curl source downloads the packages with curl, which reads the proxy variables of its environment; the
 * runner's environment reaches osbuild as it is, except through sudo, which resets it: there the variables set are
 * kept with `--preserve-env=<names>` (sudoers must allow it: SETENV, or the names in env_keep).
 */
import { basename } from 'node:path';
import type { OsbuildCommand } from './osbuild-command.ts';

/** The variables curl (and osbuild's curl source) take a proxy from. */
export const PROXY_VARIABLES = ['http_proxy', 'https_proxy', 'all_proxy', 'no_proxy', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY', 'OSBUILD_SOURCES_CURL_PROXY'] as const;

/** The command with sudo told to keep the proxy variables that are set; any other command unchanged. */
export function keepProxyEnvironment(command: OsbuildCommand, env: Record<string, string | undefined> = process.env): OsbuildCommand {
  if (basename(command.file) !== 'sudo') return command;
  const set = PROXY_VARIABLES.filter((name) => env[name]);
  if (!set.length) return command;
  return { file: command.file, args: [`--preserve-env=${set.join(',')}`, ...command.args] };
}

/**
 * What to add to the environment so curl uses the proxies as the depsolver did: curl reads `http_proxy` in lower case
 * only (the depsolver `HTTP_PROXY` too), and proxies loopback unless `no_proxy` names it (the depsolver never does).
 */
export function curlProxyAdditions(env: Record<string, string | undefined> = process.env): Record<string, string> {
  const out: Record<string, string> = !env.http_proxy && env.HTTP_PROXY ? { http_proxy: env.HTTP_PROXY } : {};
  const proxied = [env.http_proxy, env.HTTP_PROXY, env.https_proxy, env.HTTPS_PROXY, env.all_proxy, env.ALL_PROXY, env.OSBUILD_SOURCES_CURL_PROXY].some(Boolean);
  if (!proxied) return out;
  const noProxy = (env.no_proxy ?? env.NO_PROXY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (noProxy.includes('*')) return out;
  const loopback = ['localhost', '127.0.0.1', '::1'].filter((h) => !noProxy.includes(h));
  return loopback.length ? { ...out, no_proxy: [...noProxy, ...loopback].join(',') } : out;
}
