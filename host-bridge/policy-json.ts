// The operator's policy file (JSON) to the canonical policy document. Amounts are decimal strings;
// public keys 0x hex. Anything unknown or out of range is refused by the firmware's own parser.
import { readFileSync } from 'node:fs';
import type { CborMap, CborValue } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import { DEFAULT_HOLD_SECONDS, parsePolicy, type PolicyDocument } from '../firmware-policy/policy-document.js';
import { jsonAddress, jsonHex, jsonObject, jsonUint } from './json-cbor.js';

function jsonArray(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) throw new ApplianceError('bad_request', `"${field}" must be an array`, { field });
  return v;
}

export interface PolicyJson {
  defaultHoldSeconds?: number;
  changeDelaySeconds?: number;
  maxApprovalLifetimeSeconds?: number;
  feeCaps?: Record<string, { maxGasLimit: number | string; maxFeeWei: string }>;
  adminQuorum: number;
  admins: { id: string; alg: string; publicKey: string }[];
  /** A key-file approver ({ id, alg: ES256|EdDSA, publicKey }) or a passkey: alg "WebAuthn", publicKey the COSE_Key, credentialId, rpId, origins. */
  approvers: { id: string; alg: string; publicKey: string; credentialId?: string; rpId?: string; origins?: string[] }[];
  /** Principals that may ask for signatures (bridge orchestrator tokens name one); ids share the admins' and approvers' namespace. */
  requesters?: { id: string; alg?: string; publicKey?: string; groups?: string[] }[];
  /** Principals that may read the log and the policy (bridge auditor tokens name one). */
  auditors?: { id: string }[];
  /** Every command an admin asks for must carry that admin's stamp. */
  requireSignedProposals?: true;
  groups: Record<
    string,
    {
      chains: (number | string)[];
      whitelistRequired: boolean;
      holdSeconds?: number | null;
      assets: Record<
        string,
        {
          perTxMax: string;
          windows: { seconds: number; maxAmount: string; maxCount: number }[];
          approvalTiers: { above: string; required: number }[];
          decimals?: number;
          approvalCap?: string;
          allowUnlimitedApproval?: boolean;
          travelRuleAbove?: string;
        }
      >;
      contracts?: { chainId: number | string; address: string; selectors: string[] }[];
      typedData?: { chainId: number | string; verifyingContract: string; typeHashes?: string[] }[];
      /** Safes the group's keys may co-sign for as owners (0x address, 20 bytes); allowGasRefund lets a SafeTx pay a gas refund to a whitelisted receiver. */
      safes?: { chainId: number | string; address: string; allowGasRefund?: true }[];
      /** Every request for this group's keys must carry its requester's stamp. */
      requireSignedRequests?: true;
      /** A sweep group: its keys may send only to this address (0x, 20 bytes), by a native or ERC-20 transfer. */
      sweepTo?: string;
    }
  >;
}

