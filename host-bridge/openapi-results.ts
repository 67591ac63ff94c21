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

const reason = shape<PolicyReason>()({ rule: str, code: { type: 'string', enum: [...REASON_CODES] }, message: str, detail: anyMap('typed detail of the reason') }, ['detail']);
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
    intent: nullable(anyMap('the decoded transaction intent: chainId, asset, to, amount, nonce, maxFee, maxFeePerGas, maxPriorityFeePerGas, gasLimit')),
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

/** components.schemas entries for the success responses (openapi.ts adds them to its own). */
export const RESULT_SCHEMAS: Record<string, Schema> = {
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
        { seq: int, hash: bytes(), entry: bytes('the COSE_Sign1 as stored'), payload: anyMap('the decoded payload, for reading (absent when it does not decode)') },
        ['payload'],
      ),
    },
    nextSeq: nullable(int),
  }),
};

export { ref as resultRef };
