// Keeps the firmware policy pure (DESIGN.md "firmware-policy/": no I/O, no clock, no randomness;
// STYLE.md: no `node:*` imports, imports stay inside firmware-policy/ or protocol/). Scans every .ts
// file under firmware-policy/ and, transitively, every protocol/ file they import, with the same rules.
// The scanner checks itself on in-memory sources first, so this test cannot pass by finding nothing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { repoRoot } from '../helpers/vectors.js';

/** The source tree (not the build dir): REPO_ROOT when the tests run from a build outside dist/. */
const ROOT = resolve(process.env.REPO_ROOT ?? repoRoot);
const PURE_DIRS = ['firmware-policy', 'protocol'] as const;
const ALLOWED_BARE = /^@noble\/(hashes|curves)(\/[A-Za-z0-9._-]+)*$/;

const FORBIDDEN: readonly (readonly [string, RegExp])[] = [
  ['Date.now', /(?<![\w$])Date\s*\.\s*now\b/],
  ['new Date', /\bnew\s+Date\b/],
  ['Math.random', /(?<![\w$])Math\s*\.\s*random\b/],
  ['performance.now', /(?<![\w$])performance\s*\.\s*now\b/],
  ['process.', /(?<![\w$])process\s*\./],
  ['setTimeout', /(?<![\w$])setTimeout\b/],
  ['setInterval', /(?<![\w$])setInterval\b/],
  ['crypto.getRandomValues', /(?<![\w$])getRandomValues\b/],
  ['randomBytes', /(?<![\w$])randomBytes\b/],
  ['fetch(', /(?<![\w$])fetch\s*\(/],
];

// ---------------------------------------------------------------------------------------------
// Scanner

const REGEX_PRECEDERS = new Set('(,=:[!&|?{};+-*%<>~^'.split(''));
const REGEX_KEYWORDS = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'yield', 'await', 'instanceof']);

/**
 * Removes // and /* comments, keeping string, template and regex literals (and line breaks) intact,
 * so a commented-out `Date.now()` is ignored but `'http://…'` is not taken for a comment.
 */
function stripComments(src: string): string {
  let out = '';
  let i = 0;
  const n = src.length;
  let mode: 'code' | 'template' = 'code';
  const braces: number[] = []; // brace depth inside each open `${`
  let last = ''; // last significant character emitted in code
  let word = ''; // last identifier emitted in code
  while (i < n) {
    const c = src[i]!;
    const d = src[i + 1];
    if (mode === 'template') {
      if (c === '\\') {
        out += src.slice(i, i + 2);
        i += 2;
      } else if (c === '`') {
        out += c;
        i++;
        mode = 'code';
        last = '`';
        word = '';
      } else if (c === '$' && d === '{') {
        out += '${';
        i += 2;
        braces.push(0);
        mode = 'code';
        last = '{';
        word = '';
      } else {
        out += c;
        i++;
      }
      continue;
    }
    if (c === '/' && d === '/') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && d === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      out += src.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && src[j] !== c && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
      last = c;
      word = '';
      continue;
    }
    if (c === '`') {
      out += c;
      i++;
      mode = 'template';
      continue;
    }
    if (c === '/' && (last === '' || REGEX_PRECEDERS.has(last) || REGEX_KEYWORDS.has(word))) {
      let j = i + 1;
      let inClass = false;
      while (j < n && src[j] !== '\n') {
        const ch = src[j]!;
        if (ch === '\\') {
          j += 2;
          continue;
        }
        if (ch === '[') inClass = true;
        else if (ch === ']') inClass = false;
        else if (ch === '/' && !inClass) break;
        j++;
      }
      j++;
      while (j < n && /[a-z]/i.test(src[j]!)) j++;
      out += src.slice(i, j);
      i = j;
      last = '/';
      word = '';
      continue;
    }
    if (braces.length > 0 && c === '{') braces[braces.length - 1]!++;
    if (braces.length > 0 && c === '}') {
      if (braces[braces.length - 1] === 0) {
        braces.pop();
        out += c;
        i++;
        mode = 'template';
        continue;
      }
      braces[braces.length - 1]!--;
    }
    out += c;
    i++;
    if (/[\w$]/.test(c)) {
      word = /[\w$]/.test(last) ? word + c : c;
      last = c;
    } else if (!/\s/.test(c)) {
      last = c;
      word = '';
    }
  }
  return out;
}

