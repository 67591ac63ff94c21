// A device opened in this process for command-handler tests: a real SoftHSM2 token and state in a
// temporary var/ (made by the same code as `hsmctl device create`), on a clock the test moves. The
// test calls the dispatcher, `dispatch(dev, cmd, args)`, as the appliance's socket server does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CborMap } from '../../protocol/cbor.js';
import { ApplianceError, type ErrorCode } from '../../protocol/errors.js';
import { createDevice } from '../../cli/device-create.js';
import { policyFromJson, type PolicyJson } from '../../host-bridge/policy-json.js';
import { signStatement, type ApproverKeyFile } from '../../cli/approver-key.js';
import { devicePaths, readDeviceConfig, readSecretFile } from '../../softhsm-config/device-layout.js';
import { KeyStore } from '../../appliance/keystore.js';
import { closeDevice, openDevice, type Device } from '../../appliance/device.js';
import type { ClockSources } from '../../appliance/device-clock.js';
import { runningMeasurement } from './running-measurement.js';
import { encodeWhitelistStatement } from '../../firmware-policy/whitelist-governance.js';
import { encodeApprovalStatement } from '../../firmware-policy/approvals/statement.js';
import { dispatch } from '../../appliance/dispatch.js';
import { CHAIN_ID, makePeople, testPolicyJson, type TestPeople } from './test-device.js';

/** The host wall clock and the monotonic clock the device reads; neither moves unless the test moves it. */
export class TestClock implements ClockSources {
  private hostSeconds: number;
  private mono = 0n;
  constructor(start: number) {
    this.hostSeconds = start;
  }
  host = (): number => this.hostSeconds;
  monotonicNs = (): bigint => this.mono;
  /** Both clocks move `seconds` forward: the device's time follows the monotonic one. */
  advance(seconds: number): void {
    this.hostSeconds += seconds;
    this.mono += BigInt(seconds) * 1_000_000_000n;
  }
}

export interface InProcessDevice {
  dev: Device;
  clock: TestClock;
  people: TestPeople;
  /** The keys generated at creation (key.generate answers). */
  keys: CborMap[];
  close(): void;
}

/**
 * Creates a device (token, identity, the policy signed by its admins, the given keys) in a temporary
 * directory and opens it in this process on a TestClock starting at the host's now. The measured
 * code is this build, so the device's firmware is the enrolled one.
 */
export async function openInProcessDevice(opts: { policy?: (p: TestPeople) => PolicyJson; keys?: { label: string; group: string }[] } = {}): Promise<InProcessDevice> {
  const varRoot = mkdtempSync(join(tmpdir(), 'hsm-cmd-'));
  const people = makePeople();
  const json = (opts.policy ?? testPolicyJson)(people);
  const created = await createDevice({
    varRoot,
    name: 'dev',
    policy: (id) => policyFromJson(json, id),
    keys: opts.keys ?? [{ label: 'hot-1', group: 'hot' }],
    adminSigners: people.admins,
    measurement: runningMeasurement(),
  });
  const paths = devicePaths(varRoot, 'dev');
  const config = readDeviceConfig(paths);
  process.env.SOFTHSM2_CONF = paths.softhsmConf;
  const keystore = KeyStore.open({ modulePath: config.modulePath, tokenUri: config.tokenUri, pin: readSecretFile(paths.userPinFile), poolSize: 1 });
  const clock = new TestClock(Math.floor(Date.now() / 1000));
  const dev = openDevice({ config, stateDb: paths.stateDb, keystore, measurement: runningMeasurement(), clockSources: clock });
  return {
    dev,
    clock,
    people,
    keys: created.keys,
    close() {
      closeDevice(dev);
      rmSync(varRoot, { recursive: true, force: true });
    },
  };
}

/** A matcher for assert.rejects: an ApplianceError with this code and, if given, these details. */
export function typedError(code: ErrorCode, details: Record<string, unknown> = {}) {
  return (e: unknown): boolean => {
    if (!(e instanceof ApplianceError)) throw new Error(`expected an ApplianceError, got ${String(e)}`);
    if (e.code !== code) throw new Error(`expected code ${code}, got ${e.code}: ${e.message}`);
    for (const [k, v] of Object.entries(details)) {
      if (e.details?.[k] !== v) throw new Error(`expected details.${k} = ${String(v)}, got ${String(e.details?.[k])} (${e.message})`);
    }
    return true;
  };
}

/** An admin's whitelist.approve arguments for a proposal answered by whitelist.propose. */
export function whitelistApproval(d: InProcessDevice, proposal: CborMap, admin: ApproverKeyFile, expiresAt = d.dev.deviceClock.host() + 600): CborMap {
  const p = {
    id: String(proposal.proposalId),
    group: String(proposal.group),
    chainId: BigInt(proposal.chainId as bigint | number),
    address: Buffer.from(String(proposal.address).slice(2), 'hex'),
    label: String(proposal.label),
    proposedBy: '',
  };
  return { proposalId: p.id, adminId: admin.id, expiresAt, signature: signStatement(admin, encodeWhitelistStatement(d.dev.config.deviceId, p, admin.id, expiresAt)) };
}

/** Proposes `address` for `group` (admin-3) and has admin-1 and admin-2 approve it; returns the accepted proposal. */
export async function whitelistAddress(d: InProcessDevice, address: Uint8Array, group = 'hot'): Promise<CborMap> {
  const proposal = await dispatch(d.dev, 'whitelist.propose', { requester: 'admin-3', group, chainId: BigInt(CHAIN_ID), address, label: 'test recipient' });
  let last = proposal;
  for (const admin of d.people.admins.slice(0, 2)) last = await dispatch(d.dev, 'whitelist.approve', whitelistApproval(d, proposal, admin));
  if (last.status !== 'accepted') throw new Error(`whitelisting failed: ${String(last.status)}`);
  return last;
}

/** An EIP-1559 transfer as sign.evm-tx takes it (fields in CBOR). */
export function transfer(to: Uint8Array, value: bigint, nonce: number): CborMap {
  return { type: 'eip1559', chainId: BigInt(CHAIN_ID), nonce: BigInt(nonce), to, value, gasLimit: 21000n, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1n };
}

/** An approver's request.approve arguments over a pending request's intent digest. */
export function requestApproval(d: InProcessDevice, requestId: string, intentDigest: Uint8Array, approver: ApproverKeyFile, expiresAt = d.dev.deviceClock.host() + 600): CborMap {
  const statement = encodeApprovalStatement({ deviceId: d.dev.config.deviceId, intentDigest, approverId: approver.id, expiresAt });
  return { requestId, approverId: approver.id, expiresAt, signature: signStatement(approver, statement) };
}
