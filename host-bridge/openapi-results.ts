// The JSON schemas of the bridge's success responses, for the API description (openapi.ts). Each is
// the JSON form (json-cbor.ts cborToJson: byte strings as lower-case 0x hex, big integers as decimal
// strings) of a command's result type in the catalogue (protocol/commands/): `shape<T>()` takes one
// schema per member of T, so a member added to or dropped from a result type fails to compile until
// its schema follows. Members a type marks optional are listed as such; every other one is required.
import type { KeyInfo, ListedKey } from '../protocol/commands/key-info.js';
import type { KeyProtection } from '../protocol/commands/key-get.js';
import type { HealthResult } from '../protocol/commands/health.js';
import type { AbortedAnswer, DeniedAnswer, FailedAnswer, PendingAnswer, PolicyReason, SignedTxAnswer, SignedTypedAnswer, ApprovalStatementTemplate } from '../protocol/commands/signing-answer.js';
import type { SigningInProgress } from '../protocol/commands/request-get.js';
import type { DecodedRequest } from '../protocol/commands/request-list.js';
import type { ListedWhitelistEntry, WhitelistListResult } from '../protocol/commands/whitelist-list.js';
import type { WhitelistAddStatement, WhitelistProposalView } from '../protocol/commands/whitelist-proposal-view.js';
import type { WhitelistProposalsResult } from '../protocol/commands/whitelist-proposals.js';
import type { ListedPolicyProposal, PolicyProposalsResult } from '../protocol/commands/policy-proposals.js';
import type { WhitelistCancelResult } from '../protocol/commands/whitelist-cancel.js';
import type { WhitelistRemoveResult } from '../protocol/commands/whitelist-remove.js';
import type { PolicyGetResult } from '../protocol/commands/policy-get.js';
import type { PolicyChangeStatement, PolicyChangeView, PolicyProposalView } from '../protocol/commands/policy-proposal-view.js';
import type { PolicyDiffResult } from '../protocol/commands/policy-diff.js';
import type { DeviceInfoResult } from '../protocol/commands/device-info.js';
import type { DeviceAttestResult } from '../protocol/commands/device-attest.js';
import type { DeviceTimeResult, TimeStatementTemplate } from '../protocol/commands/device-time.js';
import type { DeviceTimeAttestResult } from '../protocol/commands/device-time-attest.js';
import type { FirmwareApproveResult } from '../protocol/commands/firmware-approve.js';
import type { AuditListResult, StoredAuditEntry } from '../protocol/commands/audit-list.js';
import type { KeyListResult } from '../protocol/commands/key-list.js';
import type { HdCreateResult } from '../protocol/commands/hd-create.js';
import type { HdDeriveResult } from '../protocol/commands/hd-derive.js';
import type { HdXpubResult } from '../protocol/commands/hd-xpub.js';
import { REASON_CODES } from '../firmware-policy/reason-codes.js';
import { AMOUNT_UNITS, EXPLANATION, ISO_SUFFIX, MAX_FEE_UNITS, TIME_FIELDS } from './readable-json.js';

type Schema = Record<string, unknown>;
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

/** Byte strings: cborToJson writes lower-case 0x hex. */
const bytes = (description?: string): Schema => ({ type: 'string', pattern: '^0x([0-9a-f]{2})*$', ...(description ? { description } : {}) });
/** A CBOR big integer (a chain id): a decimal string. */
const bigDecimal: Schema = { type: 'string', pattern: '^(0|[1-9][0-9]*)$', description: 'an integer as a decimal string' };
const int: Schema = { type: 'integer' };
const unix: Schema = { type: 'integer', description: 'unix seconds (device time)' };
const str: Schema = { type: 'string' };
const bool: Schema = { type: 'boolean' };
const strings: Schema = { type: 'array', items: str };
const eip55: Schema = { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$', description: 'EIP-55 checksummed address' };
const nullable = (s: Schema): Schema => ({ oneOf: [s, { type: 'null' }] });
const constant = (value: string): Schema => ({ type: 'string', enum: [value] });
const anyMap = (description: string): Schema => ({ type: 'object', description });

type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];

