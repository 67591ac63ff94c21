// `make crash-test`: kills the appliance with SIGKILL at a random moment under concurrent signing
// load, restarts it, and checks after every restart that (DESIGN.md invariants 2, 3, 4):
// - the audit chain verifies (device signature, seq, hash chain), across every restart;
// - every signature a client received has its audit entry;
// - spend counters are at least the sum of signed amounts (never under-counted);
// - a retry of every request with its idempotency key returns the same signed bytes, or a clear
//   "not signed" answer, and never a second, different signature;
// - the sealed state (docs/sealed-state.md) is intact: a SIGKILL must never read as tampering.
// Prints one row per cycle and a last line with the totals. CRASH_CYCLES sets the cycle count.
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { sha256 } from '@noble/hashes/sha2.js';
import type { CborMap } from '../protocol/cbor.js';
import { startAppliance, type ApplianceProcess } from '../cli/appliance-process.js';
import { entryPayload } from '../cli/audit-tools.js';
import { ApplianceClient } from '../host-bridge/appliance-client.js';
import { verifyAuditLog } from '../attestation/audit-verify.js';
import { startLoadDevice } from './load-device.js';

const cycles = Number(process.env.CRASH_CYCLES ?? 50);
const concurrency = 16;
const eq = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

interface Sent {
  requestId: string;
  tx: CborMap;
  amount: bigint;
  received?: CborMap;
}