export function policyFromJson(j: PolicyJson, deviceId: string, version = 1, parentHash: Uint8Array | null = null): PolicyDocument {
  const o = jsonObject(j, 'policy');
  const principals = (list: unknown, field: string): CborValue[] => {
    if (!Array.isArray(list)) throw new ApplianceError('bad_request', `policy "${field}" must be an array`);
    return list.map((p, i) => {
      const m = jsonObject(p, `${field}[${i}]`);
      const out: CborMap = { id: m.id as string, alg: m.alg as string, publicKey: jsonHex(m.publicKey, `${field}[${i}].publicKey`) };
      // A passkey approver's credential (the firmware's parser checks each field and refuses extras).
      if (m.credentialId !== undefined) out.credentialId = jsonHex(m.credentialId, `${field}[${i}].credentialId`);
      if (m.rpId !== undefined) out.rpId = m.rpId as string;
      if (m.origins !== undefined) out.origins = jsonArray(m.origins, `${field}[${i}].origins`) as CborValue[];
      return out;
    });
  };
  const named = (list: unknown, field: string): CborValue[] => {
    if (!Array.isArray(list)) throw new ApplianceError('bad_request', `policy "${field}" must be an array`);
    return list.map((p, i) => ({ id: jsonObject(p, `${field}[${i}]`).id as string }));
  };
  // A requester may carry a request key (alg, publicKey as 0x hex) and the key groups it may ask for.
  const requesters = (list: unknown, field: string): CborValue[] => {
    if (!Array.isArray(list)) throw new ApplianceError('bad_request', `policy "${field}" must be an array`);
    return list.map((p, i) => {
      const m = jsonObject(p, `${field}[${i}]`);
      return {
        id: m.id as string,
        ...(m.alg === undefined ? {} : { alg: m.alg as string }),
        ...(m.publicKey === undefined ? {} : { publicKey: jsonHex(m.publicKey, `${field}[${i}].publicKey`) }),
        ...(m.groups === undefined ? {} : { groups: m.groups as CborValue[] }),
      };
    });
  };
  const groups: CborMap = {};
  for (const [name, gv] of Object.entries(jsonObject(o.groups, 'groups'))) {
    const g = jsonObject(gv, `groups.${name}`);
    const assets: CborMap = {};
    for (const [asset, av] of Object.entries(jsonObject(g.assets, `groups.${name}.assets`))) {
      const a = jsonObject(av, `groups.${name}.assets.${asset}`);
      const windows = Array.isArray(a.windows) ? a.windows : [];
      const tiers = Array.isArray(a.approvalTiers) ? a.approvalTiers : [];
      assets[asset] = {
        ...(a.decimals === undefined ? {} : { decimals: a.decimals as number }),
        ...(a.approvalCap === undefined ? {} : { approvalCap: jsonUint(a.approvalCap, `${asset}.approvalCap`) }),
        ...(a.allowUnlimitedApproval === undefined ? {} : { allowUnlimitedApproval: a.allowUnlimitedApproval as boolean }),
        ...(a.travelRuleAbove === undefined ? {} : { travelRuleAbove: jsonUint(a.travelRuleAbove, `${asset}.travelRuleAbove`) }),
        perTxMax: jsonUint(a.perTxMax, `${asset}.perTxMax`),
        windows: windows.map((w, i) => {
          const wm = jsonObject(w, `${asset}.windows[${i}]`);
          return { seconds: wm.seconds as number, maxAmount: jsonUint(wm.maxAmount, `${asset}.windows[${i}].maxAmount`), maxCount: wm.maxCount as number };
        }),
        approvalTiers: tiers.map((t, i) => {
          const tm = jsonObject(t, `${asset}.approvalTiers[${i}]`);
          return { above: jsonUint(tm.above, `${asset}.approvalTiers[${i}].above`), required: tm.required as number };
        }),
      };
    }
    const chains = Array.isArray(g.chains) ? g.chains : [];
    groups[name] = {
      chains: chains.map((c, i) => jsonUint(c, `groups.${name}.chains[${i}]`)),
      whitelistRequired: g.whitelistRequired as boolean,
      holdSeconds: (g.holdSeconds ?? null) as number | null,
      assets,
      ...(Array.isArray(g.contracts)
        ? {
            contracts: g.contracts.map((cv, i) => {
              const c = jsonObject(cv, `groups.${name}.contracts[${i}]`);
              const sels = Array.isArray(c.selectors) ? c.selectors : [];
              return {
                chainId: jsonUint(c.chainId, 'chainId'),
                address: jsonAddress(c.address, `groups.${name}.contracts[${i}].address`),
                selectors: sels.map((x, j) => jsonHex(x, `groups.${name}.contracts[${i}].selectors[${j}]`, 4)),
              };
            }),
          }
        : {}),
      ...(Array.isArray(g.typedData)
        ? {
            typedData: g.typedData.map((dv, i) => {
              const d = jsonObject(dv, `groups.${name}.typedData[${i}]`);
              return {
                chainId: jsonUint(d.chainId, 'chainId'),
                verifyingContract: jsonAddress(d.verifyingContract, `groups.${name}.typedData[${i}].verifyingContract`),
                ...(d.typeHashes === undefined
                  ? {}
                  : { typeHashes: jsonArray(d.typeHashes, `groups.${name}.typedData[${i}].typeHashes`).map((h, j) => jsonHex(h, `groups.${name}.typedData[${i}].typeHashes[${j}]`, 32)) }),
              };
            }),
          }
        : {}),
      ...(g.safes === undefined
        ? {}
        : {
            safes: jsonArray(g.safes, `groups.${name}.safes`).map((sv, i) => {
              const x = jsonObject(sv, `groups.${name}.safes[${i}]`);
              return {
                ...x,
                chainId: jsonUint(x.chainId, `groups.${name}.safes[${i}].chainId`),
                address: jsonAddress(x.address, `groups.${name}.safes[${i}].address`),
              } as CborMap;
            }),
          }),
      ...(g.requireSignedRequests === undefined ? {} : { requireSignedRequests: g.requireSignedRequests as boolean }),
      ...(g.sweepTo === undefined ? {} : { sweepTo: jsonAddress(g.sweepTo, `groups.${name}.sweepTo`) }),
    };
  }
  return parsePolicy({
    version,
    parentHash,
    deviceId,
    defaultHoldSeconds: (o.defaultHoldSeconds ?? DEFAULT_HOLD_SECONDS) as number,
    ...(o.changeDelaySeconds === undefined ? {} : { changeDelaySeconds: o.changeDelaySeconds as number }),
    ...(o.maxApprovalLifetimeSeconds === undefined ? {} : { maxApprovalLifetimeSeconds: o.maxApprovalLifetimeSeconds as number }),
    ...(o.requireSignedProposals === undefined ? {} : { requireSignedProposals: o.requireSignedProposals as boolean }),
    ...(o.feeCaps === undefined
      ? {}
      : {
          feeCaps: Object.fromEntries(
            Object.entries(jsonObject(o.feeCaps, 'feeCaps')).map(([chain, cv]) => {
              const c = jsonObject(cv, `feeCaps.${chain}`);
              return [chain, { maxGasLimit: jsonUint(c.maxGasLimit, `feeCaps.${chain}.maxGasLimit`), maxFeeWei: jsonUint(c.maxFeeWei, `feeCaps.${chain}.maxFeeWei`) }];
            }),
          ),
        }),
    admins: principals(o.admins, 'admins'),
    adminQuorum: o.adminQuorum as number,
    approvers: principals(o.approvers, 'approvers'),
    ...(o.requesters === undefined ? {} : { requesters: requesters(o.requesters, 'requesters') }),
    ...(o.auditors === undefined ? {} : { auditors: named(o.auditors, 'auditors') }),
    groups,
  } as CborMap);
}

export function readPolicyJson(file: string): PolicyJson {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PolicyJson;
  } catch {
    throw new ApplianceError('bad_request', `cannot read policy file ${file} as JSON`);
  }
}
