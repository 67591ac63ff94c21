// A device for load and fault tools (crash-test, soak, bench): one key in group "hot" on chain 31337
// with limits too large to bind, two admins, and one recipient whitelisted with no hold, so every
// request is a signature; the appliance runs as its own process.
import { mkdtempSync } from 'node:fs';
import type { CborMap } from '../protocol/cbor.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevice } from '../cli/device-create.js';
import { startAppliance, type ApplianceProcess } from '../cli/appliance-process.js';
import { policyFromJson, type PolicyJson } from '../host-bridge/policy-json.js';
import { generateApproverKey, publicPart, signStatement, type ApproverKeyFile } from '../cli/approver-key.js';
import { devicePaths, type DevicePaths } from '../softhsm-config/device-layout.js';
import { ApplianceClient } from '../host-bridge/appliance-client.js';
import { encodeWhitelistStatement } from '../firmware-policy/whitelist-governance.js';

export interface LoadDevice {
  varRoot: string;
  name: string;
  paths: DevicePaths;
  deviceId: string;
  keyId: string;
  admins: ApproverKeyFile[];
  app: ApplianceProcess;
}

/**
 * Whitelists `address` in `group` (default "hot"): the last of `admins` proposes (the requester must be
 * an admin principal) and the others approve (a proposer's own approval does not count); the group's
 * hold applies.
 */
export async function whitelistWithAdmins(client: ApplianceClient, deviceId: string, admins: ApproverKeyFile[], address: Uint8Array, label: string, group = 'hot'): Promise<CborMap> {
  const proposer = admins[admins.length - 1];
  if (!proposer || admins.length < 2) throw new Error('whitelistWithAdmins: a proposer and at least one other admin are needed');
  const proposal = await client.call('whitelist.propose', { requester: proposer.id, group, chainId: 31337n, address, label });
  const p = { id: String(proposal.proposalId), group, chainId: 31337n, address, label, proposedBy: proposer.id };
  let last = proposal;
  for (const a of admins.slice(0, -1)) {
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    last = await client.call('whitelist.approve', { proposalId: p.id, adminId: a.id, expiresAt, signature: signStatement(a, encodeWhitelistStatement(deviceId, p, a.id, expiresAt)) });
  }
  return last;
}

/** Requester ids a load device's policy knows: the crash test, the soak and the benchmark's socket load. */
export const LOAD_REQUESTERS = ['crash', 'soak', 'bench'];

export async function startLoadDevice(name: string, recipient: Uint8Array): Promise<LoadDevice> {
  const varRoot = mkdtempSync(join(tmpdir(), `${name}-`));
  const admins = [generateApproverKey('admin-1', 'ES256'), generateApproverKey('admin-2', 'EdDSA'), generateApproverKey('admin-3', 'ES256')];
  const big = (10n ** 30n).toString();
  const policy: PolicyJson = {
    adminQuorum: 2,
    admins: admins.map(publicPart),
    approvers: [],
    // The requester ids of the load generators (crash test, soak, bench over the socket).
    requesters: LOAD_REQUESTERS.map((id) => ({ id })),
    groups: {
      hot: {
        chains: [31337],
        whitelistRequired: true,
        holdSeconds: 0,
        assets: { '31337:native': { perTxMax: big, windows: [{ seconds: 86_400, maxAmount: big, maxCount: 1_000_000_000 }], approvalTiers: [] } },
      },
    },
  };
  const created = await createDevice({ varRoot, name, policy: (id) => policyFromJson(policy, id), keys: [{ label: `${name}-1`, group: 'hot' }], adminSigners: admins });
  const paths = devicePaths(varRoot, name);
  const app = await startAppliance(varRoot, name, { stderr: 'ignore', env: { ...process.env, HSM_LOG_LEVEL: 'error' } });
  const client = new ApplianceClient(paths.socket);
  try {
    await whitelistWithAdmins(client, created.config.deviceId, admins, recipient, name);
  } finally {
    client.close();
  }
  return { varRoot, name, paths, deviceId: created.config.deviceId, keyId: String(created.keys[0]?.keyId), admins, app };
}
