// The docs a newcomer walks (issue 16 item 8): the README stays short and links every page of docs/,
// each page says first whom it is for, and every relative link in the README and docs/ resolves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '../helpers/vectors.js';

const docsDir = join(repoRoot, 'docs');
const pages = readdirSync(docsDir).filter((f) => f.endsWith('.md'));
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

test('the README is at most about 200 lines', () => {
  assert.ok(readme.split('\n').length <= 210, `README.md has ${readme.split('\n').length} lines`);
});

test('the README links every page of docs/', () => {
  assert.ok(pages.length > 0);
  const missing = pages.filter((p) => !readme.includes(`](docs/${p})`));
  assert.deepEqual(missing, []);
});

test('each page of docs/ starts with whom it is for', () => {
  for (const p of pages) {
    const lines = readFileSync(join(docsDir, p), 'utf8').split('\n');
    assert.match(lines[0] ?? '', /^# \S/, `${p}: a title first`);
    const end = lines.indexOf('', 2);
    const first = lines.slice(2, end === -1 ? undefined : end).join(' ');
    assert.match(first, /^\*For [^*]+\*$/, `${p}: the paragraph after the title says whom it is for`);
  }
});

test('relative links in the README and docs/ resolve', () => {
  const broken: string[] = [];
  for (const file of ['README.md', ...pages.map((p) => join('docs', p))]) {
    const text = readFileSync(join(repoRoot, file), 'utf8');
    for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
      const target = m[1] ?? '';
      if (/^[a-z]+:/.test(target)) continue;
      if (!existsSync(join(repoRoot, dirname(file), target))) broken.push(`${file} → ${target}`);
    }
  }
  assert.deepEqual(broken, []);
});
