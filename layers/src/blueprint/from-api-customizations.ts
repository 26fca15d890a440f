import type { Blueprint, BlueprintCustomizations } from './blueprint.ts';
import { emptyBlueprint } from './blueprint.ts';

/**
 * Image Builder API `customizations` → Blueprint, so API requests and blueprint files take one path to the manifest.
 * Keys without a blueprint counterpart pass through unchanged; the image type then accepts or rejects them.
 */
export function blueprintFromApiCustomizations(customizations: unknown): Blueprint {
  const blueprint = emptyBlueprint();
  if (!customizations || typeof customizations !== 'object') return blueprint;
  const { packages, files, ...rest } = customizations as Record<string, unknown>;
  if (Array.isArray(packages)) {
    for (const entry of packages as string[]) {
      if (entry.startsWith('@')) blueprint.groups.push({ name: entry.slice(1) });
      else blueprint.packages.push({ name: entry });
    }
  }
  const converted: BlueprintCustomizations = { ...rest };
  if (Array.isArray(files)) {
    converted.files = (files as { data?: string; data_encoding?: string; path: string }[]).map(({ data_encoding, data, ...file }) => ({
      ...file,
      data: data !== undefined && data_encoding === 'base64' ? Buffer.from(data, 'base64').toString('utf8') : data,
    }));
  }
  blueprint.customizations = converted;
  return blueprint;
}
