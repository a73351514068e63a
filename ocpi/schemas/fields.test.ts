// The schemas against the machine-readable field tables of the spec (../shared/ocpi/fields-2.2.1.json):
// every object has a schema, every field its cardinality and type rule, every enum its values.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isOcpiTypeName, validate, type OcpiTypeName } from '../validate.ts';
import * as schemas from './index.ts';
import { DATE_TIME_MESSAGE } from './primitives.ts';
import { sampleOf } from './samples.ts';
import { sharedOcpi } from '../testing/sharedFixtures.ts';

interface FieldSpec {
  property: string;
  type: string;
  card: '1' | '?' | '*' | '+';
}
interface FieldsFile {
  objects: Record<string, FieldSpec[]>;
  enums: Record<string, string[]>;
}

const spec = JSON.parse(
  readFileSync(sharedOcpi('fields-2.2.1.json'), 'utf8'),
) as FieldsFile;

const snakeCase = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
const typeNameOf = (objectName: string) => snakeCase(objectName) as OcpiTypeName;
const enumValues = (name: string): string[] | undefined => spec.enums[name];

const fields = Object.entries(spec.objects).flatMap(([objectName, list]) =>
  list.map((field) => ({ ...field, objectName, typeName: typeNameOf(objectName) })),
);
type FieldCase = (typeof fields)[number];

function errorsFor(c: FieldCase, value: unknown, mode: 'set' | 'delete' = 'set') {
  const sample = sampleOf(c.typeName) as Record<string, unknown>;
  if (mode === 'delete') delete sample[c.property];
  else sample[c.property] = value;
  const result = validate(c.typeName, sample);
  return result.ok ? [] : result.errors;
}

const isList = (c: FieldCase) => c.card === '*' || c.card === '+';

/** A value breaking the field's type rule, and the message it must produce. */
function wrongValues(c: FieldCase): { value: unknown; message: string }[] {
  const length = /^(CiString|string)\((\d+)\)$/.exec(c.type);
  if (length) {
    const max = Number(length[2]);
    const tooLong = { value: 'A'.repeat(max + 1), message: `must be at most ${max} characters` };
    return length[1] === 'CiString'
      ? [tooLong, { value: 'é', message: 'must contain only printable ASCII characters' }]
      : [tooLong, { value: 'a\nb', message: 'must be printable text without control characters (CR, LF, tab, ...)' }];
  }
  if (c.type === 'URL') return [{ value: `https://x/${'a'.repeat(246)}`, message: 'must be at most 255 characters' }];
  if (c.type === 'DateTime') return [{ value: '2015-06-29T20:39:09+00:00', message: DATE_TIME_MESSAGE }];
  if (/^int(\(\d+\))?$/.test(c.type)) return [{ value: 1.5, message: 'must be an integer' }];
  if (c.type === 'number') return [{ value: '1', message: 'must be a number, got string' }];
  if (c.type === 'boolean') return [{ value: 'true', message: 'must be true or false, got string' }];
  const values = enumValues(c.type);
  if (values) return [{ value: 'NOT_A_VALUE', message: `must be one of ${values.join(', ')}` }];
  if (spec.objects[c.type]) return [{ value: 42, message: 'must be an object, got number' }];
  throw new Error(`no rule for type ${c.type}`);
}

describe('fields-2.2.1.json', () => {
  it.each(Object.keys(spec.objects))('%s has a type name and a schema', (objectName) => {
    expect(isOcpiTypeName(typeNameOf(objectName))).toBe(true);
  });

  it.each(Object.keys(spec.objects))('%s: the schema has exactly the spec fields', (objectName) => {
    const schema = schemas.schemaFor(typeNameOf(objectName));
    expect(schema).toBeInstanceOf(z.ZodObject);
    const shape = (schema as z.ZodObject).shape;
    expect(Object.keys(shape).sort()).toEqual(spec.objects[objectName].map((f) => f.property).sort());
  });

  it.each(Object.entries(spec.enums))('enum %s has the spec values', (name, values) => {
    const exportName = `${name === 'ModuleID' ? 'ModuleId' : name}Schema`;
    const schema = (schemas as Record<string, unknown>)[exportName] as { options: string[] };
    expect(schema.options).toEqual(values);
  });

  describe('cardinality', () => {
    it.each(fields.filter((f) => f.card === '1'))('$objectName: $property (1) is required and not nullable', (c) => {
      expect(errorsFor(c, undefined, 'delete')).toContainEqual({ path: c.property, message: 'required field missing' });
      expect(errorsFor(c, null)).toContainEqual({ path: c.property, message: 'must not be null' });
    });

    it.each(fields.filter((f) => f.card === '?'))('$objectName: $property (?) may be null or omitted', (c) => {
      const onField = (e: { path: string }) => e.path === c.property || e.path.startsWith(`${c.property}.`);
      expect(errorsFor(c, null).filter(onField)).toEqual([]);
      expect(errorsFor(c, undefined, 'delete').filter(onField)).toEqual([]);
    });

    it.each(fields.filter((f) => f.card === '*'))('$objectName: $property (*) may be null, empty or omitted', (c) => {
      for (const value of [null, []]) expect(errorsFor(c, value).filter((e) => e.path === c.property)).toEqual([]);
      expect(errorsFor(c, undefined, 'delete').filter((e) => e.path === c.property)).toEqual([]);
    });

    it.each(fields.filter((f) => f.card === '+'))('$objectName: $property (+) is a required non-empty list', (c) => {
      expect(errorsFor(c, [])).toContainEqual({ path: c.property, message: 'must contain at least 1 item' });
      expect(errorsFor(c, undefined, 'delete')).toContainEqual({ path: c.property, message: 'required field missing' });
      expect(errorsFor(c, null)).toContainEqual({ path: c.property, message: 'must not be null' });
    });

    it.each(fields.filter(isList))('$objectName: $property ($card) must be a list', (c) => {
      expect(errorsFor(c, 'x')).toContainEqual({ path: c.property, message: 'must be a list, got string' });
    });
  });

  describe('type rules', () => {
    it.each(fields)('$objectName: $property is checked as $type', (c) => {
      for (const { value, message } of wrongValues(c)) {
        const path = isList(c) ? `${c.property}[0]` : c.property;
        expect(errorsFor(c, isList(c) ? [value] : value)).toContainEqual({ path, message });
      }
    });
  });
});
