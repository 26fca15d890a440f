import type { Stage } from '../manifest.ts';
import { sourceFilesInput, type SourceFileRef } from '../inputs.ts';

export interface RpmStageOptions {
  /** Armored public keys osbuild imports before installing (signature verification). */
  gpgkeys?: string[];
  /** Key files inside the tree to import after the packages providing them are installed. */
  'gpgkeys.fromtree'?: string[];
  exclude?: { docs?: boolean };
  install_langs?: string[];
  dbpath?: string;
  disable_dracut?: boolean;
  ostree_booted?: boolean;
  kernel_install_env?: { boot_root: string };
  rpmkeys?: { bin_path?: string; ignore_import_failures?: boolean };
}

/** org.osbuild.rpm: installs the given packages (by source checksum) into the tree. */
export const rpmStage = (packages: readonly SourceFileRef[], options: RpmStageOptions = {}): Stage => ({
  type: 'org.osbuild.rpm',
  inputs: { packages: sourceFilesInput(packages) },
  options: { ...options },
});
