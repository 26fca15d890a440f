import { createHash } from 'node:crypto';

/**
 * A fetch for the depsolver in tests: Fedora's metalink service answers with a metalink naming the repository served
 * on 127.0.0.1 (with its repomd.xml digest); anything else that is not 127.0.0.1 is refused (no internet).
 */
export function fetchWithLocalMetalink(repoUrl: string, repomd: Buffer): typeof fetch {
  const metalink = `<?xml version="1.0" encoding="utf-8"?>
<metalink version="3.0" xmlns="http://www.metalinker.org/"><files><file name="repomd.xml"><verification>
<hash type="sha256">${createHash('sha256').update(repomd).digest('hex')}</hash></verification><resources maxconnections="1">
<url protocol="http" type="http" location="XX" preference="100">${repoUrl}/repodata/repomd.xml</url></resources></file></files></metalink>`;
  return async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.startsWith('https://mirrors.fedoraproject.org/metalink')) return new Response(metalink);
    if (!url.startsWith('http://127.0.0.1')) throw new TypeError(`fetch failed: ${url} is not reachable in tests`);
    return fetch(input, init);
  };
}
