/**
 * The parts of composer's blueprint git store the hosted store has no place for: the workspace (a blueprint saved
 * without a commit, shown by info/depsolve/freeze and `diff NEWEST WORKSPACE` until the next push) and tags
 * (revision numbers of commits). Kept per organization in the blob store.
 */
import { text } from 'node:stream/consumers';
import type { WeldrContext } from './weldr-router.ts';

type Obj = Record<string, unknown>;

const workspaceKey = (orgId: string, name: string) => `weldr/${orgId}/workspace/${name}.json`;
const tagsKey = (orgId: string, blueprintId: string) => `weldr/${orgId}/tags/${blueprintId}.json`;
const messagesKey = (orgId: string, blueprintId: string) => `weldr/${orgId}/messages/${blueprintId}.json`;
const pushedKey = (orgId: string, blueprintId: string) => `weldr/${orgId}/pushed-versions/${blueprintId}.json`;

async function readJson<T>(ctx: WeldrContext, key: string): Promise<T | undefined> {
  const stream = await ctx.deps.blobs.get(key);
  return stream ? (JSON.parse(await text(stream)) as T) : undefined;
}

export const readWorkspace = (ctx: WeldrContext, name: string): Promise<Obj | undefined> => readJson<Obj>(ctx, workspaceKey(ctx.orgId, name));

export async function writeWorkspace(ctx: WeldrContext, name: string, blueprint: Obj): Promise<void> {
  await ctx.deps.blobs.put(workspaceKey(ctx.orgId, name), JSON.stringify(blueprint), { contentType: 'application/json' });
}

/** True when there was a workspace copy to remove. */
export async function deleteWorkspace(ctx: WeldrContext, name: string): Promise<boolean> {
  const key = workspaceKey(ctx.orgId, name);
  if (!(await ctx.deps.blobs.head(key))) return false;
  await ctx.deps.blobs.delete(key);
  return true;
}

/** Revision numbers by commit id. */
export const readTags = async (ctx: WeldrContext, blueprintId: string): Promise<Record<string, number>> => (await readJson(ctx, tagsKey(ctx.orgId, blueprintId))) ?? {};

/** Tags the commit with the next revision (1 for the first); a commit tagged already keeps its revision. */
export async function tagCommit(ctx: WeldrContext, blueprintId: string, commit: string): Promise<number> {
  const tags = await readTags(ctx, blueprintId);
  if (tags[commit] !== undefined) return tags[commit];
  const revision = Math.max(0, ...Object.values(tags)) + 1;
  await ctx.deps.blobs.put(tagsKey(ctx.orgId, blueprintId), JSON.stringify({ ...tags, [commit]: revision }), { contentType: 'application/json' });
  return revision;
}

/** Commit messages that are not composer's `Recipe <name>, version <v> saved.` (an undo's), by commit id. */
export const readMessages = async (ctx: WeldrContext, blueprintId: string): Promise<Record<string, string>> =>
  (await readJson(ctx, messagesKey(ctx.orgId, blueprintId))) ?? {};

export async function writeMessage(ctx: WeldrContext, blueprintId: string, commit: string, message: string): Promise<void> {
  const messages = { ...(await readMessages(ctx, blueprintId)), [commit]: message };
  await ctx.deps.blobs.put(messagesKey(ctx.orgId, blueprintId), JSON.stringify(messages), { contentType: 'application/json' });
}

/**
 * The version a commit was pushed with, where the store bumped it (composer's Change keeps the blueprint as pushed:
 * its commit message and `blueprints/change` show that version, info the bumped one), by commit id.
 */
export const readPushedVersions = async (ctx: WeldrContext, blueprintId: string): Promise<Record<string, string>> =>
  (await readJson(ctx, pushedKey(ctx.orgId, blueprintId))) ?? {};

export async function writePushedVersion(ctx: WeldrContext, blueprintId: string, commit: string, version: string): Promise<void> {
  const versions = { ...(await readPushedVersions(ctx, blueprintId)), [commit]: version };
  await ctx.deps.blobs.put(pushedKey(ctx.orgId, blueprintId), JSON.stringify(versions), { contentType: 'application/json' });
}

interface Pkg {
  name: string;
  version?: string;
}

/** composer's diff of two blueprints' packages: changed versions, added (old null) and removed (new null). */
export function diffPackages(oldBp: Obj, newBp: Obj): { new: { Package: Pkg } | null; old: { Package: Pkg } | null }[] {
  const list = (bp: Obj) => (Array.isArray(bp.packages) ? (bp.packages as Pkg[]) : []);
  const old = new Map(list(oldBp).map((p) => [p.name, p]));
  const diffs: { new: { Package: Pkg } | null; old: { Package: Pkg } | null }[] = [];
  for (const p of list(newBp)) {
    const before = old.get(p.name);
    if (!before) diffs.push({ new: { Package: p }, old: null });
    else {
      old.delete(p.name);
      if ((before.version ?? '') !== (p.version ?? '')) diffs.push({ new: { Package: p }, old: { Package: before } });
    }
  }
  for (const p of old.values()) diffs.push({ new: null, old: { Package: p } });
  return diffs;
}
