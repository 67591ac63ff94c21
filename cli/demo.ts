// The demo device of `make run`: demo admins and approvers (key files named DEMO-… under
// var/demo/demo-keys/), a demo policy for the local anvil chain (31337), bridge tokens, one key, and
// the orchestrator's request key in its own SoftHSM2 token (var/requesters/orchestrator/, kept when
// var/demo/ is removed): the demo group requires signed requests, so the orchestrator signs through
// `hsmctl sign evm`. The custody service's withdrawal worker is a second requester (`custody`) with a
// request key file (DEMO-custody-request.key.pem) and its own group (`withdrawals`: no whitelist, so the
// quick start's withdrawal needs no hold; amounts above 1 ETH still need two approvers). The `hot`
// group's whitelist hold and the policy's time lock are 60 s: short enough to wait out by hand, long
// enough that a slow machine does not see the hold end before the guide's next command.
// Everything here is for demonstration only and says so in its names.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApprovalAlg } from '../firmware-policy/approvals/verify-signature.js';
import { addToken, type Scope } from '../host-bridge/auth.js';
import { devicePaths } from '../softhsm-config/device-layout.js';
import { generateApproverKey, publicPart, writeApproverKey, type ApproverPublic } from './approver-key.js';
import { createDevice } from './device-create.js';
import { policyFromJson, type PolicyJson } from '../host-bridge/policy-json.js';
import { initRequesterToken, policyEntry, readRequesterConfig, requesterPaths, type RequesterPolicyEntry } from './requester-token.js';

export { DEMO_DEVICE } from './demo-names.js';
import { DEMO_DEVICE } from './demo-names.js';
const ETH = 10n ** 18n;

/** The demo's requester: its bridge token and its request key (in var/requesters/orchestrator/) share the id. */
export const DEMO_REQUESTER = 'orchestrator';

/** The custody service's requester: its bridge token and its request key file (DEMO-custody-request.key.pem). */
export const DEMO_CUSTODY_REQUESTER = 'custody';
/** The custody service's hot keys are generated in this group (one per `make run`: each run's chain is new). */
export const DEMO_WITHDRAWALS_GROUP = 'withdrawals';
/** The demo chain's fee cap (also in the custody service's config, so no offer is one the firmware refuses). */
export const DEMO_FEE_CAP = { maxGasLimit: 100_000n, maxFeeWei: 10n ** 16n };
/**
 * The demo's whitelist hold and policy time lock, short so the README's operator guide shows a hold
 * denial, the signature after it, a time-locked change and its rollback in a few minutes (production
 * defaults: 172 800 s each). Both run on the device's own clock (docs/device-time.md).
 */
export const DEMO_HOLD_SECONDS = 60;
export const DEMO_CHANGE_DELAY_SECONDS = 60;

const nativeRules = () => ({
  perTxMax: (10n * ETH).toString(),
  windows: [{ seconds: 86_400, maxAmount: (20n * ETH).toString(), maxCount: 1000 }],
  approvalTiers: [{ above: ETH.toString(), required: 2 }],
});

export function demoPolicyJson(admins: ApproverPublic[], approvers: ApproverPublic[], holdSeconds: number, orchestratorKey: RequesterPolicyEntry, custodyKey?: RequesterPolicyEntry): PolicyJson {
  return {
    defaultHoldSeconds: 172_800,
    changeDelaySeconds: DEMO_CHANGE_DELAY_SECONDS,
    feeCaps: { '31337': { maxGasLimit: DEMO_FEE_CAP.maxGasLimit.toString(), maxFeeWei: DEMO_FEE_CAP.maxFeeWei.toString() } },
    adminQuorum: 2,
    admins,
    approvers,
    // One namespace: bridge tokens name these ids (DEMO_TOKENS); the orchestrator asks (each request
    // stamped with its request key), the auditor reads.
    requesters: [{ ...orchestratorKey, groups: ['hot'] }, ...(custodyKey ? [{ ...custodyKey, groups: [DEMO_WITHDRAWALS_GROUP] }] : [])],
    auditors: [{ id: 'auditor' }],
    groups: {
      hot: {
        chains: [31337],
        whitelistRequired: true,
        requireSignedRequests: true,
        holdSeconds,
        assets: { '31337:native': nativeRules() },
      },
      ...(custodyKey ? { [DEMO_WITHDRAWALS_GROUP]: { chains: [31337], whitelistRequired: false, requireSignedRequests: true, holdSeconds, assets: { '31337:native': nativeRules() } } } : {}),
    },
  };
}

export interface DemoInfo {
  url?: string;
  tokens: Record<string, string>;
  keyId: string;
  address: string;
  keysDir: string;
  /** The custody service's requester (absent in a demo device made before it). */
  custody?: { requestKeyFile: string; bridgeTokenFile: string };
}

