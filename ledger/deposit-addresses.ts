// Deposit addresses made by the appliance (issue 13 item 3): the custody service asks the bridge for a
// new key in a deposit key group (POST /v1/keys, an admin's token, stamped by that admin when it holds
// a request key: required under the policy's requireSignedProposals), reads the key's address from the
// answer, and registers it as a deposit address of the customer on the chain. The group's policy
// (sweepTo) confines the key to sweeping into the group's hot address.
import { randomUUID } from 'node:crypto';
import type { BridgeClient } from './bridge-client.js';
import { registerCustodyAddress, type CustodyAddress } from './custody-addresses.js';
import type { Queryable } from './db.js';
import { LedgerError } from './errors.js';
import { stampKeyGenerate, type StampingPrincipal } from './request-stamps.js';

/** A key label the appliance accepts (key.generate's rule in protocol/commands/key-generate.ts). */
export const KEY_LABEL_RE = /^[A-Za-z0-9._-]{1,64}$/;

/** The default label of a customer's deposit key: `dep-<customer>`, a character the appliance refuses as `_`, cut to 64. */
export const defaultDepositLabel = (customer: string): string => `dep-${customer}`.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);

export interface ProvisionDepositAddress {
  /** A client with an admin's bridge token. */
  bridge: BridgeClient;
  /** That admin, with its request key's stamper when it stamps. */
  admin: StampingPrincipal;
  deviceId: string;
  chainId: bigint;
  customer: string;
  /** The deposit key group (a sweep group of the policy). */
  group: string;
  /** Key label (KEY_LABEL_RE); default defaultDepositLabel(customer). */
  label?: string;
  stampTtlSeconds?: number;
}

/**
 * Generates the key and registers its address as the customer's deposit address. Not idempotent: each
 * call makes a new key (a key made whose registration then failed stays unused in the device's list).
 */
export async function provisionDepositAddress(db: Queryable, o: ProvisionDepositAddress): Promise<CustodyAddress> {
  const label = o.label ?? defaultDepositLabel(o.customer);
  const body: Record<string, unknown> = { label, group: o.group };
  if (o.admin.stamp !== undefined) {
    body.requestId = `keygen-${randomUUID()}`;
    body.stamp = await stampKeyGenerate(o.deviceId, { id: o.admin.id, stamp: o.admin.stamp }, body, o.stampTtlSeconds);
  }
  const key = await o.bridge.generateKey(body as { label: string; group: string });
  if (key.group !== o.group) throw new LedgerError('bad_entry', 'the bridge answered a key of another group', { asked: o.group, got: key.group });
  return registerCustodyAddress(db, { chainId: o.chainId, address: key.address.toLowerCase(), role: 'deposit', customer: o.customer, keyId: key.keyId, keyGroup: key.group });
}