type SpecifierKind = 'import' | 'export' | 'dynamic-import' | 'require';
interface Specifier {
  kind: SpecifierKind;
  spec: string;
}
interface SourceScan {
  specifiers: Specifier[];
  /** FORBIDDEN labels found in the code (comments stripped). */
  forbidden: string[];
  /** Dynamic imports / requires whose argument is not a string literal (cannot be checked). */
  nonLiteral: string[];
}

function scanSource(src: string): SourceScan {
  const code = stripComments(src);
  const specifiers: Specifier[] = [];
  const add = (kind: SpecifierKind, re: RegExp, group: number) => {
    for (const m of code.matchAll(re)) specifiers.push({ kind, spec: m[group]! });
  };
  const NOT_MEMBER = '(?<![\\w$.])';
  add('import', new RegExp(`${NOT_MEMBER}import\\s+(?:type\\s+)?[\\w$*{}\\s,]+?\\s*from\\s*(['"])([^'"\\n]+)\\1`, 'g'), 2);
  add('import', new RegExp(`${NOT_MEMBER}import\\s*(['"])([^'"\\n]+)\\1`, 'g'), 2);
  add('export', new RegExp(`${NOT_MEMBER}export\\s+(?:type\\s+)?(?:\\*(?:\\s+as\\s+[\\w$]+)?|\\{[^}]*\\})\\s*from\\s*(['"])([^'"\\n]+)\\1`, 'g'), 2);
  add('dynamic-import', new RegExp(`${NOT_MEMBER}import\\s*\\(\\s*(['"\`])([^'"\`\\n]+)\\1\\s*[,)]`, 'g'), 2);
  add('require', new RegExp(`${NOT_MEMBER}require\\s*\\(\\s*(['"\`])([^'"\`\\n]+)\\1\\s*\\)`, 'g'), 2);

  const nonLiteral: string[] = [];
  const dynamicCalls = [...code.matchAll(new RegExp(`${NOT_MEMBER}import\\s*\\(`, 'g'))].length;
  const requireCalls = [...code.matchAll(new RegExp(`${NOT_MEMBER}require\\s*\\(`, 'g'))].length;
  if (dynamicCalls > specifiers.filter((s) => s.kind === 'dynamic-import').length) nonLiteral.push('import(<non-literal>)');
  if (requireCalls > specifiers.filter((s) => s.kind === 'require').length) nonLiteral.push('require(<non-literal>)');

  const forbidden = FORBIDDEN.filter(([, re]) => re.test(code)).map(([label]) => label);
  return { specifiers, forbidden, nonLiteral };
}

const isInside = (dir: string, p: string): boolean => {
  const r = relative(dir, p);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r);
};

/** The .ts source a relative `.js` specifier names, or undefined. */
function resolveSource(fromFile: string, spec: string): string | undefined {
  const base = resolve(dirname(fromFile), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, join(base, 'index.ts'), base];
  return candidates.find((c) => c.endsWith('.ts') && existsSync(c) && statSync(c).isFile());
}

interface FileCheck {
  violations: string[];
  /** Resolved .ts files this file imports (inside the pure dirs). */
  imports: string[];
}

