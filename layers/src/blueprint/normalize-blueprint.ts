/**
 * The normalizations osbuild/blueprint applies before a blueprint is used, so blueprints upstream accepts work here
 * unchanged: a home directory's trailing "/" is dropped (GetUsers), an empty password means none (CryptPasswords), a
 * repository file name gets ".repo" appended (getFilename), the old filesystem `size` key means `minsize`, and the
 * upstream spellings `architecture` and `containers-storage` are read.
 */
import { ValidationError } from '../errors.ts';
import type { Blueprint, BlueprintFilesystem } from './blueprint.ts';

type Obj = Record<string, unknown>;

function normalizeFilesystem(fs: BlueprintFilesystem & { size?: number | string }, field: string): BlueprintFilesystem {
  const { size, ...rest } = fs;
  if (size === undefined) return fs;
  if (fs.minsize !== undefined) throw new ValidationError(field, 'size and minsize cannot both be set (size is the older name of minsize)');
  return { ...rest, minsize: size };
}

/** Returns the blueprint with upstream's normalizations applied (the input is not changed). */
export function normalizeBlueprint(bp: Blueprint, field = 'blueprint'): Blueprint {
  const raw = bp as Blueprint & { architecture?: string };
  const { architecture, ...rest } = raw;
  const out: Blueprint = { ...rest, customizations: { ...bp.customizations } };
  if (architecture !== undefined && out.arch === undefined) out.arch = architecture;
  const c = out.customizations as typeof out.customizations & { 'containers-storage'?: { 'destination-path'?: string } };
  if (c.user) {
    c.user = c.user.map((u) => {
      const user = { ...u };
      if (user.home !== undefined && user.home.length > 1) user.home = user.home.replace(/\/+$/, '') || '/';
      if (user.password === '') delete user.password;
      return user;
    });
  }
  if (c.repositories) {
    c.repositories = c.repositories.map((r) => {
      if (r.filename === undefined || r.filename.endsWith('.repo')) return r;
      const { filename, ...repo } = r;
      return filename === '' ? repo : { ...repo, filename: `${filename}.repo` };
    });
  }
  if (c.filesystem) c.filesystem = c.filesystem.map((fs, i) => normalizeFilesystem(fs, `${field}.customizations.filesystem[${i}]`));
  const upstreamStorage = c['containers-storage'];
  if (upstreamStorage !== undefined) {
    delete c['containers-storage'];
    c.containers_storage ??= (upstreamStorage as Obj)['destination-path'] === undefined ? {} : { destination_path: upstreamStorage['destination-path'] };
  }
  return out;
}
