// A complete test device through the real parts: a SoftHSM2 token in a temporary var/, the appliance
// as its own process on its Unix socket, and the real bridge app driven with app.request().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CborMap } from '../../protocol/cbor.js';
import { createDevice } from '../../cli/device-create.js';
import { startAppliance, type ApplianceProcess } from '../../cli/appliance-process.js';
import { policyFromJson, type PolicyJson } from '../../host-bridge/policy-json.js';
import { generateApproverKey, publicPart, signStatement, type ApproverKeyFile } from '../../cli/approver-key.js';
import { devicePaths, type DevicePaths } from '../../softhsm-config/device-layout.js';
import { ApplianceClient } from '../../host-bridge/appliance-client.js';
import { createApp } from '../../host-bridge/app.js';
import { addToken, readTokens, TokenVerifier } from '../../host-bridge/auth.js';
import { encodeApprovalStatement } from '../../firmware-policy/approvals/statement.js';
import { encodeWhitelistStatement } from '../../firmware-policy/whitelist-governance.js';
import { encodeTimeStatement } from '../../firmware-policy/time-statement.js';
import { runningMeasurement } from './running-measurement.js';

export const ETH = 10n ** 18n;
export const CHAIN_ID = 31337;

export interface TestPeople {
  admins: ApproverKeyFile[];
  approvers: ApproverKeyFile[];
}

export function makePeople(): TestPeople {
  return {
    admins: [generateApproverKey('admin-1', 'ES256'), generateApproverKey('admin-2', 'EdDSA'), generateApproverKey('admin-3', 'ES256')],
    approvers: [generateApproverKey('alice', 'ES256'), generateApproverKey('bob', 'EdDSA'), generateApproverKey('carol', 'ES256')],
  };
}

/**
 * Requesters and auditors of the test policy, in one namespace with the admins and approvers: the
 * bridge tokens below are bound to these ids (alice is both a requester and an approver).
 */
export const TEST_PRINCIPALS: Pick<PolicyJson, 'requesters' | 'auditors'> = {
  requesters: [{ id: 'orchestrator' }, { id: 'alice' }],
  auditors: [{ id: 'auditor' }],
};

/** The test policy: group "hot" on anvil, 2 s whitelist hold, 10 ETH per tx, 2-of-3 above 1 ETH. */
export function testPolicyJson(people: TestPeople, overrides: { windowMax?: bigint; holdSeconds?: number } = {}): PolicyJson {
  return {
    defaultHoldSeconds: 172_800,
    adminQuorum: 2,
    admins: people.admins.map(publicPart),
    approvers: people.approvers.map(publicPart),
    ...TEST_PRINCIPALS,
    groups: {
      hot: {
        chains: [CHAIN_ID],
        whitelistRequired: true,
        holdSeconds: overrides.holdSeconds ?? 2,
        assets: {
          [`${CHAIN_ID}:native`]: {
            perTxMax: (10n * ETH).toString(),
            windows: [{ seconds: 3600, maxAmount: (overrides.windowMax ?? 50n * ETH).toString(), maxCount: 1000 }],
            approvalTiers: [{ above: ETH.toString(), required: 2 }],
          },
        },
      },
    },
  };
}

export interface TestDevice {
  varRoot: string;
  paths: DevicePaths;
  deviceId: string;
  people: TestPeople;
  keys: CborMap[];
  tokens: { orchestrator: string; approver: string; admin: string; auditor: string; alice: string };
  appliance: ApplianceProcess;
  client: ApplianceClient;
  app: ReturnType<typeof createApp>;
  /** JSON request to the bridge. */
  request(method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }>;
  /** Stops the appliance (SIGTERM, or the given signal) and starts it again, optionally from another build or with extra environment variables. */
  restartAppliance(signal?: NodeJS.Signals, main?: string, extraEnv?: Record<string, string>): Promise<void>;
  /** Everything the appliance processes wrote to stderr (their logs). */
  logs(): string;
  stop(): Promise<void>;
}

