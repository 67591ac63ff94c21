// A small JSON Schema checker for the subset the API descriptions use: type (one or a list), const,
// enum, pattern, minLength, maxLength, minimum, maximum, required, properties, additionalProperties (false or a schema), items, minItems, maxItems, oneOf (exactly one
// branch) and local $ref (#/components/schemas/...). Keywords outside the subset are ignored, so a
// schema using one is not checked by it; this is for the tests, not a general validator.

export type JsonSchema = Record<string, unknown>;

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);

function resolve(root: JsonSchema, ref: string): JsonSchema {
  if (!ref.startsWith('#/')) throw new Error(`only local references are followed: ${ref}`);
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  if (!node || typeof node !== 'object') throw new Error(`unresolved reference ${ref}`);
  return node as JsonSchema;
}

/** Every way `value` breaks `schema` (empty when it conforms), each as "<path>: <what>". `root` holds the $ref targets. */
export function schemaErrors(value: unknown, schema: JsonSchema, root: JsonSchema, path = '$'): string[] {
  if (typeof schema.$ref === 'string') return schemaErrors(value, resolve(root, schema.$ref), root, path);
  const errors: string[] = [];
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    const t = typeOf(value);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return [`${path}: expected ${types.join(' or ')}, got ${t}`];
  }
  if ('const' in schema && JSON.stringify(value) !== JSON.stringify(schema.const)) errors.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value)))
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string') {
    // Lengths in code points, as JSON Schema counts them.
    const n = [...value].length;
    if (typeof schema.minLength === 'number' && n < schema.minLength) errors.push(`${path}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && n > schema.maxLength) errors.push(`${path}: longer than ${schema.maxLength}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path}: below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${path}: above ${schema.maximum}`);
  }
  if (typeof schema.pattern === 'string' && typeof value === 'string' && !new RegExp(schema.pattern, 'u').test(value)) errors.push(`${path}: "${value.slice(0, 80)}" does not match ${schema.pattern}`);
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    for (const k of (schema.required as string[] | undefined) ?? []) if (!(k in obj)) errors.push(`${path}: missing required member "${k}"`);
    const props = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) errors.push(...schemaErrors(v, props[k], root, `${path}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected member "${k}"`);
      else if (typeof schema.additionalProperties === 'object' && schema.additionalProperties !== null)
        errors.push(...schemaErrors(v, schema.additionalProperties as JsonSchema, root, `${path}.${k}`));
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) errors.push(`${path}: more than ${schema.maxItems} items`);
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => errors.push(...schemaErrors(v, schema.items as JsonSchema, root, `${path}[${i}]`)));
  if (Array.isArray(schema.oneOf)) {
    const results = (schema.oneOf as JsonSchema[]).map((s) => schemaErrors(value, s, root, path));
    const passing = results.filter((r) => r.length === 0).length;
    if (passing !== 1) errors.push(passing === 0 ? `${path}: matches no branch of oneOf (${results.map((r) => r[0]).join(' | ')})` : `${path}: matches ${passing} branches of oneOf`);
  }
  return errors;
}
