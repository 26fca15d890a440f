/** The depsolver bench's repository: 70,000 Fedora-shaped packages (test/depsolve/fedora-repo.ts), primary streamed. */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { fedoraShapedPackages } from '../test/depsolve/fedora-repo.ts';
import { compsXml, filelistsXml, primaryPackageXml, writeRepodata } from '../test/depsolve/repo-generator.ts';

export { REQUESTS } from '../test/depsolve/fedora-repo.ts';
export const PACKAGES = Number(process.env.DEPSOLVE_BENCH_PACKAGES ?? 70_000);

/** Write the repository (primary streamed through gzip, filelists, comps) under `dir`. */
export async function writeFedoraRepo(dir: string): Promise<{ primaryBytes: number; packages: number }> {
  const { packages, groups, environments } = fedoraShapedPackages(PACKAGES);
  mkdirSync(dir, { recursive: true });
  const rawPath = join(dir, 'primary.xml.gz');
  const gz = zlib.createGzip({ level: 1 });
  const out = createWriteStream(rawPath);
  gz.pipe(out);
  let bytes = 0;
  const write = async (s: string) => {
    bytes += Buffer.byteLength(s);
    if (!gz.write(s)) await new Promise((res) => gz.once('drain', res));
  };
  await write(`<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${packages.length}">\n`);
  for (const p of packages) await write(primaryPackageXml(p));
  await write('</metadata>\n');
  gz.end();
  await new Promise((res) => out.on('close', res));
  const primaryGz = readFileSync(rawPath);
  rmSync(rawPath);
  const comps = compsXml({ packages: [], groups, environments });
  writeRepodata(dir, [
    { type: 'filelists', data: Buffer.from(filelistsXml(packages)), compression: 'gz' },
    { type: 'group', data: Buffer.from(comps), compression: 'none' },
  ]);
  // The primary record is added pre-compressed (it was streamed).
  const sum = createHash('sha256').update(primaryGz).digest('hex');
  const name = `repodata/${sum}-primary.xml.gz`;
  writeFileSync(join(dir, name), primaryGz);
  const repomdPath = join(dir, 'repodata', 'repomd.xml');
  const repomd = readFileSync(repomdPath, 'utf8').replace(
    '</repomd>',
    `  <data type="primary">\n    <checksum type="sha256">${sum}</checksum>\n    <location href="${name}"/>\n    <size>${primaryGz.length}</size>\n  </data>\n</repomd>`,
  );
  writeFileSync(repomdPath, repomd);
  return { primaryBytes: bytes, packages: packages.length };
}
