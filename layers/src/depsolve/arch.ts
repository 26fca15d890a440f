/**
 * Architecture compatibility without multilib: a package is installable when it is noarch or of the base
 * architecture's family (libsolv scores: noarch 1, native 2; incompatible 0).
 */
const FAMILIES: Record<string, string[]> = {
  x86_64: ['x86_64', 'amd64', 'ia32e', 'x86_64_v2', 'x86_64_v3', 'x86_64_v4'],
  aarch64: ['aarch64'],
  ppc64le: ['ppc64le'],
  s390x: ['s390x'],
  riscv64: ['riscv64'],
  i686: ['i686', 'i586', 'i486', 'i386', 'athlon', 'geode', 'pentium3', 'pentium4'],
};

export function basearchOf(arch: string): string {
  for (const [base, members] of Object.entries(FAMILIES)) if (members.includes(arch)) return base;
  return arch;
}

export function archScore(pkgArch: string, arch: string): number {
  if (pkgArch === 'noarch') return 1;
  if (pkgArch === 'src' || pkgArch === 'nosrc') return 0;
  const fam = FAMILIES[basearchOf(arch)] ?? [arch];
  // Only the base architecture itself: x86_64_v2+ builds need a CPU check dnf does and we do not.
  return pkgArch === basearchOf(arch) || (pkgArch === arch && fam.includes(pkgArch)) ? 2 : 0;
}
