// The ceremony transcript in its two forms. transcript.cbor is the device's first audit entry exactly
// as the device signed it (a COSE_Sign1 in a CBOR sequence, the format of an audit export), so
// `hsmctl audit verify transcript.cbor --device-cert … --ca …` checks it offline. transcript.md is the
// same content for people to read and sign on paper.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import type { CborMap, CborValue } from '../../protocol/cbor.js';
import { entryPayload } from '../audit-tools.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fp = (b: Uint8Array) => hex(sha256(b)).slice(0, 16);
const iso = (t: number) => new Date(t * 1000).toISOString();

function principals(v: CborValue | undefined): string[] {
  return (Array.isArray(v) ? (v as CborMap[]) : []).map((p) => `| ${String(p.id)} | ${String(p.alg)} | \`${fp(p.publicKey as Uint8Array)}\` |`);
}

export function renderTranscriptMarkdown(entry: Uint8Array): string {
  const p = entryPayload(entry);
  const c = (p.ceremony ?? {}) as CborMap;
  const sigs = (Array.isArray(p.approvals) ? (p.approvals as CborMap[]) : []).map((a) => `| ${String(a.approverId)} | ${iso(Number(a.expiresAt))} | \`${fp(a.signature as Uint8Array)}\` |`);
  return [
    `# Key ceremony transcript: device ${String(p.deviceId)}`,
    '',
    `This is audit entry #${String(p.seq)} (\`${String(p.kind)}\`), the device's first, signed by the device's attestation key.`,
    `Entry SHA-256: \`${hex(sha256(entry))}\`.`,
    '',
    '## Ceremony',
    '',
    `- Device name: ${String(c.deviceName ?? '')}; device id: ${String(p.deviceId)}`,
    `- Time (device clock): ${iso(Number(p.time))}`,
    `- Operator: ${String(c.operator ?? '')}; witness: ${String(c.witness ?? '')}`,
    `- Plan SHA-256: \`${c.planHash instanceof Uint8Array ? hex(c.planHash) : ''}\``,
    `- Token: ${String(c.tokenLabel ?? '')} (${String(c.tokenModule ?? '')}); PINs: ${String(c.pinHandling ?? '')}`,
    `- Firmware measurement: \`${p.measurement instanceof Uint8Array ? hex(p.measurement) : ''}\``,
    `- Attestation public key (P-256) fingerprint: \`${fp(p.attestationPublicKey as Uint8Array)}\``,
    '',
    '## Admins enrolled (fingerprint = first 8 bytes of SHA-256 of the public key)',
    '',
    `Admin quorum: ${String(p.adminQuorum)} of ${Array.isArray(p.admins) ? p.admins.length : 0}.`,
    '',
    '| admin | alg | key fingerprint |',
    '|---|---|---|',
    ...principals(p.admins),
    '',
    '## Approvers',
    '',
    '| approver | alg | key fingerprint |',
    '|---|---|---|',
    ...principals(p.approvers),
    '',
    '## Initial policy',
    '',
    `Version ${String(p.policyVersion)}, SHA-256 \`${hex(p.policyHash as Uint8Array)}\`, signed by the admin quorum:`,
    '',
    '| admin | signature valid until | signature fingerprint |',
    '|---|---|---|',
    ...sigs,
    '',
    '## Verify offline',
    '',
    '```',
    'hsmctl audit verify transcript.cbor --device-cert device-cert.pem --ca ca-cert.pem',
    '```',
    '',
    '## Signatures on paper',
    '',
    '| role | name | signature |',
    '|---|---|---|',
    `| operator | ${String(c.operator ?? '')} | |`,
    `| witness | ${String(c.witness ?? '')} | |`,
    '',
  ].join('\n');
}

/** Writes transcript.cbor, transcript.md and the device certificate into `dir`. */
export function writeTranscript(dir: string, entry: Uint8Array, deviceCertPem: string, caCertPem: string): { cbor: string; markdown: string } {
  const cbor = join(dir, 'transcript.cbor');
  const markdown = join(dir, 'transcript.md');
  // Never over an earlier ceremony's transcript.
  writeFileSync(cbor, entry, { flag: 'wx' });
  writeFileSync(markdown, renderTranscriptMarkdown(entry), { flag: 'wx' });
  writeFileSync(join(dir, 'device-cert.pem'), deviceCertPem, { flag: 'wx' });
  writeFileSync(join(dir, 'ca-cert.pem'), caCertPem, { flag: 'wx' });
  return { cbor, markdown };
}
