// The architecture's import rules (eslint.config.js) and the pure layers' Node-free typecheck
// (tsconfig.pure.json) catch what they are for. Each case plants a violation in memory only: ESLint's
// lintText with a filePath under the layer, and a TypeScript program whose host serves the planted
// file, so nothing is written to the tree. Allowed imports are checked too, so the rules cannot pass by
// flagging everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { repoRoot } from '../helpers/vectors.js';

/** The source tree (not the build dir): REPO_ROOT when the tests run from a build outside dist/. */
const ROOT = resolve(process.env.REPO_ROOT ?? repoRoot);
const eslint = new ESLint({ cwd: ROOT });

/** The rule ids ESLint reports for `text` as if it were the file at `path` (relative to the root). */
async function ruleIds(path: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: join(ROOT, path) });
  assert.ok(result, path);
  const fatal = result.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], `${path} did not parse`);
  return [...new Set(result.messages.map((m) => m.ruleId ?? ''))].sort();
}

const violations: readonly (readonly [string, string, string, string])[] = [
  ['a node: built-in in firmware-policy', 'firmware-policy/planted.ts', "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n", 'import-x/no-nodejs-modules'],
  ['a bare built-in in firmware-policy', 'firmware-policy/rules/planted.ts', "import { randomBytes } from 'crypto';\nexport const f = randomBytes;\n", 'import-x/no-nodejs-modules'],
  ['a node: built-in in protocol', 'protocol/planted.ts', "import { setTimeout } from 'node:timers/promises';\nexport const f = setTimeout;\n", 'import-x/no-nodejs-modules'],
  ['a package other than @noble in firmware-policy', 'firmware-policy/planted.ts', "import { Hono } from 'hono';\nexport const f = Hono;\n", 'no-restricted-imports'],
  ['Buffer in protocol', 'protocol/planted.ts', 'export const b = Buffer.alloc(4);\n', 'no-restricted-globals'],
  ['process in firmware-policy', 'firmware-policy/planted.ts', 'export const env = process.env;\n', 'no-restricted-globals'],
  ['appliance/ from firmware-policy', 'firmware-policy/evm/planted.ts', "import type { TokenKey } from '../../appliance/keystore.js';\nexport type K = TokenKey;\n", 'import-x/no-restricted-paths'],
  [
    'attestation/ from firmware-policy',
    'firmware-policy/planted.ts',
    "import { decodeCoseSign1 } from '../attestation/cose-sign1.js';\nexport const f = decodeCoseSign1;\n",
    'import-x/no-restricted-paths',
  ],
  ['firmware-policy/ from protocol', 'protocol/planted.ts', "import { evaluate } from '../firmware-policy/evaluate.js';\nexport const f = evaluate;\n", 'import-x/no-restricted-paths'],
  ['appliance/ from host-bridge', 'host-bridge/planted.ts', "import type { TokenKey } from '../appliance/keystore.js';\nexport type K = TokenKey;\n", 'import-x/no-restricted-paths'],
  ['softhsm-config/ from host-bridge', 'host-bridge/planted.ts', "import * as token from '../softhsm-config/create-token.js';\nexport const t = token;\n", 'import-x/no-restricted-paths'],
  ['cli/ from host-bridge', 'host-bridge/planted.ts', "import * as cli from '../cli/hsmctl.js';\nexport const c = cli;\n", 'import-x/no-restricted-paths'],
  ['appliance/ from ledger', 'ledger/planted.ts', "import type { TokenKey } from '../appliance/keystore.js';\nexport type K = TokenKey;\n", 'import-x/no-restricted-paths'],
  ['firmware-policy/ from ledger', 'ledger/planted.ts', "import { evaluate } from '../firmware-policy/evaluate.js';\nexport const f = evaluate;\n", 'import-x/no-restricted-paths'],
  ['appliance/ from orchestrator', 'orchestrator/planted.ts', "import type { TokenKey } from '../appliance/keystore.js';\nexport type K = TokenKey;\n", 'import-x/no-restricted-paths'],
  ['firmware-policy/ from custody', 'custody/planted.ts', "import { evaluate } from '../firmware-policy/evaluate.js';\nexport const f = evaluate;\n", 'import-x/no-restricted-paths'],
  [
    'another firmware-policy module from attestation/cose-sign1.ts',
    'attestation/cose-sign1.ts',
    "import { evaluate } from '../firmware-policy/evaluate.js';\nexport const f = evaluate;\n",
    'import-x/no-restricted-paths',
  ],
  // protocol/cbor.ts imports ./errors.js, so errors.ts importing cbor.js closes a cycle.
  ['an import cycle', 'protocol/errors.ts', "import { encodeCanonical } from './cbor.js';\nexport const f = encodeCanonical;\nexport class ApplianceError extends Error {}\n", 'import-x/no-cycle'],
];

