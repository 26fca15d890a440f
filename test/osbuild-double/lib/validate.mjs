// Manifest validation like osbuild 191 formats/v2.validate(): the manifest schema (osbuild2.json) plus each
// stage/input/device/mount/source module schema, python-jsonschema (Draft4Validator) error messages, errors
// deduplicated and sorted by their path id. Schemas come from the real osbuild metadata when available.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv-draft-04';
import { pyRepr } from './pyrepr.mjs';

const FAILED_TITLE = 'JSON Schema validation failed';
const FAILED_TYPEURI = 'https://osbuild.org/validation-error';

const MODULE_DIRS = { Stage: 'stages', Source: 'sources', Input: 'inputs', Device: 'devices', Mount: 'mounts' };

// Used when no schema directory exists: only the manifest structure is checked and any org.osbuild.* type is accepted.
const BUILTIN_MANIFEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['version'],
  properties: {
    version: { enum: ['2'] },
    pipelines: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          name: { type: 'string' },
          build: { type: 'string' },
          runner: { type: 'string' },
          'source-epoch': { type: 'integer' },
          stages: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['type'],
              properties: {
                type: { type: 'string' },
                options: { type: 'object' },
                inputs: { type: 'object' },
                devices: { type: 'object' },
                mounts: { type: 'array' },
              },
            },
          },
        },
      },
    },
    sources: { type: 'object' },
    metadata: { type: 'object' },
  },
};

export function defaultSchemaDir() {
  if (process.env.OSBUILD_DOUBLE_SCHEMAS) return process.env.OSBUILD_DOUBLE_SCHEMAS;
  return path.resolve(import.meta.dirname, '../../../../shared/reference/osbuild-schemas');
}