async function main(): Promise<void> {
  const to = new Uint8Array(20).fill(0x77);
  const dev = await startLoadDevice('crash', to);
  const { varRoot, paths, keyId } = dev;
  const env = { ...process.env, HSM_LOG_LEVEL: 'error' };
  let app: ApplianceProcess = dev.app;
  let client = new ApplianceClient(paths.socket, { timeoutMs: 10_000 });
  const info = await client.call('device.info');
  const deviceCertPem = String(info.deviceCertificate);

  const all: Sent[] = [];
  let nonce = 0;
  let verifiedSeq = 0;
  let verifiedHash: Uint8Array | null = null;
  const totals = { unlogged: 0, chainBreaks: 0, underCounted: 0, doubleSigns: 0, falseTampers: 0 };
  process.stdout.write('cycle | sent | signed before kill | retried | aborted | log head | checks\n');

  for (let cycle = 1; cycle <= cycles; cycle++) {
    // Load: `concurrency` workers signing until the kill.
    let killed = false;
    const workers = Array.from({ length: concurrency }, async () => {
      while (!killed) {
        const s: Sent = { requestId: `c${cycle}-${nonce}`, amount: BigInt(1000 + (nonce % 97)), tx: {} };
        s.tx = { type: 'eip1559', chainId: 31337n, nonce: BigInt(nonce++), to, value: s.amount, gasLimit: 21000n, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1n };
        all.push(s);
        try {
          const r = await client.call('sign.evm-tx', { requestId: s.requestId, requester: 'crash', keyId, tx: s.tx });
          if (!killed) s.received = r;
        } catch {
          return; // the appliance died under us
        }
      }
    });
    await new Promise((r) => setTimeout(r, 50 + Math.floor(Math.random() * 350)));
    killed = true;
    app.child.kill('SIGKILL');
    await Promise.all(workers);
    await new Promise((r) => (app.child.exitCode !== null || app.child.signalCode !== null ? r(undefined) : app.child.once('exit', r)));
    client.close();
    app = await startAppliance(varRoot, 'crash', { stderr: 'ignore', env });
    client = new ApplianceClient(paths.socket, { timeoutMs: 10_000 });
    const sealed = (await client.call('device.info')).sealed as CborMap;
    const sealedOk = sealed.ok === true;
    if (!sealedOk) {
      totals.falseTampers++;
      process.stdout.write(`cycle ${cycle}: the restarted device reports tampering: ${JSON.stringify(sealed.findings)}\n`);
      break;
    }

    // 1. The chain verifies, continuing from what was verified before the kill.
    const fresh: Uint8Array[] = [];
    for (;;) {
      const page = await client.call('audit.list', { fromSeq: verifiedSeq + fresh.length + 1, limit: 1000 });
      const entries = (page.entries as CborMap[]).map((e) => e.entry as Uint8Array);
      if (entries.length === 0) break;
      fresh.push(...entries);
    }
    const report = await verifyAuditLog(fresh, { deviceCertPem });
    const firstPrev = fresh[0] ? (entryPayload(fresh[0]).prevHash as Uint8Array) : null;
    const linked = verifiedHash === null || firstPrev === null || eq(firstPrev, verifiedHash);
    const chainOk = report.ok && linked;
    if (!chainOk) totals.chainBreaks++;
    const bySeqPayload = fresh.map(entryPayload);
    if (fresh.length > 0) {
      verifiedSeq = Number(bySeqPayload[bySeqPayload.length - 1]?.seq);
      verifiedHash = sha256(fresh[fresh.length - 1]!);
    }
    // 4. Retry every request of this cycle with its idempotency key: the same signed bytes, or a
    //    clear "not signed" (aborted) for a request stopped between its reservation and its release.
    const thisCycle = all.filter((x) => x.requestId.startsWith(`c${cycle}-`));
    let retried = 0;
    let aborted = 0;
    for (const s of thisCycle) {
      const again = await client.call('sign.evm-tx', { requestId: s.requestId, requester: 'crash', keyId, tx: s.tx });
      retried++;
      if (again.status === 'aborted') aborted++;
      if (s.received?.status === 'signed' && !(again.status === 'signed' && eq(again.rawTransaction as Uint8Array, s.received.rawTransaction as Uint8Array))) totals.doubleSigns++;
    }
    // 2. Every received signature has its entry, and no request has two signatures in the log.
    const signedEntries = new Map<string, Uint8Array[]>();
    const db = new Database(paths.stateDb, { readonly: true });
    for (const row of db.prepare('SELECT entry FROM audit').all() as { entry: Buffer }[]) {
      const p = entryPayload(new Uint8Array(row.entry));
      if (p.result === 'signed' && typeof p.requestId === 'string') signedEntries.set(p.requestId, [...(signedEntries.get(p.requestId) ?? []), p.txHash as Uint8Array]);
    }
    for (const s of thisCycle) {
      const logged = signedEntries.get(s.requestId) ?? [];
      if (logged.length > 1) totals.doubleSigns++;
      if (s.received?.status === 'signed' && !logged.some((h) => eq(h, s.received!.txHash as Uint8Array))) totals.unlogged++;
    }
    // 3. Spend counters cover every signed amount.
    const reserved = (db.prepare('SELECT amount FROM spend').all() as { amount: string }[]).reduce((t, r) => t + BigInt(r.amount), 0n);
    const signedRequests = new Set([...signedEntries.keys()]);
    const signedSum = all.filter((s) => signedRequests.has(s.requestId)).reduce((t, s) => t + s.amount, 0n);
    db.close();
    if (reserved < signedSum) totals.underCounted++;
    const sentThisCycle = thisCycle;
    process.stdout.write(
      `${String(cycle).padStart(5)} | ${String(sentThisCycle.length).padStart(4)} | ${String(sentThisCycle.filter((s) => s.received?.status === 'signed').length).padStart(18)} | ${String(retried).padStart(7)} | ${String(aborted).padStart(7)} | ${String(verifiedSeq).padStart(8)} | ${chainOk ? 'ok' : 'CHAIN BREAK'}${reserved < signedSum ? ' UNDER-COUNTED' : ''}\n`,
    );
  }
  client.close();
  await app.stop();
  rmSync(varRoot, { recursive: true, force: true });
  process.stdout.write(`false tamper reports after a kill: ${totals.falseTampers}\n`);
  process.stdout.write(`cycles: ${cycles}, unlogged signatures: ${totals.unlogged}, chain breaks: ${totals.chainBreaks}, under-counted: ${totals.underCounted}, double signs: ${totals.doubleSigns}\n`);
  if (totals.unlogged + totals.chainBreaks + totals.underCounted + totals.doubleSigns + totals.falseTampers > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`crash-test failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
