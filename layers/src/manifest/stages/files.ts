import type { Stage } from '../manifest.ts';
import { sourceFilesInput } from '../inputs.ts';

export interface MkdirPath {
  path: string;
  mode?: number;
  parents?: boolean;
  exist_ok?: boolean;
}
export const mkdirStage = (paths: MkdirPath[]): Stage => ({ type: 'org.osbuild.mkdir', options: { paths } });

export const chmodStage = (items: Record<string, { mode: string; recursive?: boolean }>): Stage => ({
  type: 'org.osbuild.chmod',
  options: { items },
});

export const chownStage = (items: Record<string, { user?: string | number; group?: string | number; recursive?: boolean }>): Stage => ({
  type: 'org.osbuild.chown',
  options: { items },
});

/** Copies inline-source files into the tree, one input per file as osbuild/images does. */
export function copyInlineFilesStage(files: readonly { checksum: string; path: string }[]): Stage {
  const inputs: Stage['inputs'] = {};
  const paths = files.map((f) => {
    const name = `file-${f.checksum.slice(f.checksum.indexOf(':') + 1)}`;
    inputs[name] = sourceFilesInput([{ checksum: f.checksum }]);
    return { from: `input://${name}/${f.checksum}`, to: `tree://${f.path}`, remove_destination: true };
  });
  return { type: 'org.osbuild.copy', inputs, options: { paths } };
}
