/**
 * The hosted service's request limits, each a 400 naming the field: one image request per compose, at most 10,000
 * packages and 128 filesystems, name and description lengths of composes and blueprints; the numbers are the hosted
 * spec's (read from ../shared/reference when present).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { validateSchema } from '../../layers/src/api/validate.ts';

const HOSTED_SPEC = '../shared/reference/image-builder-api/api.yaml';
const TAR = { distribution: 'test-distro-1', image_requests: [{ architecture: 'x86_64', image_type: 'tar' }] };
const refusal = (schema: string, body: unknown): string => {
  try {
    validateSchema(schema, body);
  } catch (error) {
    return (error as Error).message;
  }
  return 'accepted';
};

describe('request limits', () => {
  it('refuses each over-the-limit field with a 400 naming it', () => {
    expect(refusal('ComposeRequest', { ...TAR, image_requests: [TAR.image_requests[0], TAR.image_requests[0]] })).toBe('image_requests: must have at most 1 entry');
    expect(refusal('ComposeRequest', { ...TAR, customizations: { packages: Array.from({ length: 10_001 }, (_, i) => `p${i}`) } })).toBe(
      'customizations.packages: exceeds the request limit of 10000 entries',
    );
    expect(refusal('ComposeRequest', { ...TAR, customizations: { packages: Array.from({ length: 10_000 }, (_, i) => `p${i}`) } })).toBe('accepted');
    expect(refusal('ComposeRequest', { ...TAR, image_name: 'n'.repeat(101) })).toBe('image_name: is longer than the limit of 100 characters');
    expect(refusal('ComposeRequest', { ...TAR, image_description: 'd'.repeat(251) })).toBe('image_description: is longer than the limit of 250 characters');
    const blueprint = { name: 'b', customizations: {}, ...TAR };
    expect(refusal('CreateBlueprintRequest', { ...blueprint, name: 'n'.repeat(101) })).toBe('name: is longer than the limit of 100 characters');
    expect(refusal('CreateBlueprintRequest', { ...blueprint, description: 'd'.repeat(251) })).toBe('description: is longer than the limit of 250 characters');
    const filesystem = Array.from({ length: 129 }, (_, i) => ({ mountpoint: `/m${i}`, min_size: 1 }));
    expect(refusal('ComposeRequest', { ...TAR, customizations: { filesystem } })).toBe('customizations.filesystem: exceeds the request limit of 128 entries');
  });

  const missing = !existsSync(HOSTED_SPEC);
  it.skipIf(missing)(`states the hosted spec's numbers${missing ? ` (skipped: ${HOSTED_SPEC} missing)` : ''}`, () => {
    type Schema = { properties: Record<string, { maxItems?: number; maxLength?: number }> };
    const hosted = (parse(readFileSync(HOSTED_SPEC, 'utf8')) as { components: { schemas: Record<string, Schema> } }).components.schemas;
    const ours = (parse(readFileSync('layers/src/api/openapi.yaml', 'utf8')) as { components: { schemas: Record<string, Schema> } }).components.schemas;
    const pairs: [string, string, 'maxItems' | 'maxLength'][] = [
      ['ComposeRequest', 'image_requests', 'maxItems'],
      ['ComposeRequest', 'image_name', 'maxLength'],
      ['ComposeRequest', 'image_description', 'maxLength'],
      ['CreateBlueprintRequest', 'name', 'maxLength'],
      ['CreateBlueprintRequest', 'description', 'maxLength'],
      ['Customizations', 'packages', 'maxItems'],
      ['Customizations', 'filesystem', 'maxItems'],
    ];
    for (const [schema, field, keyword] of pairs) {
      expect(ours[schema].properties[field][keyword], `${schema}.${field} ${keyword}`).toBe(hosted[schema].properties[field][keyword]);
    }
  });
});
