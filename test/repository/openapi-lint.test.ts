// Both API descriptions pass Redocly's `recommended` lint rules with no error and no warning: the
// bridge's (host-bridge/openapi.ts) and the custody service's with every module it loads. Each
// document is written to a temporary file and linted by the @redocly/cli in node_modules, the way an
// integrator would lint it; a finding fails the test and the message names its rule and place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { openApiDocument } from '../../host-bridge/openapi.js';
import { openLedgerDb } from '../../ledger/open-ledger.js';
import { CustodyTokens } from '../../custody/auth.js';
import { createCustodyApp } from '../../custody/app.js';
import { SERVICE_MODULES } from '../../custody/modules.js';
import { repoRoot } from '../helpers/vectors.js';

/** The redocly bin script, found through the package's own "bin" entry. */
function redoclyBin(): string {
  const require = createRequire(join(repoRoot, 'package.json'));
  const pkgPath = require.resolve('@redocly/cli/package.json');
  const bin = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { bin: Record<string, string> }).bin.redocly!;
  return join(dirname(pkgPath), bin);
}

interface LintProblem {
  ruleId: string;
  severity: string;
  message: string;
  location: { pointer?: string }[];
}

/** Lints `doc` with `redocly lint --extends recommended`: its exit code and every problem it reports. */
async function lint(name: string, doc: object): Promise<{ code: number; problems: LintProblem[]; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'openapi-lint-'));
  try {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(doc, null, 1));
    // No telemetry and no update check: the test makes no network call.
    const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };
    return await new Promise((resolve, reject) => {
      execFile(process.execPath, [redoclyBin(), 'lint', '--extends', 'recommended', '--format', 'json', file], { cwd: repoRoot, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        const start = stdout.indexOf('{');
        if (start < 0) return reject(new Error(`redocly printed no JSON report (exit ${code}): ${stderr}`));
        const report = JSON.parse(stdout.slice(start)) as { problems: LintProblem[] };
        resolve({ code, problems: report.problems, stderr });
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function findings(problems: LintProblem[]): string {
  return problems.map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer ?? '?'}: ${p.message}`).join('\n');
}

test("the bridge's API description passes redocly lint (recommended) with no error or warning", async () => {
  const { code, problems, stderr } = await lint('bridge', openApiDocument);
  assert.deepEqual(
    problems.map((p) => p.ruleId),
    [],
    `redocly lint found:\n${findings(problems)}`,
  );
  assert.equal(code, 0, stderr);
});

test("the custody service's API description, with every module it loads, passes redocly lint (recommended)", async () => {
  const db = await openLedgerDb();
  try {
    const app = createCustodyApp({ db, tokens: new CustodyTokens([]), modules: SERVICE_MODULES });
    const res = await app.request('/openapi.json');
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { paths: Record<string, unknown> };
    // The withdrawal, deposit, sweep and reconciliation modules are in the document, not only the ledger's.
    assert.ok(
      Object.keys(doc.paths).some((p) => p.startsWith('/v1/withdrawals')),
      Object.keys(doc.paths).join(' '),
    );
    const { code, problems, stderr } = await lint('custody', doc);
    assert.deepEqual(
      problems.map((p) => p.ruleId),
      [],
      `redocly lint found:\n${findings(problems)}`,
    );
    assert.equal(code, 0, stderr);
  } finally {
    await db.close();
  }
});

test('the lint reports what it finds (a description without operationId, servers or security is refused)', async () => {
  const bare = { openapi: '3.1.0', info: { title: 't', version: '1' }, paths: { '/x': { get: { responses: { 200: { description: 'ok' } } } } } };
  const { code, problems } = await lint('bare', bare);
  const rules = new Set(problems.map((p) => p.ruleId));
  for (const rule of ['operation-operationId', 'no-empty-servers', 'security-defined', 'operation-4xx-response', 'info-license']) assert.ok(rules.has(rule), `${rule} reported: ${findings(problems)}`);
  assert.notEqual(code, 0);
});
