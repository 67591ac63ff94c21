// A device for the red team, through the real parts: its SoftHSM2 token, the appliance as its own
// process on its Unix socket (its structured log lines kept, so wire-level refusals can be shown as
// logged), and the real bridge app in front of it, driven with app.request() as the orchestrator,
// approvers, admins and auditors would drive it over HTTP.
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import type { CborMap } from '../../protocol/cbor.js';
import { createDevice } from '../../cli/device-create.js';
import { startAppliance, type ApplianceProcess } from '../../cli/appliance-process.js';
import { policyFromJson, type PolicyJson } from '../../host-bridge/policy-json.js';
import { generateApproverKey, signStatement, type ApproverKeyFile } from '../../cli/approver-key.js';
import { devicePaths, type DevicePaths } from '../../softhsm-config/device-layout.js';
import { ApplianceClient } from '../../host-bridge/appliance-client.js';
import { createApp } from '../../host-bridge/app.js';
import { addToken, readTokens, TokenVerifier } from '../../host-bridge/auth.js';
import { encodeApprovalStatement } from '../../firmware-policy/approvals/statement.js';
import { encodePolicyChangeStatement } from '../../firmware-policy/policy-governance.js';
import { whitelistWithAdmins } from '../load-device.js';
import { runningMeasurement } from '../../test/helpers/running-measurement.js';

export const ETH = 10n ** 18n;
export const GWEI = 10n ** 9n;
export const CHAIN_ID = 31337;

export interface People {
  admins: ApproverKeyFile[];
  approvers: ApproverKeyFile[];
}

/** Three admins (quorum 2) and three transaction approvers, with both signature algorithms. */
export function makePeople(): People {
  return {
    admins: [generateApproverKey('admin-1', 'ES256'), generateApproverKey('admin-2', 'EdDSA'), generateApproverKey('admin-3', 'ES256')],
    approvers: [generateApproverKey('alice', 'ES256'), generateApproverKey('bob', 'EdDSA'), generateApproverKey('carol', 'ES256')],
  };
}

export const randomAddress = (): string => privateKeyToAccount(generatePrivateKey()).address;

/** Wei as ETH, for the report. */
export const ethText = (wei: bigint): string => `${Number(wei) / 1e18} ETH`;

export const person = (list: ApproverKeyFile[], id: string): ApproverKeyFile => {
  const p = list.find((x) => x.id === id);
  if (!p) throw new Error(`no key for ${id}`);
  return p;
};

/** A bridge reply or audit payload as parsed JSON; the scenarios read it field by field and check each. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- scenarios read nested fields without a cast at each step
export type Json = Record<string, any>;

/** A bridge problem (RFC 9457, host-bridge/problem.ts) as the former error object: its code, detail and typed details. */
export const problemFields = (j: Json): Json => ({ code: j.code, message: j.detail, details: j.details });

export interface Reply {
  status: number;
  json: Json;
  text: string;
}

export interface TxJson {
  type: 'eip1559';
  chainId: number;
  nonce: number;
  to: string;
  value: string;
  gasLimit: number;
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
  data?: string;
}

/** A plain transfer (or call, with `data`) in JSON, as the orchestrator sends it. */
export function tx(to: string, value: bigint, nonce: number, opts: { chainId?: number; data?: string; gasLimit?: number; maxFee?: bigint; tip?: bigint } = {}): TxJson {
  return {
    type: 'eip1559',
    chainId: opts.chainId ?? CHAIN_ID,
    nonce,
    to,
    value: value.toString(),
    gasLimit: opts.gasLimit ?? (opts.data ? 100_000 : 21_000),
    maxFeePerGas: (opts.maxFee ?? 20n * GWEI).toString(),
    maxPriorityFeePerGas: (opts.tip ?? GWEI).toString(),
    ...(opts.data ? { data: opts.data } : {}),
  };
}

const hexToBytes = (h: string) => new Uint8Array(Buffer.from(h.slice(2), 'hex'));

/** An approver's body for POST /v1/requests/{id}/approvals; `deviceId` and `approverId` may be set to lie. */
export function approvalBody(key: ApproverKeyFile, deviceId: string, intentDigestHex: string, opts: { expiresAt?: number; approverId?: string } = {}): Json {
  const approverId = opts.approverId ?? key.id;
  const expiresAt = opts.expiresAt ?? Math.floor(Date.now() / 1000) + 600;
  const statement = encodeApprovalStatement({ deviceId, intentDigest: hexToBytes(intentDigestHex), approverId, expiresAt });
  return { approverId, expiresAt, signature: '0x' + Buffer.from(signStatement(key, statement)).toString('hex') };
}