for (const [what, path, text, rule] of violations) {
  test(`lint refuses ${what} (${rule})`, async () => {
    assert.ok((await ruleIds(path, text)).includes(rule), `${rule} not reported for ${path}`);
  });
}

test('lint allows what the layers may import', async () => {
  const allowed: readonly (readonly [string, string])[] = [
    [
      'firmware-policy/planted.ts',
      "import { sha256 } from '@noble/hashes/sha2.js';\nimport { equalBytes } from '../protocol/bytes.js';\nimport { parsePolicy } from './policy-document.js';\nexport const f = [sha256, equalBytes, parsePolicy];\n",
    ],
    ['protocol/planted.ts', "import { keccak_256 } from '@noble/hashes/sha3.js';\nimport { ApplianceError } from './errors.js';\nexport const f = [keccak_256, ApplianceError];\n"],
    [
      'host-bridge/planted.ts',
      "import { readFileSync } from 'node:fs';\nimport { ApplianceError } from '../protocol/errors.js';\nimport { parsePolicy } from '../firmware-policy/policy-document.js';\nexport const f = [readFileSync, ApplianceError, parsePolicy];\n",
    ],
    ['ledger/planted.ts', "import { createHash } from 'node:crypto';\nimport type { Db } from './db.js';\nexport const f: [typeof createHash, Db?] = [createHash, undefined];\n"],
    [
      'appliance/planted.ts',
      "import type { TokenKey } from './keystore.js';\nimport { evaluate } from '../firmware-policy/evaluate.js';\nexport const f: [TokenKey?, typeof evaluate?] = [undefined, evaluate];\n",
    ],
  ];
  for (const [path, text] of allowed) assert.deepEqual(await ruleIds(path, text), [], path);
});

/** Diagnostics of tsconfig.pure.json's program with one more file, served from memory. */
function pureDiagnostics(path: string, text: string): string[] {
  const configPath = join(ROOT, 'tsconfig.pure.json');
  const read = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  assert.equal(read.error, undefined);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT, undefined, configPath);
  assert.deepEqual(parsed.errors, []);
  assert.deepEqual(parsed.options.types, []);
  const planted = join(ROOT, path);
  const host = ts.createCompilerHost(parsed.options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (resolve(name) === planted ? ts.createSourceFile(name, text, lang) : getSourceFile(name, lang, ...rest));
  host.fileExists = (name) => resolve(name) === planted || fileExists(name);
  // The planted file and the config's declaration files (pure-types/); what it imports comes along.
  const rootNames = [...parsed.fileNames.filter((f) => f.endsWith('.d.ts')), planted];
  const program = ts.createProgram({ rootNames, options: parsed.options, host });
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? d.file.fileName.slice(ROOT.length + 1) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
}

test('the pure typecheck has no Node types: Buffer, process and node: modules do not compile in firmware-policy', () => {
  const cases: readonly (readonly [string, RegExp])[] = [
    ["import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n", /Cannot find module 'node:fs'/],
    ['export const b: Uint8Array = Buffer.alloc(4);\n', /Cannot find name 'Buffer'/],
    ['export const e = process.env;\n', /Cannot find name 'process'/],
    ['export const t = setTimeout;\n', /Cannot find name 'setTimeout'/],
  ];
  for (const [text, expected] of cases) {
    const diagnostics = pureDiagnostics('firmware-policy/planted.ts', text);
    assert.ok(
      diagnostics.some((d) => d.startsWith('firmware-policy/planted.ts') && expected.test(d)),
      `${expected} not among ${JSON.stringify(diagnostics)}`,
    );
  }
  // The same program compiles an allowed file: TextEncoder, @noble and protocol/ stay available.
  const allowed =
    "import { sha256 } from '@noble/hashes/sha2.js';\nimport { equalBytes } from '../protocol/bytes.js';\nexport const ok = equalBytes(sha256(new TextEncoder().encode('a')), new Uint8Array(32));\n";
  assert.deepEqual(pureDiagnostics('firmware-policy/planted.ts', allowed), []);
});