/** An object schema with one schema per member of T (no more, no fewer); `optional` are not required. */
function shape<T>() {
  return (properties: { [K in keyof T]-?: Schema }, optional: readonly OptionalKeys<T>[] = [], description?: string): Schema => ({
    type: 'object',
    ...(description ? { description } : {}),
    required: Object.keys(properties).filter((k) => !(optional as readonly string[]).includes(k)),
    properties,
  });
}

const keyInfo = {
  keyId: str,
  label: str,
  group: { type: 'string', description: 'the group the active policy puts the key in' },
  curve: constant('secp256k1'),
  address: eip55,
  publicKey: bytes('uncompressed SEC1 public key (65 bytes)'),
  createdAt: unix,
  policyHash: bytes('hash of the policy active when the key was generated'),
  certificate: { type: 'string', description: 'PEM key attestation certificate, signed by the device attestation key' },
} satisfies { [K in keyof KeyInfo]-?: Schema };
const listedKey = { ...keyInfo, generatedInGroup: str } satisfies { [K in keyof ListedKey]-?: Schema };

const reasonFields = shape<PolicyReason>()(
  {
    rule: str,
    code: { type: 'string', enum: [...REASON_CODES] },
    message: { type: 'string', description: "the evaluator's message, as the audit entry records it" },
    detail: anyMap('typed detail of the reason'),
  },
  ['detail'],
);
const reason: Schema = {
  ...reasonFields,
  required: [...(reasonFields.required as string[]), EXPLANATION],
  properties: {
    ...(reasonFields.properties as object),
    [EXPLANATION]: {
      type: 'string',
      description:
        'the rule in words, one sentence per code (firmware-policy/reason-texts.ts), with the time a hold ends or the approvals counted when the detail has them; added by the bridge, not recorded in the audit entry',
    },
  },
};
const reasons: Schema = { type: 'array', items: ref('Reason') };
const approvalStatement = shape<ApprovalStatementTemplate>()(
  { type: constant('approval'), deviceId: str, intentDigest: bytes(), approverId: { type: 'null' }, expiresAt: { type: 'null' } },
  [],
  'the approval statement to sign: this map with approverId and expiresAt filled in, canonically encoded as CBOR',
);

const pending = shape<PendingAnswer>()({
  status: constant('pending_approval'),
  requestId: str,
  keyId: str,
  intentDigest: bytes(),
  required: { type: 'integer', description: 'approvals needed' },
  approvedBy: strings,
  reasons,
  statement: ref('ApprovalStatement'),
  auditSeq: int,
});
const denied = shape<DeniedAnswer>()({ status: constant('denied'), requestId: str, keyId: str, intentDigest: bytes(), digest: bytes('typed data: the EIP-712 digest'), reasons, auditSeq: int }, [
  'digest',
]);
const failed = shape<FailedAnswer>()(
  {
    status: constant('failed'),
    requestId: str,
    message: str,
    fault: { type: 'string', description: 'why no signature was released (malformed, out_of_range, not_by_key, r_overflow, not_signed); the audit entry (sign_failed) names it' },
    auditSeq: int,
  },
  [],
);
const aborted = shape<AbortedAnswer>()({ status: constant('aborted'), requestId: str, message: str });
const signedTx = shape<SignedTxAnswer>()({
  status: constant('signed'),
  requestId: str,
  keyId: str,
  from: eip55,
  intentDigest: bytes(),
  rawTransaction: bytes('the signed transaction, ready for eth_sendRawTransaction'),
  txHash: bytes(),
  approvedBy: strings,
  auditSeq: int,
  auditEntry: bytes('the audit entry (COSE_Sign1) that records this signature'),
});
const signedTyped = shape<SignedTypedAnswer>()({
  status: constant('signed'),
  requestId: str,
  keyId: str,
  from: eip55,
  digest: bytes('the EIP-712 digest (also the intent digest)'),
  intentDigest: bytes(),
  signature: bytes('r || s || v, v = 27 + yParity'),
  yParity: { type: 'integer', enum: [0, 1] },
  approvedBy: strings,
  auditSeq: int,
  auditEntry: bytes('the audit entry (COSE_Sign1) that records this signature'),
});
const signing = shape<SigningInProgress>()({ status: constant('signing'), requestId: str }, [], 'the approval quorum is met and the key is signing (read again)');
/** What request.get adds to a stored answer (RequestGetResult). */
const requestRecord = {
  travelRuleHash: bytes("the transaction's travel-rule hash, when it named one"),
  requester: str,
  createdAt: unix,
  updatedAt: unix,
  approvals: { type: 'array', items: { type: 'object', required: ['approverId', 'expiresAt'], properties: { approverId: str, expiresAt: unix } } },
};
const withRecord = (answer: Schema): Schema => ({
  ...answer,
  required: [...(answer.required as string[]), 'requester', 'createdAt', 'updatedAt', 'approvals'],
  properties: { ...(answer.properties as object), ...requestRecord },
});
const decoded = shape<DecodedRequest>()(
  {
    auditSeq: int,
    keyGroup: nullable(str),
    policyVersion: nullable(int),
    intent: nullable(
      anyMap(
        `the decoded transaction intent: chainId, asset, to, amount (base units), nonce, maxFee, maxFeePerGas, maxPriorityFeePerGas, gasLimit; and \`${AMOUNT_UNITS}\`, the amount in token units added by the bridge ("1.5 ETH"; an ERC-20 with \`decimals\`, or its base units and "decimals unknown"), and \`${MAX_FEE_UNITS}\`, maxFee (wei) in ETH`,
      ),
    ),
    typed: nullable(anyMap("typed data's summary: primaryType, domain, classification, transfer")),
    reasons,
    recipientLabels: { type: 'array', items: { type: 'object', required: ['group', 'label'], properties: { group: str, label: str } } },
    decimals: nullable(int),
  },
  [],
  'what the appliance decoded and decided when it held the request, read back from its audit entry',
);
const requestAnswers = [signedTx, signedTyped, pending, denied, failed, aborted, signing].map(withRecord);