export interface DeviceTokens {
  orchestrator: string;
  approver: string;
  admin: string;
  auditor: string;
  /** A token named like the approver "alice": she may request, but not approve her own request. */
  alice: string;
}

/** Collects an appliance's stderr (its JSON log lines) across restarts. */
class LogSink {
  text = '';
  async launch(varRoot: string, name: string, extraEnv: Record<string, string> = {}): Promise<ApplianceProcess> {
    const a = await startAppliance(varRoot, name, { stderr: 'pipe', env: { ...process.env, HSM_LOG_LEVEL: 'info', ...extraEnv } });
    a.child.stderr?.on('data', (d: Buffer) => (this.text += d.toString('utf8')));
    return a;
  }
}

export class RedteamDevice {
  /** Every bridge response body, for the scan for secrets (scenario 19). */
  readonly transcript: string[] = [];
  private idem = 0;

  private constructor(
    readonly name: string,
    readonly varRoot: string,
    readonly paths: DevicePaths,
    readonly deviceId: string,
    readonly keys: Map<string, { keyId: string; address: string }>,
    readonly tokens: DeviceTokens,
    readonly people: People,
    private appliance: ApplianceProcess,
    private readonly sink: LogSink,
    readonly client: ApplianceClient,
    readonly app: ReturnType<typeof createApp>,
  ) {}

  static async start(opts: { varRoot: string; name: string; people: People; policy: PolicyJson; keys: { label: string; group: string }[] }): Promise<RedteamDevice> {
    const created = await createDevice({
      varRoot: opts.varRoot,
      name: opts.name,
      policy: (id) => policyFromJson(opts.policy, id),
      keys: opts.keys,
      adminSigners: opts.people.admins,
      measurement: runningMeasurement(),
    });
    const paths = devicePaths(opts.varRoot, opts.name);
    const tokens: DeviceTokens = {
      orchestrator: addToken(paths.bridgeTokens, 'orchestrator', ['orchestrator'], 'orchestrator'),
      approver: addToken(paths.bridgeTokens, 'approvers', ['approver'], 'bob'),
      admin: addToken(paths.bridgeTokens, 'ops-admin', ['admin', 'orchestrator'], 'admin-3'),
      auditor: addToken(paths.bridgeTokens, 'auditor', ['auditor'], 'auditor'),
      alice: addToken(paths.bridgeTokens, 'alice', ['orchestrator', 'approver'], 'alice'),
    };
    const keys = new Map(created.keys.map((k) => [String(k.label), { keyId: String(k.keyId), address: String(k.address) }]));
    const client = new ApplianceClient(paths.socket, { timeoutMs: 15_000 });
    const app = createApp({ appliance: client, tokens: new TokenVerifier(readTokens(paths.bridgeTokens)) });
    const sink = new LogSink();
    const appliance = await sink.launch(opts.varRoot, opts.name);
    return new RedteamDevice(opts.name, opts.varRoot, paths, created.config.deviceId, keys, tokens, opts.people, appliance, sink, client, app);
  }

  get applianceProcess(): ApplianceProcess {
    return this.appliance;
  }

  key(label: string): { keyId: string; address: string } {
    const k = this.keys.get(label);
    if (!k) throw new Error(`no key ${label} on ${this.name}`);
    return k;
  }

