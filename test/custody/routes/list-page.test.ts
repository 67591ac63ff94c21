// The list pages of the custody API (custody/routes/context.ts listPage): one row more than the limit
// is fetched, so a full page, even at the largest limit, says whether another follows; the last page's
// `next` is null; a bad or zero limit is a 400 naming `limit`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { listPage, type Env } from '../../../custody/routes/context.js';
import { toProblem } from '../../../custody/problem.js';

const ROWS = [1, 2, 3, 4, 5, 6, 7];

function app() {
  const asked: number[] = [];
  const a = new Hono<Env>();
  a.get('/rows', async (c) => {
    const after = Number(c.req.query('after') ?? '0');
    const page = await listPage(
      c,
      3,
      2,
      async (limit) => {
        asked.push(limit);
        return ROWS.filter((r) => r > after).slice(0, limit);
      },
      (r) => String(r),
    );
    return c.json(page);
  });
  a.onError((err, c) => {
    const p = toProblem(err);
    return c.json(p, p.status as 400);
  });
  return { a, asked };
}

test('pages at the default and the largest limit, the last with no next', async () => {
  const { a, asked } = app();
  const get = async (q: string) => (await a.request(`/rows${q}`)).json() as Promise<{ items: number[]; next: string | null }>;
  assert.deepEqual(await get(''), { items: [1, 2], next: '2' });
  assert.deepEqual(await get('?limit=3'), { items: [1, 2, 3], next: '3' }, 'a full page at the largest limit still names the next');
  assert.deepEqual(await get('?limit=3&after=3'), { items: [4, 5, 6], next: '6' });
  assert.deepEqual(await get('?limit=3&after=6'), { items: [7], next: null });
  assert.deepEqual(await get('?limit=3&after=4'), { items: [5, 6, 7], next: null }, 'exactly a full last page');
  assert.deepEqual(asked, [3, 4, 4, 4, 4]);
});

test('a zero, too large or malformed limit is a 400 naming limit', async () => {
  const { a, asked } = app();
  for (const q of ['0', '4', 'x', '01']) {
    const r = await a.request(`/rows?limit=${q}`);
    assert.equal(r.status, 400, q);
    const body = (await r.json()) as { code: string; field: string };
    assert.equal(body.code, 'bad_request');
    assert.equal(body.field, 'limit');
  }
  assert.deepEqual(asked, []);
});
