/**
 * Everything the create-image wizard holds, as one plain value changed only by `wizardReducer`: a failed request
 * never touches it, so nothing typed is lost; the same state edits blueprints.
 */

export interface UserEntry {
  name: string;
  password: string;
  sshKey: string;
  /** Comma-separated, as typed. */
  groups: string;
  /** Stored blueprints keep a hash the UI never sees: this says whether one exists. */
  hasPassword?: boolean;
}
export interface GroupEntry {
  name: string;
  gid: string;
}
export interface FilesystemEntry {
  mountpoint: string;
  size: string;
  unit: 'MiB' | 'GiB';
}
export interface FileEntry {
  path: string;
  mode: string;
  user: string;
  group: string;
  data: string;
}
export interface DirectoryEntry {
  path: string;
  mode: string;
  user: string;
  group: string;
}

export type UploadTarget = 'download' | 'aws';

export interface WizardState {
  name: string;
  description: string;
  distribution: string;
  architecture: string;
  imageType: string;
  uploadTarget: UploadTarget;
  /** AWS: account ids to share the AMI with, other regions to copy it to (comma/space-separated). */
  awsAccounts: string;
  awsRegion: string;
  packages: string[];
  users: UserEntry[];
  groups: GroupEntry[];
  hostname: string;
  timezone: string;
  ntpServers: string;
  languages: string;
  keyboard: string;
  kernelName: string;
  kernelAppend: string;
  fips: boolean;
  servicesEnabled: string;
  servicesDisabled: string;
  servicesMasked: string;
  firewallPorts: string;
  firewallEnabled: string;
  firewallDisabled: string;
  filesystems: FilesystemEntry[];
  files: FileEntry[];
  directories: DirectoryEntry[];
  firstBoot: string;
}

export type ListField = 'users' | 'groups' | 'filesystems' | 'files' | 'directories';
type ItemOf<K extends ListField> = WizardState[K][number];
type ScalarField = Exclude<keyof WizardState, ListField | 'packages'>;

export type WizardAction =
  | { type: 'set'; field: ScalarField; value: string | boolean }
  | { type: 'addPackage'; name: string }
  | { type: 'removePackage'; name: string }
  | { type: 'add'; list: ListField }
  | { type: 'update'; list: ListField; index: number; patch: Partial<ItemOf<ListField>> }
  | { type: 'remove'; list: ListField; index: number }
  | { type: 'load'; state: WizardState };

export const emptyItems: { [K in ListField]: () => ItemOf<K> } = {
  users: () => ({ name: '', password: '', sshKey: '', groups: '' }),
  groups: () => ({ name: '', gid: '' }),
  filesystems: () => ({ mountpoint: '', size: '', unit: 'GiB' }),
  files: () => ({ path: '', mode: '', user: '', group: '', data: '' }),
  directories: () => ({ path: '', mode: '', user: '', group: '' }),
};

export function initialWizardState(): WizardState {
  return {
    name: '',
    description: '',
    distribution: '',
    architecture: 'x86_64',
    imageType: '',
    uploadTarget: 'download',
    awsAccounts: '',
    awsRegion: '',
    packages: [],
    users: [],
    groups: [],
    hostname: '',
    timezone: '',
    ntpServers: '',
    languages: '',
    keyboard: '',
    kernelName: '',
    kernelAppend: '',
    fips: false,
    servicesEnabled: '',
    servicesDisabled: '',
    servicesMasked: '',
    firewallPorts: '',
    firewallEnabled: '',
    firewallDisabled: '',
    filesystems: [],
    files: [],
    directories: [],
    firstBoot: '',
  };
}

export function wizardReducer(state: WizardState, action: WizardAction): WizardState {
  switch (action.type) {
    case 'set':
      return { ...state, [action.field]: action.value };
    case 'addPackage': {
      const name = action.name.trim();
      return !name || state.packages.includes(name) ? state : { ...state, packages: [...state.packages, name] };
    }
    case 'removePackage':
      return { ...state, packages: state.packages.filter((p) => p !== action.name) };
    case 'add':
      return { ...state, [action.list]: [...state[action.list], emptyItems[action.list]()] };
    case 'update':
      return { ...state, [action.list]: state[action.list].map((item, i) => (i === action.index ? { ...item, ...action.patch } : item)) };
    case 'remove':
      return { ...state, [action.list]: state[action.list].filter((_, i) => i !== action.index) };
    case 'load':
      return action.state;
  }
}

/** Splits a comma/space/newline-separated list as typed into its items. */
export const splitList = (value: string): string[] =>
  value
    .split(/[\s,]+/)
    .map((v) => v.trim())
    .filter(Boolean);