  /** The appliance's structured log lines (JSON on stderr), across restarts. */
  logLines(): Json[] {
    const out: Json[] = [];
    for (const line of this.sink.text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Json);
      } catch {
        /* a partial line while the process is writing */
      }
    }
    return out;
  }

  rawLog(): string {
    return this.sink.text;
  }

  /** SIGTERM, wait, start again (same var/, same token), with extra environment variables if given (e.g. libfaketime's). */
  async restart(between?: () => void, extraEnv: Record<string, string> = {}): Promise<void> {
    await this.appliance.stop();
    this.client.close();
    between?.();
    this.appliance = await this.sink.launch(this.varRoot, this.name, extraEnv);
  }

  async stop(): Promise<void> {
    this.client.close();
    await this.appliance.stop();
  }

  async request(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const res = await this.app.request(path, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    this.transcript.push(text);
    let json: Json;
    try {
      json = text ? (JSON.parse(text) as Json) : {};
    } catch {
      json = { raw: text };
    }
    return { status: res.status, json, text };
  }

  newRequestId(tag: string): string {
    return `${this.name}-${tag}-${this.idem++}`;
  }

  /** POST /v1/sign/evm-transaction with a fresh Idempotency-Key (or the given one). */
  sign(keyLabel: string, t: TxJson, opts: { token?: string; requestId?: string } = {}): Promise<Reply> {
    const requestId = opts.requestId ?? this.newRequestId('sign');
    return this.request('POST', '/v1/sign/evm-transaction', opts.token ?? this.tokens.orchestrator, { keyId: this.key(keyLabel).keyId, transaction: t }, { 'Idempotency-Key': requestId });
  }

  approve(requestId: string, body: Json): Promise<Reply> {
    return this.request('POST', `/v1/requests/${requestId}/approvals`, this.tokens.approver, body);
  }

  /** Whitelists an address in a group with two admins' signatures (setup: straight to the socket). */
  async whitelist(address: string, group: string): Promise<CborMap> {
    return whitelistWithAdmins(this.client, this.deviceId, this.people.admins, hexToBytes(address), `redteam-${group}`, group); // admin-3 proposes, admin-1 and -2 approve
  }

  /** POST /v1/policy/proposals with a JSON policy; the bridge fills in version, parent and device id. */
  async proposePolicy(policy: PolicyJson): Promise<Reply> {
    return this.request('POST', '/v1/policy/proposals', this.tokens.admin, { policy });
  }

  /** An admin's signed approval of a policy proposal; `as` makes the key sign in another admin's name. */
  async approvePolicy(proposal: Json, admin: ApproverKeyFile, as?: string): Promise<Reply> {
    const st = proposal.statement as { proposalId: string; version: number; hash: string };
    const adminId = as ?? admin.id;
    const expiresAt = Math.floor(Date.now() / 1000) + 600;
    const statement = encodePolicyChangeStatement(this.deviceId, { id: st.proposalId, version: st.version, hash: hexToBytes(st.hash), proposedBy: '' }, adminId, expiresAt);
    return this.request('POST', `/v1/policy/proposals/${st.proposalId}/approvals`, this.tokens.admin, {
      adminId,
      expiresAt,
      signature: '0x' + Buffer.from(signStatement(admin, statement)).toString('hex'),
    });
  }

  async activePolicyVersion(): Promise<number> {
    return Number((await this.request('GET', '/v1/policy', this.tokens.auditor)).json.version);
  }

  /** The audit head seq, read through the bridge's audit route. */
  async auditHead(): Promise<number> {
    return Number((await this.request('GET', '/v1/audit?fromSeq=1&limit=1', this.tokens.auditor)).json.headSeq);
  }

  /** Decoded payloads of the audit entries after `seq`, read through GET /v1/audit (auditor). */
  async auditSince(seq: number): Promise<Json[]> {
    const out: Json[] = [];
    for (let from = seq + 1; ;) {
      const page = await this.request('GET', `/v1/audit?fromSeq=${from}&limit=1000`, this.tokens.auditor);
      const entries = (page.json.entries ?? []) as Json[];
      if (entries.length === 0) return out;
      for (const e of entries) out.push((e.payload ?? {}) as Json);
      from = Number(entries[entries.length - 1]?.seq) + 1;
    }
  }

  /** The seq of the first entry after `seq` that matches, or null. */
  async findAudit(seq: number, match: (p: Json) => boolean): Promise<number | null> {
    const hit = (await this.auditSince(seq)).find(match);
    return hit ? Number(hit.seq) : null;
  }

  /** True when no entry after `seq` records a signature (a tx hash or a "signed" result). */
  async noSignatureSince(seq: number): Promise<boolean> {
    return (await this.auditSince(seq)).every((p) => p.result !== 'signed' && p.txHash === undefined);
  }
}

/** The reason codes of a denial response or an audit payload. */
export const reasonCodes = (j: Json): string[] => ((j.reasons ?? []) as { code: string }[]).map((r) => r.code);

/** The `why` of the first rejected approval in an audit payload. */
export const rejectedWhy = (p: Json): string | undefined => ((p.rejectedApprovals ?? []) as { why: string }[])[0]?.why;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
