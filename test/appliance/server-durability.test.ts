// The socket server's door (appliance/server.ts): an answer that depends on a commit leaves only once
// the write-ahead log's flush has ended, here with the flush held open on a real in-process device, a
// real socket and the bridge's client. A flush that fails turns the answer into a typed error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openInProcessDevice } from '../helpers/in-process-device.js';
import { CHAIN_ID } from '../helpers/test-device.js';
import { heldFlush, turn, until } from '../helpers/held-flush.js';
import { listen } from '../../appliance/server.js';
import { ApplianceClient } from '../../host-bridge/appliance-client.js';
import { ApplianceError } from '../../protocol/errors.js';

test('an answer waits for the flush of the commit it depends on; a failed flush answers a typed error', async () => {
  const d = await openInProcessDevice();
  const dir = mkdtempSync(join(tmpdir(), 'srv-durable-'));
  const held = heldFlush();
  d.dev.seal.flushOffLoop(d.dev.db.name, held.flush);
  const srv = await listen(d.dev, join(dir, 'a.sock'));
  const client = new ApplianceClient(join(dir, 'a.sock'));
  try {
    const propose = () => client.call('whitelist.propose', { requester: 'admin-3', group: 'hot', chainId: BigInt(CHAIN_ID), address: new Uint8Array(randomBytes(20)), label: 'payee' });
    let answered = false;
    const first = propose().then((r) => ((answered = true), r));
    await until(() => held.calls() === 1);
    for (let i = 0; i < 50; i++) await turn(); // the socket, the loop and the client all had their turns
    assert.equal(answered, false, 'no answer before the commit it records is on disk');
    await held.release();
    const r = await first;
    assert.equal(typeof r.proposalId, 'string');
    assert.equal(d.dev.seal.durable?.gen, d.dev.seal.committed?.gen, 'what the answer depends on is on disk');

    const second = propose();
    await until(() => held.calls() === 2);
    await held.fail('EIO');
    await assert.rejects(second, (e: unknown) => e instanceof ApplianceError && e.code === 'internal' && (e.details as { code?: string } | undefined)?.code === 'state_not_durable');
  } finally {
    client.close();
    await srv.close();
    d.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
