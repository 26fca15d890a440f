/**
 * The Blueprint: what the user wants in the image, in the shape composer-cli users know (TOML/JSON blueprints).
 * API `customizations` are converted into a Blueprint (from-compose-request.ts) so one path feeds manifest generation.
 */
export interface BlueprintPackage {
  name: string;
  version?: string;
}

export interface BlueprintFile {
  path: string;
  mode?: string;
  user?: string | number;
  group?: string | number;
  data?: string;
}

export interface BlueprintCustomizations {
  hostname?: string;
  files?: BlueprintFile[];
  directories?: { path: string; mode?: string; user?: string | number; group?: string | number; ensure_parents?: boolean }[];
  [key: string]: unknown;
}

export interface Blueprint {
  name?: string;
  description?: string;
  version?: string;
  packages: BlueprintPackage[];
  groups: { name: string }[];
  customizations: BlueprintCustomizations;
}

export const emptyBlueprint = (): Blueprint => ({ packages: [], groups: [], customizations: {} });