const whitelistStatement = shape<WhitelistAddStatement>()(
  { type: constant('whitelist-add'), deviceId: str, proposalId: str, group: str, chainId: bigDecimal, address: bytes('20 bytes'), label: str, adminId: { type: 'null' }, expiresAt: { type: 'null' } },
  [],
  'what each admin signs: this map with adminId and expiresAt filled in, canonically encoded as CBOR',
);
const policyStatement = shape<PolicyChangeStatement>()(
  { type: constant('policy-change'), deviceId: str, proposalId: str, version: int, hash: bytes(), adminId: { type: 'null' }, expiresAt: { type: 'null' } },
  [],
  'what each admin signs: this map with adminId and expiresAt filled in, canonically encoded as CBOR',
);
const change = shape<PolicyChangeView>()({ path: str, kind: { type: 'string', enum: ['added', 'removed', 'changed'] }, stricter: bool, before: str, after: str, note: str }, [
  'before',
  'after',
  'note',
]);
const changes = { changes: { type: 'array', items: ref('PolicyChange') }, changeCount: int };
/** A policy proposal's members other than its list of changes (the listing leaves the list out). */
const policyProposalFields = {
  proposalId: str,
  version: int,
  hash: bytes(),
  proposedBy: str,
  status: { type: 'string', enum: ['pending', 'scheduled', 'active', 'cancelled', 'superseded'] },
  stricter: { type: 'boolean', description: 'the proposal only tightens the active policy (no time lock)' },
  createdAt: unix,
  quorumAt: nullable(unix),
  activateAfter: nullable(unix),
  required: int,
  approvedBy: strings,
  statement: policyStatement,
};
const timeStatement = shape<TimeStatementTemplate>()(
  { type: constant('device-time'), deviceId: str, nonce: bytes('16 bytes'), time: { type: 'null' }, adminId: { type: 'null' }, expiresAt: { type: 'null' } },
  [],
  'what each admin signs: this map with time, adminId and expiresAt filled in, canonically encoded as CBOR',
);

const TIMES = new Set<string>(TIME_FIELDS);
const isoTime: Schema = {
  type: 'string',
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$',
  description: 'the unix time beside it as ISO 8601 UTC, for reading (added by the bridge)',
};

/**
 * `schema` with the `<time>Iso` member readable-json.ts adds beside every unix-seconds member it
 * names (required when the time is; absent when the time is null), at every depth but inside a
 * signed statement, which is answered exactly as approvers sign it.
 */