export async function startTestDevice(opts: { keys?: { label: string; group: string }[]; policy?: (p: TestPeople) => PolicyJson } = {}): Promise<TestDevice> {
  const varRoot = mkdtempSync(join(tmpdir(), 'hsm-'));
  const people = makePeople();
  const policyJson = (opts.policy ?? testPolicyJson)(people);
  const created = await createDevice({
    varRoot,
    name: 'dev',
    policy: (deviceId) => policyFromJson(policyJson, deviceId),
    keys: opts.keys ?? [{ label: 'hot-1', group: 'hot' }],
    adminSigners: people.admins,
    measurement: runningMeasurement(),
  });
  const paths = devicePaths(varRoot, 'dev');
  const tokens = {
    orchestrator: addToken(paths.bridgeTokens, 'orchestrator', ['orchestrator'], 'orchestrator'),
    approver: addToken(paths.bridgeTokens, 'approvers', ['approver'], 'bob'),
    // admin-3's token: what it proposes, admin-3 cannot approve (admin-1 and admin-2 do).
    admin: addToken(paths.bridgeTokens, 'ops-admin', ['admin', 'orchestrator'], 'admin-3'),
    auditor: addToken(paths.bridgeTokens, 'auditor', ['auditor'], 'auditor'),
    // alice is a requester and an approver: she may request but not approve her own request.
    alice: addToken(paths.bridgeTokens, 'alice', ['orchestrator', 'approver'], 'alice'),
  };
  const env = { ...process.env, HSM_LOG_LEVEL: 'debug' };
  let logText = '';
  const launch = async (main?: string, extraEnv: Record<string, string> = {}) => {
    const a = await startAppliance(varRoot, 'dev', { env: { ...env, ...extraEnv }, stderr: 'pipe', ...(main ? { main } : {}) });
    a.child.stderr?.on('data', (d: Buffer) => (logText += d.toString('utf8')));
    return a;
  };
  let appliance = await launch();
  const client = new ApplianceClient(paths.socket);
  const app = createApp({ appliance: client, tokens: new TokenVerifier(readTokens(paths.bridgeTokens)) });
  const dev: TestDevice = {
    varRoot,
    paths,
    deviceId: created.config.deviceId,
    people,
    keys: created.keys,
    tokens,
    get appliance() {
      return appliance;
    },
    client,
    app,
    async request(method, path, token, body, headers = {}) {
      const res = await app.request(path, {
        method,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
    async restartAppliance(signal: NodeJS.Signals = 'SIGTERM', main?: string, extraEnv?: Record<string, string>) {
      if (signal === 'SIGTERM') await appliance.stop();
      else {
        const exited = new Promise((r) => appliance.child.once('exit', r));
        appliance.child.kill(signal);
        await exited;
      }
      client.close();
      appliance = await launch(main, extraEnv);
    },
    logs: () => logText,
    async stop() {
      client.close();
      await appliance.stop();
      rmSync(varRoot, { recursive: true, force: true });
    },
  };
  return dev;
}

/** An approver's body for POST /v1/requests/{id}/approvals over the given pending response. */
export function approvalBody(key: ApproverKeyFile, deviceId: string, intentDigestHex: string, expiresAt = Math.floor(Date.now() / 1000) + 600) {
  const statement = encodeApprovalStatement({ deviceId, intentDigest: Buffer.from(intentDigestHex.slice(2), 'hex'), approverId: key.id, expiresAt });
  return { approverId: key.id, expiresAt, signature: '0x' + Buffer.from(signStatement(key, statement)).toString('hex') };
}

/** Proposes an address for the whitelist and approves it with two admins; returns the proposal. */
export async function whitelist(dev: TestDevice, address: string, group = 'hot'): Promise<Record<string, unknown>> {
  const proposed = await dev.request('POST', '/v1/whitelist/proposals', dev.tokens.admin, { group, chainId: CHAIN_ID, address, label: 'test recipient' });
  if (proposed.status !== 201) throw new Error(`proposal failed: ${JSON.stringify(proposed.json)}`);
  const id = String(proposed.json.proposalId);
  let last = proposed.json;
  for (const admin of dev.people.admins.slice(0, 2)) {
    const expiresAt = Math.floor(Date.now() / 1000) + 600;
    const statement = encodeWhitelistStatement(
      dev.deviceId,
      { id, group, chainId: BigInt(CHAIN_ID), address: Buffer.from(address.slice(2), 'hex'), label: 'test recipient', proposedBy: '' },
      admin.id,
      expiresAt,
    );
    const r = await dev.request('POST', `/v1/whitelist/proposals/${id}/approvals`, dev.tokens.admin, {
      adminId: admin.id,
      expiresAt,
      signature: '0x' + Buffer.from(signStatement(admin, statement)).toString('hex'),
    });
    if (r.status !== 200) throw new Error(`whitelist approval failed: ${JSON.stringify(r.json)}`);
    last = r.json;
  }
  return last;
}

/**
 * Moves the device's own time `seconds` forward, the way the product allows it: an admin-quorum time
 * statement (two admins) over the device's current nonce (POST /v1/device/time/attestations). The
 * device's time is then exactly the one read plus `seconds`; a hold, time lock or window is passed by
 * this, never by waiting. The statement may not run ahead of the host clock by more than the device's
 * tolerance (300 s by default), so a test moves it by at most a few minutes in all. Returns the new time.
 */
export async function advanceDeviceTime(dev: TestDevice, seconds: number): Promise<number> {
  const read = await dev.request('GET', '/v1/device/time', dev.tokens.admin);
  if (read.status !== 200) throw new Error(`device time read failed: ${JSON.stringify(read.json)}`);
  const { time, nonce, hostTime } = read.json as { time: number; nonce: string; hostTime: number };
  const target = time + seconds;
  const n = Buffer.from(nonce.slice(2), 'hex');
  const expiresAt = hostTime + 600;
  const approvals = dev.people.admins.slice(0, 2).map((a) => ({
    adminId: a.id,
    expiresAt,
    signature: '0x' + Buffer.from(signStatement(a, encodeTimeStatement(dev.deviceId, { nonce: n, time: target }, a.id, expiresAt))).toString('hex'),
  }));
  const r = await dev.request('POST', '/v1/device/time/attestations', dev.tokens.admin, { time: target, nonce, approvals });
  if (r.status !== 200 || r.json.status !== 'accepted') throw new Error(`device time attestation refused: ${JSON.stringify(r.json)}`);
  return Number(r.json.time);
}