/** Applies the purity rules to one file's source; `file` is its absolute path under `root`. */
function checkSource(src: string, file: string, root: string): FileCheck {
  const rel = relative(root, file).split(sep).join('/');
  const violations: string[] = [];
  const imports: string[] = [];
  const scan = scanSource(src);
  for (const f of scan.forbidden) violations.push(`${rel}: uses ${f}`);
  for (const f of scan.nonLiteral) violations.push(`${rel}: ${f} cannot be checked`);
  for (const { kind, spec } of scan.specifiers) {
    if (spec.startsWith('node:')) {
      violations.push(`${rel}: ${kind} of "${spec}" (node: modules are I/O)`);
    } else if (spec.startsWith('.')) {
      const target = resolve(dirname(file), spec);
      if (!PURE_DIRS.some((d) => isInside(join(root, d), target))) {
        violations.push(`${rel}: ${kind} of "${spec}" leaves firmware-policy/ and protocol/`);
        continue;
      }
      const source = resolveSource(file, spec);
      if (source === undefined) violations.push(`${rel}: ${kind} of "${spec}" does not resolve to a .ts source`);
      else imports.push(source);
    } else if (spec.startsWith('/') || /^[a-z]+:/i.test(spec)) {
      violations.push(`${rel}: ${kind} of "${spec}" (absolute or URL specifier)`);
    } else if (!ALLOWED_BARE.test(spec)) {
      violations.push(`${rel}: ${kind} of package "${spec}" (only @noble/hashes/* and @noble/curves/*)`);
    }
  }
  return { violations, imports };
}

function tsFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFilesUnder(p));
    else if (e.isFile() && e.name.endsWith('.ts')) out.push(p);
  }
  return out.sort();
}

/** Every firmware-policy file, then every protocol/ file reachable from them. */
function checkTree(root: string): { violations: string[]; visited: string[] } {
  const queue = tsFilesUnder(join(root, 'firmware-policy'));
  const visited = new Set<string>();
  const violations: string[] = [];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (visited.has(file)) continue;
    visited.add(file);
    const r = checkSource(readFileSync(file, 'utf8'), file, root);
    violations.push(...r.violations);
    for (const f of r.imports) if (!visited.has(f)) queue.push(f);
  }
  return { violations, visited: [...visited].map((f) => relative(root, f).split(sep).join('/')).sort() };
}

// ---------------------------------------------------------------------------------------------

