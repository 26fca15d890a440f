/**
 * Dev tool: regenerates the `*.json` data next to it (read by `data.ts`; origin and licence in README.md) from the upstream osbuild/images image definitions
 * (`../shared/reference/images-distrodefs/`). Only the image types this service ships are kept, YAML anchors and
 * merge keys are resolved, sizes become bytes; `conditions:` stay as data and are evaluated at runtime
 * (conditions.ts), exactly like upstream. Run: `npx tsx layers/src/distro/defs/generate-defs.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const here = import.meta.dirname;
const shared = path.resolve(here, '../../../../../shared/reference/images-distrodefs');

/** family → upstream image type names we ship. */
const SELECTED: Record<string, string[]> = {
  fedora: ['generic-qcow2', 'generic-ami', 'generic-vhd', 'generic-vmdk', 'generic-ova', 'generic-oci', 'minimal-raw-xz', 'generic-wsl', 'generic-container'],
  'rhel-9': ['qcow2', 'ami', 'vhd', 'vmdk', 'ova', 'gce', 'oci', 'minimal-raw', 'wsl', 'container', 'tar'],
  'rhel-10': ['qcow2', 'ami', 'vhd', 'vmdk', 'ova', 'gce', 'oci', 'wsl', 'container', 'tar'],
};

const KEPT_KEYS = new Set([
  'name_aliases', 'filename', 'mime_type', 'image_func', 'exports', 'compression', 'bootable', 'default_size',
  'required_partition_sizes', 'platforms', 'platforms_override', 'partition_table', 'partition_tables_override',
  'image_config', 'package_sets', 'environment', 'disk_config', 'blueprint',
]);

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4, KB: 1e3, MB: 1e6, GB: 1e9 };
const SIZE_KEYS = new Set(['size', 'default_size', 'start_offset']);

function parseSize(value: unknown, where: string): number {
  if (typeof value === 'number') return value;
  const m = /^\s*([\d_]+)\s*([A-Za-z]+)?\s*$/.exec(String(value));
  if (!m || (m[2] && !(m[2] in UNITS))) throw new Error(`${where}: bad size ${JSON.stringify(value)}`);
  return Number(m[1].replace(/_/g, "")) * (m[2] ? UNITS[m[2]] : 1);
}

/** Converts size strings to bytes (only under size keys and required_partition_sizes maps). */
function normalize(value: unknown, key: string, where: string): unknown {
  if (Array.isArray(value)) return value.map((v, i) => normalize(v, key, `${where}[${i}]`));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'required_partition_sizes' && v && typeof v === 'object') {
        out[k] = Object.fromEntries(Object.entries(v).map(([dir, s]) => [dir, parseSize(s, `${where}.${k}.${dir}`)]));
      } else if (SIZE_KEYS.has(k) && v !== null && v !== undefined && typeof v !== 'object') {
        out[k] = parseSize(v, `${where}.${k}`);
      } else {
        out[k] = normalize(v, k, `${where}.${k}`);
      }
    }
    return out;
  }
  return value;
}

function generateFamily(family: string): void {
  const doc = parse(readFileSync(path.join(shared, family, 'imagetypes.yaml'), 'utf8'), {
    merge: true,
    maxAliasCount: -1,
    // Go's yaml.v3 reads "0755" as octal (file modes) like YAML 1.1; the data has no unquoted yes/no/on/off
    version: '1.1',
  }) as {
    image_types: Record<string, Record<string, unknown>>;
  };
  const types: Record<string, unknown> = {};
  for (const name of SELECTED[family]) {
    const def = doc.image_types[name];
    if (!def) throw new Error(`${family}: image type ${name} not found`);
    const kept: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(def)) {
      if (!KEPT_KEYS.has(k)) continue;
      if (k === 'package_sets') {
        kept[k] = { os: (v as Record<string, unknown>).os };
        continue;
      }
      if (k === 'blueprint') {
        kept.supported_options = (v as { supported_options?: string[] }).supported_options ?? [];
        continue;
      }
      kept[k] = v;
    }
    types[name] = normalize(kept, '', `${family}.${name}`);
  }
  writeFileSync(path.join(here, `${family}.json`), `${JSON.stringify(types, null, 2)}\n`);
}

function generateRepositories(): void {
  const out: Record<string, Record<string, unknown[]>> = {};
  for (const distro of ['fedora-43', 'fedora-44', 'centos-9', 'centos-10', 'almalinux-9', 'rocky-9']) {
    const data = JSON.parse(readFileSync(path.join(shared, 'repositories', `${distro}.json`), 'utf8')) as Record<string, Record<string, unknown>[]>;
    out[distro] = {};
    for (const arch of ['x86_64', 'aarch64']) {
      out[distro][arch] = (data[arch] ?? []).map((r) => {
        const keys = r.gpgkeys ?? (r.gpgkey ? [r.gpgkey] : []);
        return {
          name: r.name,
          ...(r.baseurl ? { baseurl: r.baseurl } : {}),
          ...(r.metalink ? { metalink: r.metalink } : {}),
          ...(r.mirrorlist ? { mirrorlist: r.mirrorlist } : {}),
          gpgkeys: keys,
          check_gpg: r.check_gpg ?? false,
          ...(r.image_type_tags ? { image_type_tags: r.image_type_tags } : {}),
        };
      });
    }
  }
  writeFileSync(path.join(here, 'repositories.json'), `${JSON.stringify(out, null, 2)}\n`);
}

for (const family of Object.keys(SELECTED)) generateFamily(family);
generateRepositories();
console.log('generated image type and repository data');
