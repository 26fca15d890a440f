import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBlueprint } from '../../layers/src/blueprint/parse-blueprint.ts';
import { ValidationError } from '../../layers/src/errors.ts';
import { BLUEPRINT_DIR } from './reference-fixtures.ts';

const TOML = `
name = "web"
description = "A web server"
version = "0.0.1"

[[packages]]
name = "httpd"
version = "*"

[[groups]]
name = "core"

[customizations]
hostname = "web-1"

[customizations.kernel]
append = "nosmt=force"

[[customizations.user]]
name = "admin"
key = "ssh-ed25519 AAAA"
groups = ["wheel"]

[[customizations.filesystem]]
mountpoint = "/var"
minsize = "2 GiB"

[customizations.services]
enabled = ["httpd"]
`;

describe('blueprint parsing', () => {
  it('parses TOML into the blueprint shape', () => {
    const { blueprint, unknownKeys } = parseBlueprint(TOML);
    expect(unknownKeys).toEqual([]);
    expect(blueprint.packages).toEqual([{ name: 'httpd', version: '*' }]);
    expect(blueprint.groups).toEqual([{ name: 'core' }]);
    expect(blueprint.customizations.user?.[0]).toEqual({ name: 'admin', key: 'ssh-ed25519 AAAA', groups: ['wheel'] });
    expect(blueprint.customizations.filesystem).toEqual([{ mountpoint: '/var', minsize: '2 GiB' }]);
  });

  it('parses the same blueprint as JSON', () => {
    const json = JSON.stringify(parseBlueprint(TOML).blueprint);
    expect(parseBlueprint(json).blueprint).toEqual(parseBlueprint(TOML).blueprint);
  });

  it('reports unknown keys with their path instead of dropping them silently', () => {
    const { unknownKeys } = parseBlueprint(`name = "x"\ncolour = "red"\n[customizations]\nhostnam = "typo"\n[[customizations.user]]\nname = "a"\nshel = "/bin/sh"\n`);
    expect(unknownKeys).toEqual(['colour', 'customizations.hostnam', 'customizations.user[0].shel']);
  });

  it('rejects wrongly typed values naming the field', () => {
    const err = (() => {
      try {
        parseBlueprint('[[customizations.user]]\nname = "a"\nuid = "1000"\n');
      } catch (e) {
        return e as ValidationError;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect(err!.field).toBe('blueprint.customizations.user[0].uid');
  });

  it('rejects malformed TOML with a position', () => {
    expect(() => parseBlueprint('name = "x\n')).toThrow(/blueprint: not a valid TOML blueprint \(line \d+, column \d+\)/);
    expect(() => parseBlueprint('{"name": ', 'json')).toThrow(ValidationError);
  });

  describe.skipIf(!existsSync(BLUEPRINT_DIR))(existsSync(BLUEPRINT_DIR) ? 'shared example blueprints' : 'shared example blueprints (skipped: ../shared/reference/blueprints not found)', () => {
    it('parses every composer-cli TOML example without unknown keys', () => {
      const dir = path.join(BLUEPRINT_DIR, 'weldr-client-toml');
      for (const f of readdirSync(dir)) {
        const { blueprint, unknownKeys } = parseBlueprint(readFileSync(path.join(dir, f), 'utf8'));
        expect(unknownKeys, f).toEqual([]);
        expect(blueprint.name, f).toBeTruthy();
      }
    });

    it('parses every osbuild/images test config blueprint (JSON); unknown keys are exactly the ones we do not model', () => {
      const dir = path.join(BLUEPRINT_DIR, 'images-test-configs-json');
      const unknown = new Set<string>();
      for (const f of readdirSync(dir)) {
        const config = JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
        const { unknownKeys } = parseBlueprint(JSON.stringify(config.blueprint), 'json');
        unknownKeys.forEach((k) => unknown.add(k.replace(/\[\d+\]/g, '[]')));
      }
      expect([...unknown].sort()).toEqual([]);
    });
  });
});
