import { describe, expect, it } from 'vitest';
import { curlProxyAdditions, keepProxyEnvironment } from '../../runner-ami/src/proxy-env.ts';
import { parseOsbuildCommand } from '../../runner-ami/src/osbuild-command.ts';

describe('proxy variables reach osbuild (its curl source downloads the packages)', () => {
  const env = { https_proxy: 'http://proxy:3128', NO_PROXY: '.lan', PATH: '/usr/bin' };

  it('through sudo, which resets the environment, the proxy variables set are kept by name', () => {
    expect(keepProxyEnvironment(parseOsbuildCommand('sudo osbuild'), env)).toEqual({ file: 'sudo', args: ['--preserve-env=https_proxy,NO_PROXY', 'osbuild'] });
    expect(keepProxyEnvironment(parseOsbuildCommand('/usr/bin/sudo -n python3 -m osbuild'), { OSBUILD_SOURCES_CURL_PROXY: 'http://p:1' })).toEqual({
      file: '/usr/bin/sudo',
      args: ['--preserve-env=OSBUILD_SOURCES_CURL_PROXY', '-n', 'python3', '-m', 'osbuild'],
    });
  });

  it('without sudo, or without proxies, the command is unchanged (the environment is inherited as it is)', () => {
    expect(keepProxyEnvironment(parseOsbuildCommand('osbuild'), env)).toEqual({ file: 'osbuild', args: [] });
    expect(keepProxyEnvironment(parseOsbuildCommand('sudo osbuild'), { PATH: '/usr/bin', https_proxy: '' })).toEqual({ file: 'sudo', args: ['osbuild'] });
  });

  it('curl reads http_proxy in lower case only: HTTP_PROXY (which the depsolver honours) is given to it under that name', () => {
    expect(curlProxyAdditions({ HTTP_PROXY: 'http://p:1', no_proxy: '*' })).toEqual({ http_proxy: 'http://p:1' });
    expect(curlProxyAdditions({ HTTP_PROXY: 'http://p:1', http_proxy: 'http://q:2', NO_PROXY: 'localhost,127.0.0.1,::1' })).toEqual({});
    expect(curlProxyAdditions({})).toEqual({});
  });

  it('with a proxy set, loopback joins no_proxy (the depsolver never proxies it; curl would)', () => {
    expect(curlProxyAdditions({ https_proxy: 'http://p:1' })).toEqual({ no_proxy: 'localhost,127.0.0.1,::1' });
    expect(curlProxyAdditions({ http_proxy: 'http://p:1', NO_PROXY: '.lan, localhost' })).toEqual({ no_proxy: '.lan,localhost,127.0.0.1,::1' });
    expect(curlProxyAdditions({ no_proxy: 'x' })).toEqual({});
  });
});
