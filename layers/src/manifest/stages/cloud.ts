import type { Stage } from '../manifest.ts';

export const cloudInitStage = (filename: string, config: Record<string, unknown>): Stage => ({
  type: 'org.osbuild.cloud-init',
  options: { filename, config },
});

export const waagentConfStage = (config: Record<string, unknown>): Stage => ({
  type: 'org.osbuild.waagent.conf',
  options: { config },
});

export const udevRulesStage = (filename: string, rules: unknown[]): Stage => ({
  type: 'org.osbuild.udev.rules',
  options: { filename, rules },
});
