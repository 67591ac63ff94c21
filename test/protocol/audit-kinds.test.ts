// The audit kinds are one closed list (protocol/audit-kinds.ts). The compiler already refuses an
// append whose kind is not in it; this test reads the source tree for the two things it cannot see:
// a kind in the list that the appliance never writes, and a kind that a reader (the verifier, the
// bridge, hsmctl, the red team, the fuzzer, the tests) looks for on a decoded payload but that is
// not in the list, so never written (the check would be dead).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT_KINDS, DECISION_KINDS, auditKindOf, isAuditKind } from '../../protocol/audit-kinds.js';
import { repoRoot } from '../helpers/vectors.js';

/** Every .ts file under `dir` (the source tree, never the build), '/'-separated paths from the root. */
function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(repoRoot, dir)).sort()) {
    const rel = `${dir}/${name}`;
    if (statSync(join(repoRoot, rel)).isDirectory()) out.push(...tsFiles(rel));
    else if (name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

/** The file's text without whole-line comments (the module headers name kinds in prose). */
function code(file: string): string {
  return readFileSync(join(repoRoot, file), 'utf8')
    .split('\n')
    .filter((l) => !/^\s*(\/\/|\/\*|\*)/.test(l))
    .join('\n');
}

test('the list has no duplicates, and the decision kinds are audit kinds', () => {
  assert.equal(new Set(AUDIT_KINDS).size, AUDIT_KINDS.length);
  for (const k of DECISION_KINDS) assert.ok(isAuditKind(k), k);
  assert.equal(auditKindOf({ kind: 'tamper.detected' }), 'tamper.detected');
  assert.equal(auditKindOf({ kind: 'state.restore' }), undefined);
  assert.equal(auditKindOf({}), undefined);
});

test('every kind in the list is written by the appliance (the list holds no unused kind)', () => {
  const files = tsFiles('appliance');
  assert.ok(files.length > 30, `too few appliance files: ${files.length}`);
  const text = files.map(code).join('\n');
  const unused = AUDIT_KINDS.filter((k) => !text.includes(`'${k}'`));
  assert.deepEqual(unused, [], 'kinds no appliance source names (remove them from protocol/audit-kinds.ts, or write them)');
});

test('every dotted kind a reader compares or builds is in the list (no check for a kind never written)', () => {
  // `kind === 'a.b'`, `kind !== 'a.b'`, `kind: 'a.b'` and `case 'a.b':` in a file that reads kinds.
  const pattern = /(?:kind\s*(?:===|!==|:)\s*|case\s+)'([a-z0-9]+(?:\.[a-z0-9-]+)+)'/g;
  const seen = new Map<string, string[]>();
  for (const dir of ['appliance', 'attestation', 'cli', 'host-bridge', 'reliability', 'test']) {
    for (const file of tsFiles(dir)) {
      if (file === 'test/protocol/audit-kinds.test.ts') continue;
      const text = code(file);
      // The ledger's posting kinds (ledger/transitions.ts) are its own vocabulary, not audit entries:
      // a file that imports the ledger speaks it.
      if (file.startsWith('test/ledger/') || /from '(\.\.\/)+ledger\//.test(text)) continue;
      if (!text.includes('kind')) continue;
      for (const m of text.matchAll(pattern)) seen.set(m[1]!, [...(seen.get(m[1]!) ?? []), file]);
    }
  }
  // Not vacuous: the bridge's event feed and the red team both look for kinds this way.
  assert.ok(seen.has('whitelist.approve') && seen.has('tamper.detected') && seen.has('refusal.repeated'), [...seen.keys()].join(', '));
  const unknown = [...seen].filter(([k]) => !isAuditKind(k)).map(([k, files]) => `${k} (${[...new Set(files)].join(', ')})`);
  assert.deepEqual(unknown, []);
});
