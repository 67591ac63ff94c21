// The reason codes are one closed list (firmware-policy/reason-codes.ts): `Reason.code` has its type,
// so no rule can give a code outside it. This test reads the evaluator's source for the other
// direction: every code in the list is given by some rule (the list holds no code nobody produces),
// and the bridge's API description offers exactly the list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REASON_CODES, isReasonCode } from '../../firmware-policy/reason-codes.js';
import { ERROR_CODES } from '../../protocol/errors.js';
import { openApiDocument } from '../../host-bridge/openapi.js';
import { repoRoot } from '../helpers/vectors.js';

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(repoRoot, dir)).sort()) {
    const rel = `${dir}/${name}`;
    if (statSync(join(repoRoot, rel)).isDirectory()) out.push(...tsFiles(rel));
    else if (name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

test('every reason code is given by a rule of the evaluator, once in the list', () => {
  assert.equal(new Set(REASON_CODES).size, REASON_CODES.length);
  const files = tsFiles('firmware-policy').filter((f) => f !== 'firmware-policy/reason-codes.ts');
  const given = new Set<string>();
  for (const f of files) for (const m of readFileSync(join(repoRoot, f), 'utf8').matchAll(/\bcode: '([a-z0-9_]+)'/g)) given.add(m[1]!);
  assert.deepEqual(
    REASON_CODES.filter((c) => !given.has(c)),
    [],
    'codes in the list that no rule gives',
  );
  assert.deepEqual(
    [...given].filter((c) => !isReasonCode(c)),
    [],
    'codes a rule gives that are not in the list',
  );
});

test('the API description lists the error and reason codes from their source lists', () => {
  const schemas = openApiDocument.components.schemas as unknown as Record<string, { properties: Record<string, { properties?: Record<string, { enum?: unknown }>; enum?: unknown }> }>;
  assert.deepEqual(schemas.Problem!.properties.code!.enum, [...ERROR_CODES]);
  assert.deepEqual(schemas.Reason!.properties.code!.enum, [...REASON_CODES]);
});