describe('scanner self-check (in-memory sources)', () => {
  const fake = join(ROOT, 'firmware-policy', 'evil.ts');

  test('reports a node: import and Date.now() together', () => {
    const r = checkSource("import x from 'node:fs';\nexport const t = Date.now() + x;\n", fake, ROOT);
    assert.ok(
      r.violations.some((v) => v.includes('"node:fs"')),
      r.violations.join('\n'),
    );
    assert.ok(
      r.violations.some((v) => v.includes('uses Date.now')),
      r.violations.join('\n'),
    );
    assert.equal(r.violations.length, 2);
  });

  test('finds every import form: multi-line, type-only, side effect, export-from, dynamic, require', () => {
    const src = [
      'import {',
      '  a,',
      '  type B,',
      "} from './a.js';",
      "import type { C } from '../protocol/cbor.js';",
      "import * as ns from '@noble/hashes/sha2.js';",
      "import 'side-effect';",
      "export { d } from './d.js';",
      "export * from './e.js';",
      "export * as f from './f.js';",
      "export type { G } from './g.js';",
      "const h = await import('./h.js');",
      'const i = require("i-pkg");',
      'const ok = import.meta.url;',
    ].join('\n');
    assert.deepEqual(
      scanSource(src)
        .specifiers.map((s) => `${s.kind} ${s.spec}`)
        .sort(),
      [
        'dynamic-import ./h.js',
        'export ./d.js',
        'export ./e.js',
        'export ./f.js',
        'export ./g.js',
        'import ../protocol/cbor.js',
        'import ./a.js',
        'import @noble/hashes/sha2.js',
        'import side-effect',
        'require i-pkg',
      ],
    );
  });

  test('imports leaving the pure dirs, other packages and non-literal dynamic imports are violations', () => {
    const src = [
      "import { Db } from '../appliance/state/db.js';",
      "import { x } from '../../outside.js';",
      "import { Encoder } from 'cbor-x';",
      "import fs from 'fs';",
      "import { p256 } from '@noble/curves/nist.js';",
      "import type { CborMap } from '../protocol/cbor.js';",
      "import { checkPerTxLimit } from './rules/per-tx-limit.js';",
      'const m = await import(name);',
      'const r = require(name);',
    ].join('\n');
    const r = checkSource(src, fake, ROOT);
    const text = r.violations.join('\n');
    for (const needle of ['../appliance/state/db.js', '../../outside.js', '"cbor-x"', '"fs"', 'import(<non-literal>)', 'require(<non-literal>)']) {
      assert.ok(text.includes(needle), `missing ${needle} in:\n${text}`);
    }
    assert.equal(r.violations.length, 6, text);
    assert.ok(!text.includes('"@noble/curves/nist.js"'));
    assert.ok(!text.includes('"../protocol/cbor.js"'));
    assert.ok(!text.includes('"./rules/per-tx-limit.js"'));
  });

  test('every forbidden token is caught; comments are ignored, strings and regexes do not confuse it', () => {
    for (const [label] of FORBIDDEN) {
      const call = label === 'new Date' ? 'new Date()' : label === 'process.' ? 'process.env.X' : label.endsWith('(') ? `${label}'x')` : `${label}()`;
      assert.deepEqual(scanSource(`const v = ${call};`).forbidden, [label], call);
    }
    const quiet = [
      '// Date.now() is not used here; neither is Math.random()',
      '/* setTimeout(f, 1); new Date() */',
      "const url = 'http://example.org/'; // process.env",
      'const re = /[/]/g; const half = a / b; // fetch(x)',
      'const t = `${a}//${b}`; /* performance.now() */',
      'const reprocess = 1; const mydate = obj.Date;',
    ].join('\n');
    assert.deepEqual(scanSource(quiet).forbidden, []);
    // …but code after those comments and literals is still seen
    assert.deepEqual(scanSource(`${quiet}\nconst later = Math.random();`).forbidden, ['Math.random']);
    assert.deepEqual(scanSource("const s = 'a//b'; const n = Date.now();").forbidden, ['Date.now']);
    assert.deepEqual(scanSource('const t = `x${ `y${Date.now()}` }z`;').forbidden, ['Date.now']);
  });
});

describe('firmware-policy and the protocol files it imports are pure', () => {
  test('the repository root holds the source tree (set REPO_ROOT when running from a build outside dist/)', () => {
    assert.ok(existsSync(join(ROOT, 'firmware-policy', 'evaluate.ts')), `no firmware-policy/evaluate.ts under ${ROOT}`);
    assert.ok(existsSync(join(ROOT, 'protocol', 'cbor.ts')), `no protocol/cbor.ts under ${ROOT}`);
  });

  test('no import leaves firmware-policy/ or protocol/, only @noble packages, no node:, no clock, randomness or I/O', () => {
    const { violations, visited } = checkTree(ROOT);
    // Not vacuous: it read the evaluator, its rules and the protocol files they import.
    for (const f of [
      'firmware-policy/evaluate.ts',
      'firmware-policy/policy-document.ts',
      'firmware-policy/rules/approval-tier.ts',
      'firmware-policy/approvals/verify-signature.ts',
      'protocol/cbor.ts',
      'protocol/errors.ts',
      'protocol/signature-verify.ts',
    ]) {
      assert.ok(visited.includes(f), `did not scan ${f}; scanned:\n${visited.join('\n')}`);
    }
    assert.ok(visited.filter((f) => f.startsWith('firmware-policy/')).length >= 15, `too few firmware-policy files: ${visited.length}`);
    assert.deepEqual(violations, [], `purity violations:\n${violations.join('\n')}`);
  });
});
