/**
 * Blueprint files users have (composer-cli TOML or JSON, or this service's / the hosted service's JSON export) as
 * wizard state, with the keys the wizard cannot show listed so the user knows what was left out.
 */
import { parse as parseToml } from 'smol-toml';
import type { BlueprintResponse, Customizations } from '../api/types.ts';
import { fromBlueprint } from '../wizard/wizard-request.ts';
import type { WizardState } from '../wizard/wizard-state.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
const strs = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map(String) : undefined);

export interface ImportedBlueprint {
  state: WizardState;
  /** Keys of the file the wizard does not carry (e.g. customizations.openscap). */
  ignored: string[];
}

const ON_PREM_KNOWN = new Set(['hostname', 'kernel', 'user', 'group', 'timezone', 'locale', 'firewall', 'services', 'filesystem', 'files', 'directories', 'fips']);
const HOSTED_KNOWN = new Set(['packages', 'hostname', 'kernel', 'users', 'groups', 'timezone', 'locale', 'firewall', 'services', 'filesystem', 'files', 'directories', 'fips']);

/** composer-cli (Weldr) blueprint → the hosted shape the wizard reads. */
function fromOnPrem(bp: Obj, ignored: string[]): Pick<BlueprintResponse, 'name' | 'description' | 'distribution' | 'image_requests' | 'customizations'> {
  const c = isObj(bp.customizations) ? bp.customizations : {};
  for (const key of Object.keys(c)) if (!ON_PREM_KNOWN.has(key)) ignored.push(`customizations.${key}`);
  for (const key of Object.keys(bp)) if (!['name', 'description', 'version', 'distro', 'packages', 'modules', 'groups', 'customizations', 'architecture'].includes(key)) ignored.push(key);
  const packages = [...arr(bp.packages), ...arr(bp.modules)].map((p) => String(p.name)).concat(arr(bp.groups).map((g) => `@${String(g.name)}`));
  const out: Customizations = {};
  if (packages.length) out.packages = packages;
  if (typeof c.hostname === 'string') out.hostname = c.hostname;
  if (isObj(c.kernel)) out.kernel = { name: c.kernel.name as string | undefined, append: c.kernel.append as string | undefined };
  const users = arr(c.user).map((u) => ({ name: String(u.name), ...(u.key ? { ssh_key: String(u.key) } : {}), ...(u.groups ? { groups: strs(u.groups) } : {}) }));
  if (users.length) out.users = users;
  if (arr(c.user).some((u) => u.password)) ignored.push('customizations.user.password (type the password again)');
  const groups = arr(c.group).map((g) => ({ name: String(g.name), ...(typeof g.gid === 'number' ? { gid: g.gid } : {}) }));
  if (groups.length) out.groups = groups;
  if (isObj(c.timezone)) out.timezone = { timezone: c.timezone.timezone as string | undefined, ntpservers: strs(c.timezone.ntpservers) };
  if (isObj(c.locale)) out.locale = { languages: strs(c.locale.languages), keyboard: c.locale.keyboard as string | undefined };
  if (isObj(c.firewall)) {
    const services = isObj(c.firewall.services) ? c.firewall.services : {};
    out.firewall = { ports: strs(c.firewall.ports), services: { enabled: strs(services.enabled), disabled: strs(services.disabled) } };
  }
  if (isObj(c.services)) out.services = { enabled: strs(c.services.enabled), disabled: strs(c.services.disabled), masked: strs(c.services.masked) };
  const fs = arr(c.filesystem).map((f) => ({ mountpoint: String(f.mountpoint), min_size: (f.minsize ?? f.min_size ?? 0) as number | string }));
  if (fs.length) out.filesystem = fs;
  if (c.files) out.files = arr(c.files) as Customizations['files'];
  if (c.directories) out.directories = arr(c.directories) as Customizations['directories'];
  if (c.fips === true) out.fips = { enabled: true };
  return { name: String(bp.name ?? ''), description: String(bp.description ?? ''), distribution: typeof bp.distro === 'string' ? bp.distro : undefined, image_requests: [], customizations: out };
}

/** Reads a blueprint file's text: TOML (composer-cli) or JSON (composer-cli, or the hosted/this service's format). */
export function importBlueprint(fileName: string, text: string): ImportedBlueprint {
  let parsed: unknown;
  const looksJson = /^\s*[{[]/.test(text) || fileName.toLowerCase().endsWith('.json');
  try {
    parsed = looksJson ? JSON.parse(text) : parseToml(text);
  } catch (error) {
    throw new Error(`${fileName} is not valid ${looksJson ? 'JSON' : 'TOML'}: ${(error as Error).message}`, { cause: error });
  }
  if (!isObj(parsed)) throw new Error(`${fileName} does not hold a blueprint (an object with a name)`);
  // gen-manifests build configs wrap the blueprint.
  const bp = isObj(parsed.blueprint) ? parsed.blueprint : parsed;
  const ignored: string[] = [];
  const c = isObj(bp.customizations) ? bp.customizations : {};
  const hosted = Array.isArray(bp.image_requests) || 'users' in c || Array.isArray(c.packages) || (isObj(bp.metadata) && 'parent_id' in bp.metadata);
  if (hosted) {
    for (const key of Object.keys(c)) if (!HOSTED_KNOWN.has(key)) ignored.push(`customizations.${key}`);
    return { state: fromBlueprint(bp as unknown as BlueprintResponse), ignored };
  }
  if (typeof bp.name !== 'string') throw new Error(`${fileName} does not hold a blueprint (it has no name)`);
  return { state: fromBlueprint(fromOnPrem(bp, ignored)), ignored };
}

const PENDING_KEY = 'ibs.import';

/** Hands an imported blueprint to the blueprint editor page (across the navigation). */
export function stashImport(imported: ImportedBlueprint): void {
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(imported));
}

export function peekImport(): ImportedBlueprint | undefined {
  const raw = sessionStorage.getItem(PENDING_KEY);
  return raw ? (JSON.parse(raw) as ImportedBlueprint) : undefined;
}

export const dropImport = () => sessionStorage.removeItem(PENDING_KEY);
