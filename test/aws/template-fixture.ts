/**
 * The CloudFormation templates the template tests (test/aws/template*.test.ts) read: `npx osls package` with no
 * arguments and with the documented `--param` set, run once per vitest run and shared by the files (each packaging
 * takes a minute of both cores), plus the helpers that read a template the way CloudFormation does.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { beforeAll, expect } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyCheckout, removeCopy, runOsls, type CheckoutCopy, type OslsRun } from './osls-package.ts';

export type Resource = { Type: string; Properties: Record<string, any>; Condition?: string };
export type Template = { Resources: Record<string, Resource>; Outputs: Record<string, unknown>; Conditions?: Record<string, unknown> };

// The runner network of docs/aws.md's `--param` example.
export const VPC_PARAMS = ['--param=runnerVpcId=vpc-0123456789abcdef0', '--param=runnerSubnets=subnet-0123456789abcdef0,subnet-0fedcba9876543210'];
// The optional switches of docs/aws.md: X-Ray on, alarms mailed, a JWT issuer, the Koji client certificate's parameters.
export const OPTION_PARAMS = [
  '--param=lambdaTracing=Active',
  '--param=alarmEmail=ops@example.com',
  '--param=jwtIssuerUrl=https://issuer.example/',
  '--param=jwtAudience=ibs-api',
  '--param=kojiCertParameters=/ibs/koji',
];
export const ARCHITECTURES = { x86_64: 'X8664', aarch64: 'Aarch64' };

export interface PackagedTemplates {
  /** The run of `npx osls package` with no arguments (stage dev, us-east-1, every default). */
  plain: OslsRun;
  /** Its template. */
  template: Template;
  /** The same with VPC_PARAMS and OPTION_PARAMS. */
  withParams: Template;
  withParamsRun: OslsRun;
}

export const ofTypeIn = (t: Template, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
export const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
export const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
export const refOf = (value: any): string | undefined => value?.Ref ?? value?.['Fn::GetAtt']?.[0];
const readTemplate = (copy: CheckoutCopy): Template =>
  JSON.parse(readFileSync(join(copy.service, '.serverless/cloudformation-template-update-stack.json'), 'utf8')) as Template;

/** What CloudFormation makes of a value: conditions over literals evaluated, `Fn::If` chosen, `AWS::NoValue` dropped. */
export function evaluate(t: Template, value: any): any {
  if (Array.isArray(value)) return value.map((v) => evaluate(t, v));
  if (value === null || typeof value !== 'object') return value;
  if (value.Ref === 'AWS::NoValue') return undefined;
  if ('Fn::Equals' in value) return evaluate(t, value['Fn::Equals'][0]) === evaluate(t, value['Fn::Equals'][1]);
  if ('Fn::Not' in value) return !evaluate(t, value['Fn::Not'][0]);
  if ('Condition' in value && Object.keys(value).length === 1) return evaluate(t, t.Conditions?.[value.Condition]);
  if ('Fn::If' in value) {
    const [condition, yes, no] = value['Fn::If'];
    return evaluate(t, evaluate(t, t.Conditions?.[condition]) ? yes : no);
  }
  if ('Fn::Split' in value && typeof value['Fn::Split'][1] === 'string') return value['Fn::Split'][1].split(value['Fn::Split'][0]);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluate(t, v)]).filter(([, v]) => v !== undefined));
}

/** Both packagings, in throw-away copies of the checkout (removed when read). */
async function packageNow(): Promise<PackagedTemplates> {
  const [bare, vpc] = [copyCheckout(), copyCheckout()];
  try {
    // Exactly what a new user types: no stage, no region, no parameters.
    const [plain, withParamsRun] = await Promise.all([runOsls(bare, ['package']), runOsls(vpc, ['package', ...VPC_PARAMS, ...OPTION_PARAMS])]);
    const read = (run: OslsRun, copy: CheckoutCopy) => (run.code === 0 ? readTemplate(copy) : { Resources: {}, Outputs: {} });
    return { plain, withParamsRun, template: read(plain, bare), withParams: read(withParamsRun, vpc) };
  } finally {
    [bare, vpc].forEach(removeCopy);
  }
}

const PREFIX = 'ibs-osls-templates-';

/** The vitest run this worker belongs to: its parent (the forks pool's main process), with its start time against pid reuse. */
function runKey(): string {
  // Only under the forks pool is the parent vitest itself; anywhere else, no sharing.
  if (!readFileSync(`/proc/${process.ppid}/cmdline`, 'utf8').includes('vitest')) throw new Error('the parent process is not vitest');
  const start = /^\d+ \(.*\) \S+ (?:\S+ ){18}(\d+)/.exec(readFileSync(`/proc/${process.ppid}/stat`, 'utf8').toString())?.[1] ?? 'x';
  return `${process.ppid}-${start}`;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Removes the shared results of runs whose vitest process is gone. */
function removeStaleResults(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(/^ibs-osls-templates-(\d+)-/.exec(name)?.[1]);
    if (pid && !alive(pid)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

let mine: Promise<PackagedTemplates> | undefined;

/**
 * The packaged templates: the first test file of this vitest run to ask packages (its directory, created atomically, is
 * the lock) and writes the result; the others wait for it. Without /proc, every file packages for itself.
 */
export function packagedTemplates(): Promise<PackagedTemplates> {
  return (mine ??= (async () => {
    let dir: string;
    try {
      removeStaleResults();
      dir = join(tmpdir(), `${PREFIX}${runKey()}`);
    } catch {
      return packageNow();
    }
    const result = join(dir, 'result.json');
    try {
      mkdirSync(dir);
    } catch {
      for (let waited = 0; !existsSync(result); waited += 500) {
        if (waited > 280_000) throw new Error(`no packaged templates in ${dir} after ${waited / 1000} s (the test file packaging them died?)`);
        await new Promise((r) => setTimeout(r, 500));
      }
      const shared = JSON.parse(readFileSync(result, 'utf8')) as PackagedTemplates | { error: string };
      if ('error' in shared) throw new Error(`packaging the templates failed in another test file: ${shared.error}`);
      return shared;
    }
    const packaged = await packageNow().catch((error: Error) => error);
    writeFileSync(`${result}.tmp`, JSON.stringify(packaged instanceof Error ? { error: packaged.stack ?? packaged.message } : packaged));
    renameSync(`${result}.tmp`, result);
    if (packaged instanceof Error) throw packaged;
    return packaged;
  })());
}

/** Registers the beforeAll that hands a test file both templates (packaging must have succeeded). */
export function usePackagedTemplates(receive: (packaged: PackagedTemplates) => void): void {
  beforeAll(async () => {
    const packaged = await packagedTemplates();
    expect(packaged.plain.code, packaged.plain.output).toBe(0);
    expect(packaged.withParamsRun.code, packaged.withParamsRun.output).toBe(0);
    receive(packaged);
  }, 300_000);
}