const PEOPLE: { id: string; alg: ApprovalAlg; role: 'admin' | 'approver' }[] = [
  { id: 'admin-1', alg: 'ES256', role: 'admin' },
  { id: 'admin-2', alg: 'EdDSA', role: 'admin' },
  { id: 'admin-3', alg: 'ES256', role: 'admin' },
  { id: 'alice', alg: 'ES256', role: 'approver' },
  { id: 'bob', alg: 'EdDSA', role: 'approver' },
  { id: 'carol', alg: 'ES256', role: 'approver' },
];

/**
 * The demo's bridge tokens: name, scopes, and the policy principal each speaks for. The admin token is
 * admin-1's, so admin-1's own approval of what it proposes does not count (admin-2 and admin-3 approve);
 * the approver token only carries approvals, which count by their signature.
 */
export const DEMO_TOKENS: [string, Scope[], string][] = [
  ['orchestrator', ['orchestrator'], 'orchestrator'],
  ['approver', ['approver'], 'alice'],
  ['admin', ['admin', 'orchestrator'], 'admin-1'],
  ['auditor', ['auditor'], 'auditor'],
];

/** The orchestrator's request key: made in its own token, or the one made for an earlier demo. */
async function demoRequesterKey(varRoot: string, say: (m: string) => void): Promise<RequesterPolicyEntry> {
  if (existsSync(requesterPaths(varRoot, DEMO_REQUESTER).requesterJson)) return policyEntry(readRequesterConfig(varRoot, DEMO_REQUESTER));
  say(`creating the orchestrator's request key in its own token (${requesterPaths(varRoot, DEMO_REQUESTER).dir})`);
  return policyEntry(await initRequesterToken({ varRoot, name: DEMO_REQUESTER }));
}

/** The custody requester's request key: a P-256 PKCS#8 PEM file (the service stamps with it). */
function demoCustodyKey(keysDir: string): { entry: RequesterPolicyEntry; file: string } {
  const file = join(keysDir, 'DEMO-custody-request.key.pem');
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  const jwk = createPublicKey(readFileSync(file, 'utf8')).export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(String(jwk.x), 'base64url'), Buffer.from(String(jwk.y), 'base64url')]);
  return { entry: { id: DEMO_CUSTODY_REQUESTER, alg: 'ES256', publicKey: `0x${point.toString('hex')}` }, file };
}

/** Creates the demo device unless it exists; returns what an operator needs to try it. */
export async function ensureDemoDevice(varRoot: string, say: (m: string) => void): Promise<DemoInfo> {
  const paths = devicePaths(varRoot, DEMO_DEVICE);
  const keysDir = join(paths.dir, 'demo-keys');
  const infoFile = join(keysDir, 'DEMO-info.json');
  if (existsSync(infoFile)) return JSON.parse(readFileSync(infoFile, 'utf8')) as DemoInfo;

  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const admins: ApproverPublic[] = [];
  const adminSigners: ReturnType<typeof generateApproverKey>[] = [];
  const approvers: ApproverPublic[] = [];
  for (const p of PEOPLE) {
    const file = join(keysDir, `DEMO-${p.id}.key.json`);
    const key = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ReturnType<typeof generateApproverKey>) : generateApproverKey(p.id, p.alg);
    if (!existsSync(file)) writeApproverKey(file, key);
    (p.role === 'admin' ? admins : approvers).push(publicPart(key));
    if (p.role === 'admin') adminSigners.push(key);
  }
  const custody = demoCustodyKey(keysDir);
  const policyJson = demoPolicyJson(admins, approvers, DEMO_HOLD_SECONDS, await demoRequesterKey(varRoot, say), custody.entry);
  writeFileSync(join(keysDir, 'DEMO-policy.json'), JSON.stringify(policyJson, null, 2) + '\n');
  const created = await createDevice({
    varRoot,
    name: DEMO_DEVICE,
    policy: (deviceId) => policyFromJson(policyJson, deviceId),
    keys: [{ label: 'demo-hot-1', group: 'hot' }],
    adminSigners,
    progress: say,
  });
  const tokens: Record<string, string> = {};
  for (const [name, scopes, principal] of DEMO_TOKENS) tokens[name] = addToken(paths.bridgeTokens, `demo-${name}`, scopes, principal);
  tokens.custody = addToken(paths.bridgeTokens, 'demo-custody', ['orchestrator'], DEMO_CUSTODY_REQUESTER);
  const bridgeTokenFile = join(keysDir, 'DEMO-custody.bridge-token');
  writeFileSync(bridgeTokenFile, tokens.custody + '\n', { mode: 0o600 });
  const key = created.keys[0];
  const info: DemoInfo = { tokens, keyId: String(key?.keyId), address: String(key?.address), keysDir, custody: { requestKeyFile: custody.file, bridgeTokenFile } };
  // Demo only: the plaintext tokens are kept so `make run` can show them again.
  writeFileSync(infoFile, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  return info;
}
