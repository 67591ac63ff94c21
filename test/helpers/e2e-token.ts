// What the token and typed-data end-to-end tests share: a device key by its label, the audit log
// (through the bridge as an auditor, or straight from the appliance as replay reads it), whether a
// spender holding an allowance can pull tokens on chain, and a token deployed at the address the
// device's policy was written for.
import assert from 'node:assert/strict';
import { createWalletClient, getContractAddress, http, type Hex, type PrivateKeyAccount } from 'viem';
import { decodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { decodeCoseSign1 } from '../../attestation/cose-sign1.js';
import type { Anvil } from './anvil.js';
import type { Compiled } from './solidity.js';
import type { TestDevice } from './test-device.js';

/** The device key made with `label`: its key id and address. */
export function keyByLabel(dev: TestDevice, label: string): { keyId: string; address: Hex } {
  const k = dev.keys.find((x) => x.label === label);
  if (!k) throw new Error(`no key ${label}`);
  return { keyId: String(k.keyId), address: String(k.address) as Hex };
}

/** The audit entry at `seq`, decoded (read through the bridge as an auditor). */
export async function auditEntryViaBridge(dev: TestDevice, seq: unknown): Promise<Record<string, unknown>> {
  const page = await dev.request('GET', `/v1/audit?fromSeq=${Number(seq)}&limit=1`, dev.tokens.auditor);
  return ((page.json.entries as Record<string, unknown>[])[0]?.payload ?? {}) as Record<string, unknown>;
}

/** The first 1000 audit payloads, decoded from the COSE entries the appliance serves. */
export async function auditPayloadsOf(dev: TestDevice): Promise<CborMap[]> {
  const page = (await dev.client.call('audit.list', { fromSeq: 1, limit: 1000 })) as CborMap;
  return (page.entries as CborMap[]).map((e) => decodeCanonical(decodeCoseSign1(e.entry as Uint8Array).payload ?? new Uint8Array()) as CborMap);
}

/** The audit payload at `seq` (asserted to exist). */
export async function auditEntryOf(dev: TestDevice, seq: number): Promise<CborMap> {
  const found = (await auditPayloadsOf(dev)).find((p) => p.seq === seq);
  assert.ok(found, `audit entry ${seq}`);
  return found;
}

/** `spender` (a wallet of its own on anvil) pulls `amount` of the token from `owner` to `to`; true when mined successfully. */
export async function pullAsSpender(anvil: Anvil, token: { abi: Compiled['abi']; address: Hex }, spender: PrivateKeyAccount, owner: string, to: string, amount: bigint): Promise<boolean> {
  const wallet = createWalletClient({ account: spender, chain: anvil.funder.chain, transport: http(anvil.rpcUrl) });
  try {
    const hash = await wallet.writeContract({
      address: token.address,
      abi: token.abi,
      functionName: 'transferFrom',
      args: [owner, to, amount],
      account: spender,
      chain: anvil.funder.chain,
      gas: 100_000n,
    });
    return (await anvil.publicClient.waitForTransactionReceipt({ hash })).status === 'success';
  } catch {
    return false; // refused by the node (the call reverts in estimation)
  }
}

/** The address the anvil funder's next deployment will have: known before the device starts, so its policy can name it. */
export async function nextFunderDeployment(anvil: Anvil): Promise<Hex> {
  const funder = anvil.funder.account!.address;
  return getContractAddress({ from: funder, nonce: BigInt(await anvil.publicClient.getTransactionCount({ address: funder })) });
}

/** Deploys `contract` from the anvil funder with constructor `args`, and checks it landed at `expected`. */
export async function deployFromFunder(anvil: Anvil, contract: Compiled, args: unknown[], expected: Hex): Promise<void> {
  const hash = await anvil.funder.deployContract({ abi: contract.abi, bytecode: contract.bytecode, args, account: anvil.funder.account!, chain: anvil.funder.chain });
  const deployed = await anvil.publicClient.waitForTransactionReceipt({ hash });
  assert.equal(deployed.contractAddress?.toLowerCase(), expected.toLowerCase());
}
