// host-bridge/openapi-results.ts documents the readable members readable-json.ts adds: an ISO string
// beside every unix-seconds member of the result schemas (required when the time is), none inside a
// signed statement, and the explanation of every reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESULT_SCHEMAS } from '../../host-bridge/openapi-results.js';
import { TIME_FIELDS } from '../../host-bridge/readable-json.js';

type Schema = { properties?: Record<string, Schema>; required?: string[]; items?: Schema; oneOf?: Schema[]; type?: string };

/** Every object schema under `s` with the path to it, not entering `statement` members. */
function objects(s: Schema, path: string, out: [string, Schema][] = []): [string, Schema][] {
  if (s.properties) out.push([path, s]);
  for (const [k, v] of Object.entries(s.properties ?? {})) if (k !== 'statement') objects(v, `${path}.${k}`, out);
  if (s.items) objects(s.items, `${path}[]`, out);
  s.oneOf?.forEach((b, i) => objects(b, `${path}|${i}`, out));
  return out;
}

test('every unix-seconds member of a result schema has its Iso member beside it', () => {
  let times = 0;
  for (const [name, schema] of Object.entries(RESULT_SCHEMAS)) {
    for (const [path, o] of objects(schema as Schema, name)) {
      for (const [k, v] of Object.entries(o.properties!)) {
        if (!(TIME_FIELDS as readonly string[]).includes(k) || !(v.type === 'integer' || v.oneOf)) continue;
        times++;
        assert.ok(o.properties![`${k}Iso`], `${path}.${k}Iso is documented`);
        assert.equal(o.required?.includes(`${k}Iso`) ?? false, v.type === 'integer' && (o.required?.includes(k) ?? false), `${path}.${k}Iso is required exactly when ${k} is a required integer`);
      }
    }
  }
  assert.ok(times >= 20, `${times} time members seen`);
});

test('a signed statement is documented as approvers sign it, and a reason with its explanation', () => {
  const time = RESULT_SCHEMAS.DeviceTime as Schema;
  assert.deepEqual(time.required?.filter((k) => k.endsWith('Iso')).sort(), ['hostTimeIso', 'latestIso', 'timeIso']);
  assert.equal(time.properties?.statement?.properties?.timeIso, undefined);
  assert.equal(time.properties?.statement?.properties?.expiresAtIso, undefined);
  const reason = RESULT_SCHEMAS.Reason as Schema;
  assert.ok(reason.required?.includes('explanation'));
  assert.ok(reason.required?.includes('message'));
});
