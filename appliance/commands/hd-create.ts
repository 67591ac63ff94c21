// hd.create (protocol/commands/hd-create.ts): an HD wallet's seed, born from the token's random
// generator and kept in the token (appliance/keystore.ts createHdSeed, docs/hd-wallets.md); the wallet
// registered and audited in one transaction. Nothing answered or logged reveals the seed or mnemonic.
import { ApplianceError } from '../../protocol/errors.js';
import type { HdCreateArgs, HdCreateResult } from '../../protocol/commands/hd-create.js';
import type { Device } from '../device.js';
import { assertAdminRequest, type AdminProof } from '../requester-role.js';
import { assertFirmwareApproved, requireIdentity } from '../device.js';
import type { HdWalletRecord } from '../state/hd-wallet-store.js';

export function hdCreate(dev: Device, args: HdCreateArgs): Promise<HdCreateResult> {
  return createWallet(dev, args, undefined);
}

/**
 * TEST ONLY: creates the wallet from a known mnemonic instead of the token's entropy, so a test can
 * compare the device's addresses with another wallet library's. No wire command or bridge route calls
 * this (the handler above passes no mnemonic); the audit entry says `testOnlyImport: true`.
 */
export function hdCreateFromTestOnlyMnemonic(dev: Device, args: HdCreateArgs, mnemonic: string): Promise<HdCreateResult> {
  return createWallet(dev, args, mnemonic);
}

async function createWallet(dev: Device, args: HdCreateArgs, testOnlyMnemonic: string | undefined): Promise<HdCreateResult> {
  const { requester, label } = args;
  const proof: AdminProof | undefined = requester === undefined ? undefined : assertAdminRequest(dev, 'hd.create', 'hd.create', requester, args);
  assertFirmwareApproved(dev);
  requireIdentity(dev);
  const policy = dev.policies.current();
  dev.sealed.guard();
  const seedCkaId = await dev.keystore.createHdSeed(`hd-seed:${label}`, testOnlyMnemonic);
  const walletId = `hd-${Buffer.from(seedCkaId).toString('hex')}`;
  if (dev.hd.wallet(walletId)) throw new ApplianceError('internal', 'the token gave a seed id already in use');
  const now = dev.clock();
  const record: HdWalletRecord = { walletId, seedCkaId, label, createdAt: now, policyHash: policy.hash };
  const entry = dev.seal.transaction(() => {
    dev.hd.insertWallet(record);
    return dev.audit.append(now, {
      kind: 'hd.create',
      ...(requester === undefined ? {} : { requester, ...proof }),
      walletId,
      label,
      seed: 'BIP-39, 24 words from 32 bytes of C_GenerateRandom; kept as a sensitive generic secret, wrappable only under a trusted key',
      ...(testOnlyMnemonic === undefined ? {} : { testOnlyImport: true }),
      policyVersion: policy.doc.version,
      policyHash: policy.hash,
    });
  });
  return { walletId, label, createdAt: now, policyHash: policy.hash, auditSeq: entry.seq };
}