function withIsoTimes(schema: Schema): Schema {
  const out: Schema = { ...schema };
  if (Array.isArray(schema.oneOf)) out.oneOf = (schema.oneOf as Schema[]).map(withIsoTimes);
  if (schema.items && typeof schema.items === 'object') out.items = withIsoTimes(schema.items as Schema);
  if (schema.properties && typeof schema.properties === 'object') {
    const props: Record<string, Schema> = {};
    const required = [...((schema.required as string[] | undefined) ?? [])];
    for (const [k, v] of Object.entries(schema.properties as Record<string, Schema>)) {
      props[k] = k === 'statement' ? v : withIsoTimes(v);
      if (!TIMES.has(k) || !(v.type === 'integer' || Array.isArray(v.oneOf))) continue;
      props[k + ISO_SUFFIX] = isoTime;
      if (v.type === 'integer' && required.includes(k)) required.push(k + ISO_SUFFIX);
    }
    out.properties = props;
    if (schema.required) out.required = required;
  }
  return out;
}

/** The success responses' schemas as the appliance's results (the readable members are added below). */
const RESULTS: Record<string, Schema> = {
  Reason: reason,
  ApprovalStatement: approvalStatement,
  Health: shape<HealthResult>()({ deviceId: str, ready: bool, policyVersion: nullable(int), policyHash: nullable(bytes()), auditHeadSeq: int, keys: int }),
  Key: shape<ListedKey>()(listedKey),
  KeyWithProtection: shape<ListedKey & { protection: KeyProtection }>()({
    ...listedKey,
    protection: shape<KeyProtection>()(
      { token: bool, private: bool, sensitive: bool, extractable: bool, alwaysSensitive: bool, neverExtractable: bool, wrapWithTrusted: bool, modifiable: bool },
      [],
      "the token's PKCS#11 attributes of the private key",
    ),
  }),
  GeneratedKey: shape<KeyInfo & { auditSeq: number }>()({ ...keyInfo, auditSeq: int }),
  HdWallet: shape<HdCreateResult>()({ walletId: str, label: str, createdAt: unix, policyHash: bytes('hash of the policy active at creation'), auditSeq: int }),
  DerivedKey: shape<HdDeriveResult>()({ ...keyInfo, walletId: str, path: { type: 'string', description: "m/44'/60'/a'/0/i" }, auditSeq: int }),
  HdXpub: shape<HdXpubResult>()({
    walletId: str,
    account: int,
    path: { type: 'string', description: "m/44'/60'/a'" },
    xpub: { type: 'string', pattern: '^xpub[1-9A-HJ-NP-Za-km-z]{107}$', description: 'BIP-32 extended public key' },
    auditSeq: int,
  }),
  KeyPage: shape<KeyListResult>()({ keys: { type: 'array', items: ref('Key') }, nextOffset: nullable(int) }),
  SignTransactionAnswer: { oneOf: [signedTx, pending, denied, failed, aborted], description: 'the decision on a transaction, by `status`' },
  SignTypedDataAnswer: { oneOf: [signedTyped, pending, denied, failed, aborted], description: 'the decision on typed data, by `status`' },
  RequestAnswer: { oneOf: [signedTx, signedTyped, pending, denied, failed, aborted], description: "a signing request's answer after an approval, by `status`" },
  Request: { oneOf: requestAnswers, description: 'a signing request: its answer (or signing) with its requester, times and approvals' },
  RequestPage: {
    type: 'object',
    required: ['requests', 'next'],
    properties: {
      requests: {
        type: 'array',
        items: {
          oneOf: requestAnswers.map((a) => ({ ...a, required: [...(a.required as string[]), 'decoded'], properties: { ...(a.properties as object), decoded: nullable(ref('DecodedRequest')) } })),
        },
      },
      next: { oneOf: [str, { type: 'null' }], description: 'pass as `after` for the next page; null on the last page' },
    },
  },
  DecodedRequest: decoded,
  WhitelistEntries: shape<WhitelistListResult>()({
    now: unix,
    entries: {
      type: 'array',
      items: shape<ListedWhitelistEntry>()({ group: str, chainId: bigDecimal, address: eip55, label: str, activeAt: unix, inHold: bool, proposalId: str, addedAt: unix }),
    },
  }),
  WhitelistProposal: shape<WhitelistProposalView>()({
    proposalId: str,
    group: str,
    chainId: bigDecimal,
    address: eip55,
    label: str,
    proposedBy: str,
    status: { type: 'string', enum: ['pending', 'accepted', 'cancelled'] },
    createdAt: unix,
    quorumAt: nullable(unix),
    activeAt: nullable(unix),
    required: int,
    approvedBy: strings,
    statement: whitelistStatement,
  }),
  WhitelistProposals: shape<WhitelistProposalsResult>()({ proposals: { type: 'array', items: ref('WhitelistProposal') } }),
  WhitelistCancel: shape<WhitelistCancelResult>()({ proposalId: str, status: { type: 'string', enum: ['cancelled', 'pending'] }, required: int, approvedBy: strings }),
  WhitelistRemoval: shape<WhitelistRemoveResult>()({ removed: { type: 'integer', description: 'entries removed (one per group holding the address)' }, chainId: bigDecimal, address: eip55 }),
  Policy: shape<PolicyGetResult>()({ version: int, hash: bytes(), activatedAt: unix, document: anyMap('the policy document (firmware-policy/policy-document.ts; byte strings as 0x hex)') }),
  PolicyChange: change,
  PolicyProposal: shape<PolicyProposalView>()({ ...changes, ...policyProposalFields }),
  PolicyProposals: shape<PolicyProposalsResult>()({ proposals: { type: 'array', items: shape<ListedPolicyProposal>()({ changeCount: int, ...policyProposalFields }) } }),
  PolicyDiff: shape<PolicyDiffResult>()({ ...changes, version: int, against: int, stricter: bool, markdown: { type: 'string', description: 'the listed changes as a Markdown table' } }),
  Device: shape<DeviceInfoResult>()({
    deviceId: str,
    deviceCertificate: str,
    caCertificate: str,
    attestationPublicKey: bytes(),
    measurement: bytes(),
    enrolledMeasurement: bytes(),
    approvedMeasurements: strings,
    firmwareApproved: bool,
    sealed: { type: 'object', required: ['ok', 'findings'], properties: { ok: bool, findings: strings } },
  }),
  AttestationQuote: shape<DeviceAttestResult>()({ quote: bytes('COSE_Sign1 over the canonical attestation-quote map'), deviceCertificate: str }),
  DeviceTime: shape<DeviceTimeResult>()({ time: unix, latest: unix, hostTime: int, hostAheadSeconds: int, toleranceSeconds: int, nonce: bytes('16 bytes'), statement: timeStatement }),
  DeviceTimeAccepted: shape<DeviceTimeAttestResult>()({ status: constant('accepted'), time: unix, advancedSeconds: int, approvedBy: strings, auditSeq: int }),
  FirmwareApproval: shape<FirmwareApproveResult>()({ measurement: bytes(), status: { type: 'string', enum: ['accepted', 'pending'] }, required: int, approvedBy: strings, firmwareApproved: bool }),
  AuditPage: shape<AuditListResult>()({
    headSeq: int,
    headHash: bytes(),
    entries: {
      type: 'array',
      items: shape<StoredAuditEntry & { payload?: object }>()(
        {
          seq: int,
          hash: bytes(),
          entry: bytes('the COSE_Sign1 as stored'),
          payload: anyMap(
            `the decoded payload (kind, seq, time, requestId, keyId, outcome, reasons, intentDigest, travelRuleHash…), for reading, not verifying (absent when it does not decode); the bridge adds readable members that the signed bytes do not hold: \`<time>${ISO_SUFFIX}\` beside each unix time, \`${AMOUNT_UNITS}\` beside a base-unit amount of an asset, \`${MAX_FEE_UNITS}\` beside a fee in wei, \`${EXPLANATION}\` beside each reason`,
          ),
        },
        ['payload'],
      ),
    },
    nextSeq: nullable(int),
  }),
};

/** components.schemas entries for the success responses (openapi.ts adds them to its own), with the `<time>Iso` members. */
export const RESULT_SCHEMAS: Record<string, Schema> = Object.fromEntries(Object.entries(RESULTS).map(([name, schema]) => [name, withIsoTimes(schema)]));

export { ref as resultRef };