export class ValidationResult {
  constructor() {
    this.errors = new Map();
  }
  add(message, p) {
    const id = pathId(p);
    const key = `${id}\u0000${message}`;
    if (!this.errors.has(key)) this.errors.set(key, { message, path: p, id });
  }
  get valid() {
    return this.errors.size === 0;
  }
  sorted() {
    return [...this.errors.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
  asDict() {
    return {
      type: FAILED_TYPEURI,
      title: FAILED_TITLE,
      success: false,
      errors: this.sorted().map((e) => ({ message: e.message, path: e.path })),
    };
  }
}

export function pathId(p) {
  if (!p.length) return '.';
  return p.map((x) => (typeof x === 'number' ? `[${x}]` : `.${x.includes(' ') ? `'${x}'` : x}`)).join('');
}

export class Validator {
  constructor(schemaDir = defaultSchemaDir()) {
    this.schemaDir = schemaDir && existsSync(path.join(schemaDir, 'schemas', 'osbuild2.json')) ? schemaDir : null;
    this.ajv = new Ajv({ allErrors: true, verbose: true, strict: false, code: { optimize: false }, unicodeRegExp: false, validateSchema: false, addUsedSchema: false });
    this.cache = new Map();
  }

  hasModule(klass, name) {
    if (!this.schemaDir) return typeof name === 'string' && /^org\.osbuild\.[A-Za-z0-9._-]+$/.test(name);
    return this.loadMeta(klass, name) !== null;
  }

  loadMeta(klass, name) {
    if (typeof name !== 'string' || name.includes('/')) return null;
    const key = `meta:${klass}:${name}`;
    if (this.cache.has(key)) return this.cache.get(key);
    const file = path.join(this.schemaDir, MODULE_DIRS[klass], `${name}.meta.json`);
    const meta = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
    this.cache.set(key, meta);
    return meta;
  }

  // meta.ModuleInfo.get_schema(version="2")
  moduleSchema(klass, name) {
    const meta = this.loadMeta(klass, name);
    if (!meta) return null;
    const v1 = meta.schema;
    const v2 = meta.schema_2;
    const schema = { title: `Pipeline ${klass}`, type: 'object', additionalProperties: false };
    if (klass === 'Stage') {
      const opts = v2 ?? { options: v1 };
      schema.properties = { type: { enum: [name] }, ...structuredClone(opts) };
      if (!('mounts' in schema.properties)) schema.properties.mounts = { type: 'array' };
      if (!('devices' in schema.properties)) schema.properties.devices = { type: 'object', additionalProperties: true };
      schema.required = ['type'];
    } else if (klass === 'Device') {
      schema.additionalProperties = true;
      schema.properties = { type: { enum: [name] }, options: structuredClone(v2 ?? v1) };
    } else if (klass === 'Mount') {
      Object.assign(schema, structuredClone(v2));
      schema.properties = schema.properties ?? {};
      schema.properties.type = { enum: [name] };
    } else {
      Object.assign(schema, structuredClone(v2 ?? v1));
    }
    const props = schema.properties ?? {};
    if (props.definitions) {
      schema.definitions = props.definitions;
      delete props.definitions;
    }
    if (props.options?.definitions) {
      schema.definitions = props.options.definitions;
      delete props.options.definitions;
    }
    return schema;
  }

  compiled(key, makeSchema) {
    if (this.cache.has(key)) return this.cache.get(key);
    const schema = makeSchema();
    const fn = schema ? this.ajv.compile(schema) : null;
    this.cache.set(key, fn);
    return fn;
  }

  run(fn, target, base, result) {
    if (fn(target)) return;
    // jsonschema names all unexpected properties of one object in a single error; ajv reports each.
    const extras = new Map();
    for (const e of fn.errors) {
      if (e.keyword !== 'additionalProperties') continue;
      const k = `${e.instancePath}\u0000${e.schemaPath}`;
      if (!extras.has(k)) extras.set(k, []);
      extras.get(k).push(e.params.additionalProperty);
    }
    for (const e of fn.errors) {
      // jsonschema reports an anyOf/oneOf/not failure as one error; ajv also lists each branch's errors.
      if (/\/(anyOf|oneOf)\/\d+\/|\/not\//.test(e.schemaPath)) continue;
      let err = e;
      if (e.keyword === 'additionalProperties') {
        const k = `${e.instancePath}\u0000${e.schemaPath}`;
        if (!extras.has(k)) continue;
        err = { ...e, params: { additionalProperties: extras.get(k) } };
        extras.delete(k);
      }
      const p = [...base, ...instancePath(target, e.instancePath)];
      result.add(pythonMessage(err, target), p);
    }
  }

  validateModule(klass, mod, base, result) {
    const name = mod?.type;
    if (!name) return;
    const fn = this.schemaDir ? this.compiled(`${klass}:${name}`, () => this.moduleSchema(klass, name)) : null;
    if (this.schemaDir && !fn) {
      result.add(`could not find schema information for '${name}'`, base);
      return;
    }
    if (!this.schemaDir) {
      if (!this.hasModule(klass, name)) result.add(`could not find schema information for '${name}'`, base);
      return;
    }
    this.run(fn, mod, base, result);
  }

  /** A manifest without "version" is v1 for osbuild: check it against osbuild1.json (the double builds only v2). */
  validateV1(manifest) {
    const result = new ValidationResult();
    if (this.schemaDir) {
      const fn = this.compiled('Manifest1', () => JSON.parse(readFileSync(path.join(this.schemaDir, 'schemas', 'osbuild1.json'), 'utf8')));
      this.run(fn, manifest, [], result);
    }
    if (result.valid) result.add('osbuild double: manifest format version 1 is not supported', []);
    return result;
  }

  // Sources carry their type as the key in `sources`, not as a member.
  validateSource(name, source, base, result) {
    const fn = this.schemaDir ? this.compiled(`Source:${name}`, () => this.moduleSchema('Source', name)) : null;
    if (!(this.schemaDir ? fn : this.hasModule('Source', name))) {
      result.add(`could not find schema information for '${name}'`, base);
      return;
    }
    if (fn) this.run(fn, source, base, result);
  }

  validate(manifest) {
    const result = new ValidationResult();
    const top = this.compiled('Manifest', () =>
      this.schemaDir ? JSON.parse(readFileSync(path.join(this.schemaDir, 'schemas', 'osbuild2.json'), 'utf8')) : BUILTIN_MANIFEST_SCHEMA,
    );
    this.run(top, manifest, [], result);
    if (!manifest || typeof manifest !== 'object') return result;
    for (const [name, source] of Object.entries(isObj(manifest.sources) ? manifest.sources : {})) {
      this.validateSource(name, source, ['sources', name], result);
    }
    (Array.isArray(manifest.pipelines) ? manifest.pipelines : []).forEach((pl, i) => {
      const stages = isObj(pl) && Array.isArray(pl.stages) ? pl.stages : [];
      stages.forEach((stage, j) => {
        if (!isObj(stage)) return;
        const base = ['pipelines', i, 'stages', j];
        this.validateModule('Stage', stage, base, result);
        for (const [klass, group] of [['Device', 'devices'], ['Input', 'inputs'], ['Mount', 'mounts']]) {
          let items = stage[group] ?? {};
          if (Array.isArray(items)) items = Object.fromEntries(items.filter(isObj).map((m) => [m.name, m]));
          if (!isObj(items)) continue;
          for (const [n, mod] of Object.entries(items)) if (isObj(mod)) this.validateModule(klass, mod, [...base, group, n], result);
        }
      });
    });
    return result;
  }
}

function isObj(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function instancePath(target, pointer) {
  if (!pointer) return [];
  const out = [];
  let cur = target;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      out.push(Number(seg));
      cur = cur[Number(seg)];
    } else {
      out.push(seg);
      cur = cur?.[seg];
    }
  }
  return out;
}

function valueAt(target, pointer) {
  let cur = target;
  for (const raw of pointer.split('/').slice(1)) cur = cur?.[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  return cur;
}

// python-jsonschema's Draft4 messages (jsonschema/_keywords.py, _legacy_keywords.py).
function pythonMessage(e, target) {
  const inst = valueAt(target, e.instancePath);
  const p = e.params ?? {};
  switch (e.keyword) {
    case 'additionalProperties': {
      const extras = p.additionalProperties ?? [p.additionalProperty];
      const patterns = e.parentSchema?.patternProperties ? Object.keys(e.parentSchema.patternProperties) : null;
      if (patterns) {
        const verb = extras.length === 1 ? 'does' : 'do';
        return `${[...extras].sort().map(pyRepr).join(', ')} ${verb} not match any of the regexes: ${patterns.sort().map(pyRepr).join(', ')}`;
      }
      return `Additional properties are not allowed (${extras.map(pyRepr).join(', ')} ${extras.length === 1 ? 'was' : 'were'} unexpected)`;
    }
    case 'enum':
      return `${pyRepr(inst)} is not one of ${pyRepr(p.allowedValues ?? e.schema)}`;
    case 'required':
      return `${pyRepr(p.missingProperty)} is a required property`;
    case 'type': {
      const types = Array.isArray(e.schema) ? e.schema : [e.schema];
      return `${pyRepr(inst)} is not of type ${types.map(pyRepr).join(', ')}`;
    }
    case 'pattern':
      return `${pyRepr(inst)} does not match ${pyRepr(p.pattern)}`;
    case 'minimum':
      return p.comparison === '>' ? `${pyRepr(inst)} is less than or equal to the minimum of ${p.limit}` : `${pyRepr(inst)} is less than the minimum of ${p.limit}`;
    case 'maximum':
      return p.comparison === '<' ? `${pyRepr(inst)} is greater than or equal to the maximum of ${p.limit}` : `${pyRepr(inst)} is greater than the maximum of ${p.limit}`;
    case 'minLength':
    case 'minItems':
      return `${pyRepr(inst)} is too short`;
    case 'maxLength':
    case 'maxItems':
      return `${pyRepr(inst)} is too long`;
    case 'minProperties':
      return `${pyRepr(inst)} does not have enough properties`;
    case 'maxProperties':
      return `${pyRepr(inst)} has too many properties`;
    case 'uniqueItems':
      return `${pyRepr(inst)} has non-unique elements`;
    case 'anyOf':
      return `${pyRepr(inst)} is not valid under any of the given schemas`;
    case 'oneOf':
      return p.passingSchemas ? `${pyRepr(inst)} is valid under each of ${p.passingSchemas.map(String).join(', ')}` : `${pyRepr(inst)} is not valid under any of the given schemas`;
    case 'not':
      return `${pyRepr(inst)} should not be valid under ${pyRepr(e.schema)}`;
    case 'multipleOf':
      return `${pyRepr(inst)} is not a multiple of ${p.multipleOf}`;
    case 'additionalItems':
      return `Additional items are not allowed`;
    case 'dependencies':
      return `${pyRepr(p.missingProperty)} is a dependency of ${pyRepr(p.property)}`;
    default:
      return e.message ?? `${e.keyword} validation failed`;
  }
}
