// Device and key attestation certificates (X.509 v3, RFC 5280), as a YubiHSM 2 issues them:
//
//   manufacturer CA (self-signed, P-256 software key in a PKCS#8 PEM *outside* the device)
//     └─ device certificate: CN=<deviceId>, cA=true pathLen=0, for the token's P-256 attestation key
//          └─ key attestation certificate: CN=<keyId>, cA=false, for a secp256k1 key generated in the token
//
// Everything is signed with ecdsa-with-SHA256 (RFC 5758 §3.2: AlgorithmIdentifier without parameters;
// the signature is the DER `Ecdsa-Sig-Value` of RFC 3279 §2.2.3). Public keys are `id-ecPublicKey` SPKIs
// with a named curve (RFC 5480 §2.1.1): prime256v1 1.2.840.10045.3.1.7 or secp256k1 1.3.132.0.10 (SEC 2).
// Our own extensions live under a UUID-derived arc 2.25.<uuid> (ITU-T X.667 / RFC 4122 §C: no registration
// needed), are non-critical, and hold plain UTF8String / OCTET STRING / BOOLEAN values so that
// `openssl x509 -text` shows them legibly.
//
// Why the certificates are assembled with @peculiar/asn1-x509 rather than @peculiar/x509's
// X509CertificateGenerator: the generator signs only with a WebCrypto CryptoKey, or takes a finished
// signature, which would need the very TBSCertificate bytes it builds internally; the device key is only
// reachable through a PKCS#11 signing callback. Node's WebCrypto also has no secp256k1 ("K-256") key to
// give it, and importing @peculiar/x509 2.2.0 at all throws unless a `reflect-metadata` polyfill (for
// tsyringe) is loaded first, which this project does not install. So we build the TBSCertificate from
// asn1-x509 classes, serialise it once (AsnConvert), sign exactly those DER bytes (node:crypto for the
// CA's software key, the `P256Signer` for the device key), turn the token's raw r||s into an
// Ecdsa-Sig-Value, and wrap the three parts in the outer SEQUENCE by hand. Extensions are read back from
// the raw TBS bytes, because asn1js mangles OID arcs above 2^53 (every 2.25 UUID arc) on parse.
//
// Operators: the CA's `privateKeyPem` is a bare software key. Write it with mode 0600 (e.g.
// `writeFileSync(path, pem, { mode: 0o600 })`), keep it off the appliance, and never ship it with a device.
import { equalBytes } from '../protocol/bytes.js';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  Extension,
  Extensions,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { ECParameters } from '@peculiar/asn1-ecc';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ApplianceError, badRequest } from '../protocol/errors.js';

/** Signs `data` with ECDSA P-256 over SHA-256 and returns the raw r||s (64 bytes), as a PKCS#11 token does (the caller hashes nothing; this function's contract is "sign these bytes"). */
export type P256Signer = (data: Uint8Array) => Promise<Uint8Array>;

/** The emulated manufacturer CA. `privateKeyPem` is PKCS#8: store it 0600, outside any device. */
export interface ManufacturerCa {
  certPem: string;
  privateKeyPem: string;
}

export interface DeviceIdentity {
  deviceId: string;
  /** 32-byte firmware measurement. */
  measurement: Uint8Array;
}

export interface KeyAttestation {
  keyId: string;
  group: string;
  policyHash: Uint8Array;
  measurement: Uint8Array;
  generatedOnDevice: boolean;
  nonExtractable: boolean;
  /** The key may leave the token only wrapped under a key the token's SO marked trusted (backup ceremony). */
  wrapWithTrustedOnly?: boolean;
  deviceId: string;
}

/** UUID 014a8109-1443-44d6-9adc-a20d7c20bd82 as an integer, under joint-iso-itu-t(2) uuid(25). */
const ATTESTATION_ARC = '2.25.1716075113479850117302911920391634306';

export const ATTESTATION_OIDS: {
  readonly deviceId: string;
  readonly measurement: string;
  readonly generatedOnDevice: string;
  readonly nonExtractable: string;
  readonly keyGroup: string;
  readonly policyHash: string;
  readonly keyId: string;
  readonly wrapWithTrustedOnly: string;
} = Object.freeze({
  deviceId: `${ATTESTATION_ARC}.1`, // UTF8String
  measurement: `${ATTESTATION_ARC}.2`, // OCTET STRING (32)
  generatedOnDevice: `${ATTESTATION_ARC}.3`, // BOOLEAN
  nonExtractable: `${ATTESTATION_ARC}.4`, // BOOLEAN
  keyGroup: `${ATTESTATION_ARC}.5`, // UTF8String
  policyHash: `${ATTESTATION_ARC}.6`, // OCTET STRING (32)
  keyId: `${ATTESTATION_ARC}.7`, // UTF8String
  wrapWithTrustedOnly: `${ATTESTATION_ARC}.8`, // BOOLEAN
});

const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const OID_P256 = '1.2.840.10045.3.1.7';
const OID_SECP256K1 = '1.3.132.0.10';
const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const OID_COMMON_NAME = '2.5.4.3';
/** Extensions this module understands, so it may honour them when marked critical (RFC 5280 §4.2). */
const KNOWN_CRITICAL = new Set([id_ce_basicConstraints, id_ce_keyUsage]);

const DAY_MS = 86_400_000;
const DEFAULT_CA_DAYS = 7300;
const DEFAULT_DEVICE_DAYS = 3650;
const DEFAULT_KEY_DAYS = 3650;
const MAX_DAYS = 36_500;
/** RFC 5280 ub-common-name. */
const MAX_NAME_CHARS = 64;

// ---------------------------------------------------------------------------------------------------
// Public API

export async function createManufacturerCa(opts: { commonName: string; validityDays?: number }): Promise<ManufacturerCa> {
  const commonName = assertName('commonName', opts.commonName);
  const days = assertDays(opts.validityDays ?? DEFAULT_CA_DAYS);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const point = pointFromSpkiDer(publicKey.export({ type: 'spki', format: 'der' }));
  const notBefore = wholeSeconds(new Date());
  const name = commonNameOnly(commonName);
  const ski = keyIdentifier(point);
  const tbs = tbsDer({
    issuer: name,
    subject: name,
    spki: ecSpki(OID_P256, point),
    notBefore,
    notAfter: new Date(notBefore.getTime() + days * DAY_MS),
    extensions: [basicConstraintsExt(true, 1), keyUsageExt(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign), asnExt(id_ce_subjectKeyIdentifier, new SubjectKeyIdentifier(ski))],
  });
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  return {
    certPem: toPem(assembleCertificate(tbs, signature)),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** CA-signed certificate for the device attestation key: basicConstraints cA=true pathLen=0, keyUsage keyCertSign+digitalSignature, subject CN=deviceId, and extensions carrying deviceId and measurement. */
export async function issueDeviceCertificate(opts: { ca: ManufacturerCa; device: DeviceIdentity; devicePublicKey: Uint8Array; notBefore?: Date; validityDays?: number }): Promise<string> {
  const deviceId = assertName('device.deviceId', opts.device?.deviceId);
  const measurement = assertBytes('device.measurement', opts.device?.measurement, 32);
  const point = assertPoint('devicePublicKey', opts.devicePublicKey, 'p256');
  const caCert = parseCertificate(opts.ca?.certPem, 'ca.certPem');
  const caKey = loadCaKey(opts.ca?.privateKeyPem, caCert);
  const { notBefore, notAfter } = validityWithin(opts.notBefore, opts.validityDays ?? DEFAULT_DEVICE_DAYS, caCert);
  const tbs = tbsDer({
    issuer: caCert.tbsCertificate.subject,
    subject: commonNameOnly(deviceId),
    spki: ecSpki(OID_P256, point),
    notBefore,
    notAfter,
    extensions: [
      basicConstraintsExt(true, 0),
      keyUsageExt(KeyUsageFlags.keyCertSign | KeyUsageFlags.digitalSignature),
      asnExt(id_ce_subjectKeyIdentifier, new SubjectKeyIdentifier(keyIdentifier(point))),
      authorityKeyIdExt(caCert),
      rawExt(ATTESTATION_OIDS.deviceId, derUtf8(deviceId)),
      rawExt(ATTESTATION_OIDS.measurement, derOctets(measurement)),
    ],
  });
  const signature = sign('sha256', tbs, { key: caKey, dsaEncoding: 'der' });
  return toPem(assembleCertificate(tbs, signature));
}

/** Device-signed (via `sign`, the token's attestation key) certificate for a secp256k1 key: subject CN=keyId, SPKI id-ecPublicKey with namedCurve secp256k1 (1.3.132.0.10), end-entity (cA=false), and the KeyAttestation fields as extensions. The signature is checked against the device certificate's key before the certificate is returned. */
export async function issueKeyAttestationCertificate(opts: {
  deviceCertPem: string;
  sign: P256Signer;
  keyPublicKey: Uint8Array;
  attestation: KeyAttestation;
  notBefore?: Date;
  validityDays?: number;
}): Promise<string> {
  const a = opts.attestation;
  if (typeof a !== 'object' || a === null) throw badRequest('"attestation" expected an object');
  const keyId = assertName('attestation.keyId', a.keyId);
  const group = assertName('attestation.group', a.group);
  const deviceId = assertName('attestation.deviceId', a.deviceId);
  const policyHash = assertBytes('attestation.policyHash', a.policyHash, 32);
  const measurement = assertBytes('attestation.measurement', a.measurement, 32);
  const generatedOnDevice = assertBoolean('attestation.generatedOnDevice', a.generatedOnDevice);
  const nonExtractable = assertBoolean('attestation.nonExtractable', a.nonExtractable);
  const wrapWithTrustedOnly = a.wrapWithTrustedOnly === undefined ? undefined : assertBoolean('attestation.wrapWithTrustedOnly', a.wrapWithTrustedOnly);
  const point = assertPoint('keyPublicKey', opts.keyPublicKey, 'secp256k1');
  if (typeof opts.sign !== 'function') throw badRequest('"sign" expected a function');

  const deviceCert = parseCertificate(opts.deviceCertPem, 'deviceCertPem');
  const device = identityOf(deviceCert);
  if (device.deviceId !== deviceId) {
    throw badRequest('"attestation.deviceId" does not match the device certificate', { expected: device.deviceId });
  }
  const { notBefore, notAfter } = validityWithin(opts.notBefore, opts.validityDays ?? DEFAULT_KEY_DAYS, deviceCert);
  const tbs = tbsDer({
    issuer: deviceCert.tbsCertificate.subject,
    subject: commonNameOnly(keyId),
    spki: ecSpki(OID_SECP256K1, point),
    notBefore,
    notAfter,
    extensions: [
      basicConstraintsExt(false),
      keyUsageExt(KeyUsageFlags.digitalSignature),
      asnExt(id_ce_subjectKeyIdentifier, new SubjectKeyIdentifier(keyIdentifier(point))),
      authorityKeyIdExt(deviceCert),
      rawExt(ATTESTATION_OIDS.deviceId, derUtf8(deviceId)),
      rawExt(ATTESTATION_OIDS.measurement, derOctets(measurement)),
      rawExt(ATTESTATION_OIDS.generatedOnDevice, derBoolean(generatedOnDevice)),
      rawExt(ATTESTATION_OIDS.nonExtractable, derBoolean(nonExtractable)),
      rawExt(ATTESTATION_OIDS.keyGroup, derUtf8(group)),
      rawExt(ATTESTATION_OIDS.policyHash, derOctets(policyHash)),
      rawExt(ATTESTATION_OIDS.keyId, derUtf8(keyId)),
      ...(wrapWithTrustedOnly === undefined ? [] : [rawExt(ATTESTATION_OIDS.wrapWithTrustedOnly, derBoolean(wrapWithTrustedOnly))]),
    ],
  });
  const signature = rawToDerSignature(await opts.sign(tbs));
  if (!verifySignature(tbs, signature, deviceCert)) {
    // The token's attestation key is not the key the device certificate certifies: a device fault.
    throw new ApplianceError('internal', 'attestation signature does not verify under the device certificate');
  }
  return toPem(assembleCertificate(tbs, signature));
}

export function readDeviceIdentity(certPem: string): DeviceIdentity & { publicKey: Uint8Array } {
  const cert = parseCertificate(certPem, 'certPem');
  const { deviceId, measurement, publicKey } = identityOf(cert);
  return { deviceId, measurement, publicKey };
}

export function readKeyAttestation(certPem: string): KeyAttestation & { publicKey: Uint8Array } {
  const cert = parseCertificate(certPem, 'certPem');
  const ext = extensionMap(cert);
  const publicKey = ecPointOf(cert, OID_SECP256K1);
  return {
    keyId: derReadUtf8(required(ext, ATTESTATION_OIDS.keyId, 'keyId')),
    group: derReadUtf8(required(ext, ATTESTATION_OIDS.keyGroup, 'keyGroup')),
    policyHash: derReadOctets(required(ext, ATTESTATION_OIDS.policyHash, 'policyHash'), 32),
    measurement: derReadOctets(required(ext, ATTESTATION_OIDS.measurement, 'measurement'), 32),
    generatedOnDevice: derReadBoolean(required(ext, ATTESTATION_OIDS.generatedOnDevice, 'generatedOnDevice')),
    nonExtractable: derReadBoolean(required(ext, ATTESTATION_OIDS.nonExtractable, 'nonExtractable')),
    deviceId: derReadUtf8(required(ext, ATTESTATION_OIDS.deviceId, 'deviceId')),
    ...(ext.has(ATTESTATION_OIDS.wrapWithTrustedOnly) ? { wrapWithTrustedOnly: derReadBoolean(required(ext, ATTESTATION_OIDS.wrapWithTrustedOnly, 'wrapWithTrustedOnly')) } : {}),
    publicKey,
  };
}

/**
 * Our own chain check (no openssl): each signature (ecdsa-with-SHA256 by a P-256 issuer key), validity of
 * every certificate at `at`, issuer/subject names (exact DER match), basicConstraints (every issuer is a CA,
 * pathLen honoured), keyUsage keyCertSign on issuers, no unknown critical extension, and a self-signed root.
 * Returns false (never throws) for anything malformed or failing.
 */
export async function verifyChain(leafPem: string, chain: string[], rootPem: string, at: Date = new Date()): Promise<boolean> {
  try {
    if (!Array.isArray(chain) || !(at instanceof Date) || Number.isNaN(at.getTime())) return false;
    const certs = [leafPem, ...chain, rootPem].map((pem) => parseCertificate(pem, 'certificate'));
    const root = certs[certs.length - 1]!;
    if (!equalBytes(rawName(root, 'issuer'), rawName(root, 'subject'))) return false;
    for (const cert of certs) {
      if (cert.tbsCertificate.version !== Version.v3) return false;
      if (!validAt(cert, at)) return false;
      for (const e of readExtensions(cert)) if (e.critical && !KNOWN_CRITICAL.has(e.oid)) return false;
    }
    for (let i = 0; i < certs.length; i++) {
      const child = certs[i]!;
      const parent = certs[i + 1] ?? child; // the root signs itself
      if (!equalBytes(rawName(child, 'issuer'), rawName(parent, 'subject'))) return false;
      if (!verifySignature(tbsBytes(child), new Uint8Array(child.signatureValue), parent, child)) return false;
      if (i + 1 < certs.length) {
        // `parent` issues; certificates strictly between it and the leaf count against its pathLen.
        const bc = basicConstraintsOf(parent);
        if (!bc?.cA) return false;
        if (bc.pathLenConstraint !== undefined && i > bc.pathLenConstraint) return false;
        const ku = keyUsageOf(parent);
        if (ku !== undefined && (ku & KeyUsageFlags.keyCertSign) === 0) return false;
      }
    }
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------
// Building

interface TbsFields {
  issuer: Name;
  subject: Name;
  spki: SubjectPublicKeyInfo;
  notBefore: Date;
  notAfter: Date;
  extensions: Extension[];
}

function tbsDer(f: TbsFields): Uint8Array {
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialNumber(),
    signature: new AlgorithmIdentifier({ algorithm: OID_ECDSA_SHA256 }),
    issuer: f.issuer,
    validity: new Validity({ notBefore: f.notBefore, notAfter: f.notAfter }),
    subject: f.subject,
    subjectPublicKeyInfo: f.spki,
    extensions: new Extensions(f.extensions),
  });
  return new Uint8Array(AsnConvert.serialize(tbs));
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }. */
function assembleCertificate(tbs: Uint8Array, derSignature: Uint8Array): Uint8Array {
  const algorithm = new Uint8Array(AsnConvert.serialize(new AlgorithmIdentifier({ algorithm: OID_ECDSA_SHA256 })));
  const bitString = derTlv(0x03, concat(Uint8Array.of(0), derSignature));
  return derTlv(0x30, concat(tbs, algorithm, bitString));
}

/** Positive, 16 bytes: top bit cleared so it stays positive, next bit set so DER keeps all 16 bytes. */
function serialNumber(): ArrayBuffer {
  const b = new Uint8Array(randomBytes(16));
  b[0] = (b[0]! & 0x7f) | 0x40;
  return b.buffer;
}

function commonNameOnly(cn: string): Name {
  const atv = new AttributeTypeAndValue({ type: OID_COMMON_NAME, value: new AttributeValue({ utf8String: cn }) });
  return new Name([new RelativeDistinguishedName([atv])]);
}

function ecSpki(curveOid: string, point: Uint8Array): SubjectPublicKeyInfo {
  return new SubjectPublicKeyInfo({
    algorithm: new AlgorithmIdentifier({
      algorithm: OID_EC_PUBLIC_KEY,
      parameters: AsnConvert.serialize(new ECParameters({ namedCurve: curveOid })),
    }),
    subjectPublicKey: copyBuffer(point),
  });
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(point: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(point).digest());
}

function basicConstraintsExt(cA: boolean, pathLenConstraint?: number): Extension {
  const bc = new BasicConstraints(pathLenConstraint === undefined ? { cA } : { cA, pathLenConstraint });
  return asnExt(id_ce_basicConstraints, bc, true);
}

function keyUsageExt(flags: number): Extension {
  return asnExt(id_ce_keyUsage, new KeyUsage(flags), true);
}

function authorityKeyIdExt(issuer: Certificate): Extension {
  const ski = extensionMap(issuer).get(id_ce_subjectKeyIdentifier);
  const id = ski ? new Uint8Array(AsnConvert.parse(ski, SubjectKeyIdentifier).buffer) : keyIdentifier(ecPointOf(issuer, OID_P256));
  return asnExt(id_ce_authorityKeyIdentifier, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(id) }));
}

function asnExt(oid: string, value: unknown, critical = false): Extension {
  return rawExt(oid, new Uint8Array(AsnConvert.serialize(value)), critical);
}

function rawExt(oid: string, der: Uint8Array, critical = false): Extension {
  return new Extension({ extnID: oid, critical, extnValue: new OctetString(der) });
}

/** The token's raw r||s (64 bytes) as the DER Ecdsa-Sig-Value X.509 carries (RFC 3279 §2.2.3). */
function rawToDerSignature(raw: unknown): Uint8Array {
  if (!(raw instanceof Uint8Array) || raw.length !== 64) {
    throw new ApplianceError('internal', 'token signer returned a malformed signature', {
      length: raw instanceof Uint8Array ? raw.length : undefined,
    });
  }
  try {
    return p256.Signature.fromBytes(raw, 'compact').toBytes('der');
  } catch (cause) {
    throw new ApplianceError('internal', 'token signer returned a malformed signature', undefined, { cause });
  }
}

function validityWithin(notBefore: Date | undefined, validityDays: number, issuer: Certificate): { notBefore: Date; notAfter: Date } {
  if (notBefore !== undefined && (!(notBefore instanceof Date) || Number.isNaN(notBefore.getTime()))) {
    throw badRequest('"notBefore" expected a valid Date');
  }
  const start = wholeSeconds(notBefore ?? new Date());
  const days = assertDays(validityDays);
  // A certificate never outlives its issuer: clamp notAfter to the issuer's.
  const issuerEnd = issuer.tbsCertificate.validity.notAfter.getTime().getTime();
  const notAfter = new Date(Math.min(start.getTime() + days * DAY_MS, issuerEnd));
  if (notAfter.getTime() <= start.getTime()) throw badRequest('validity period ends before it starts (issuer expires first)');
  return { notBefore: start, notAfter };
}

function loadCaKey(pem: unknown, caCert: Certificate): KeyObject {
  if (typeof pem !== 'string') throw badRequest('"ca.privateKeyPem" expected a PKCS#8 PEM string');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new ApplianceError('bad_request', '"ca.privateKeyPem" is not a readable private key', undefined, { cause });
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw badRequest('"ca.privateKeyPem" expected a P-256 key');
  }
  const point = pointFromSpkiDer(createPublicKey(key).export({ type: 'spki', format: 'der' }));
  if (!equalBytes(point, ecPointOf(caCert, OID_P256))) throw badRequest('"ca.privateKeyPem" does not match "ca.certPem"');
  return key;
}

// ---------------------------------------------------------------------------------------------------
// Reading

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----/g;

function parseCertificate(pem: unknown, what: string): Certificate {
  if (typeof pem !== 'string') throw badRequest(`"${what}" expected a PEM string`);
  const blocks = [...pem.matchAll(PEM_BLOCK)];
  if (blocks.length !== 1) throw badRequest(`"${what}" expected exactly one PEM certificate, got ${blocks.length}`);
  const body = blocks[0]![1]!.replace(/\s+/g, '');
  const der = Buffer.from(body, 'base64');
  if (der.length === 0 || der.toString('base64') !== body) throw badRequest(`"${what}" has malformed base64`);
  if (derSpan(der, 0) !== der.length) throw badRequest(`"${what}" has trailing bytes after the certificate`);
  try {
    const cert = AsnConvert.parse(der, Certificate);
    if (!cert.tbsCertificateRaw) throw new Error('no raw TBSCertificate');
    return cert;
  } catch (cause) {
    throw new ApplianceError('bad_request', `"${what}" is not an X.509 certificate`, undefined, { cause });
  }
}

function tbsBytes(cert: Certificate): Uint8Array {
  return new Uint8Array(cert.tbsCertificateRaw!);
}

function identityOf(cert: Certificate): { deviceId: string; measurement: Uint8Array; publicKey: Uint8Array } {
  const ext = extensionMap(cert);
  return {
    deviceId: derReadUtf8(required(ext, ATTESTATION_OIDS.deviceId, 'deviceId')),
    measurement: derReadOctets(required(ext, ATTESTATION_OIDS.measurement, 'measurement'), 32),
    publicKey: ecPointOf(cert, OID_P256),
  };
}

/** Extension values by OID; a repeated extension (RFC 5280 §4.2) is an error. */
function extensionMap(cert: Certificate): Map<string, Uint8Array> {
  const map = new Map<string, Uint8Array>();
  for (const e of readExtensions(cert)) {
    if (map.has(e.oid)) throw badRequest('certificate repeats an extension', { oid: e.oid });
    map.set(e.oid, e.value);
  }
  return map;
}

/**
 * The extensions, read straight from the signed TBSCertificate bytes. asn1js (under asn1-schema) turns
 * an OID arc above 2^53 into a non-decimal placeholder, and every 2.25 UUID arc is that large, so the
 * Extension objects' `extnID` cannot be trusted for our OIDs.
 */
function readExtensions(cert: Certificate): { oid: string; critical: boolean; value: Uint8Array }[] {
  const tbs = tbsBytes(cert);
  const fields = derChildren(tbs, derElement(tbs, 0, 0x30));
  const wrapper = fields.find((f) => f.tag === 0xa3); // extensions [3] EXPLICIT
  if (!wrapper) return [];
  const list = derChildren(tbs, wrapper);
  if (list.length !== 1 || list[0]!.tag !== 0x30) throw badRequest('malformed extensions');
  return derChildren(tbs, list[0]!).map((ext) => {
    if (ext.tag !== 0x30) throw badRequest('malformed extension');
    const parts = derChildren(tbs, ext);
    const [oid, second, third] = parts;
    if (!oid || oid.tag !== 0x06 || parts.length > 3) throw badRequest('malformed extension');
    const critical = parts.length === 3 ? derReadBoolean(tbs.subarray(second!.start, second!.end)) : false;
    const value = parts.length === 3 ? third : second;
    if (!value || value.tag !== 0x04 || (parts.length === 3 && second!.tag !== 0x01)) throw badRequest('malformed extension');
    return { oid: oidToString(tbs.subarray(oid.contentStart, oid.end)), critical, value: tbs.slice(value.contentStart, value.end) };
  });
}

/** X.690 §8.19: dotted form of an OBJECT IDENTIFIER's content octets, arcs of any size. */
function oidToString(content: Uint8Array): string {
  const arcs: bigint[] = [];
  let v = 0n;
  for (let i = 0; i < content.length; i++) {
    const b = content[i]!;
    if (v === 0n && b === 0x80) throw badRequest('non-minimal OID arc');
    v = (v << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(v);
      v = 0n;
    } else if (i === content.length - 1) throw badRequest('truncated OID');
  }
  const first = arcs.shift();
  if (first === undefined) throw badRequest('empty OID');
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs].join('.');
}

function required(ext: Map<string, Uint8Array>, oid: string, label: string): Uint8Array {
  const v = ext.get(oid);
  if (!v) throw badRequest(`certificate lacks the ${label} extension`, { oid });
  return v;
}

/** The uncompressed point of an id-ecPublicKey SPKI on the expected named curve. */
function ecPointOf(cert: Certificate, curveOid: string): Uint8Array {
  const spki = cert.tbsCertificate.subjectPublicKeyInfo;
  if (spki.algorithm.algorithm !== OID_EC_PUBLIC_KEY || !spki.algorithm.parameters) {
    throw badRequest('certificate key is not an EC public key');
  }
  const params = AsnConvert.parse(spki.algorithm.parameters, ECParameters);
  if (params.namedCurve !== curveOid) throw badRequest('certificate key is on an unexpected curve', { curve: params.namedCurve });
  return assertPoint('certificate public key', new Uint8Array(spki.subjectPublicKey), curveOid === OID_P256 ? 'p256' : 'secp256k1');
}

function pointFromSpkiDer(der: Buffer): Uint8Array {
  return new Uint8Array(AsnConvert.parse(der, SubjectPublicKeyInfo).subjectPublicKey);
}

function basicConstraintsOf(cert: Certificate): BasicConstraints | undefined {
  const v = extensionMap(cert).get(id_ce_basicConstraints);
  return v ? AsnConvert.parse(v, BasicConstraints) : undefined;
}

function keyUsageOf(cert: Certificate): number | undefined {
  const v = extensionMap(cert).get(id_ce_keyUsage);
  return v ? AsnConvert.parse(v, KeyUsage).toNumber() : undefined;
}

function validAt(cert: Certificate, at: Date): boolean {
  const t = at.getTime();
  const { notBefore, notAfter } = cert.tbsCertificate.validity;
  return notBefore.getTime().getTime() <= t && t <= notAfter.getTime().getTime();
}

/** The issuer or subject Name exactly as signed (compared byte for byte: stricter than RFC 5280 §7.1). */
function rawName(cert: Certificate, which: 'issuer' | 'subject'): Uint8Array {
  const tbs = tbsBytes(cert);
  const fields = derChildren(tbs, derElement(tbs, 0, 0x30));
  const skip = fields[0]?.tag === 0xa0 ? 1 : 0; // version [0] EXPLICIT
  const name = fields[skip + (which === 'issuer' ? 2 : 4)];
  if (!name || name.tag !== 0x30) throw badRequest(`malformed ${which} name`);
  return tbs.subarray(name.start, name.end);
}

/** ecdsa-with-SHA256 by the issuer's P-256 key; `signed` (when given) must name that algorithm twice. */
function verifySignature(data: Uint8Array, derSignature: Uint8Array, issuer: Certificate, signed?: Certificate): boolean {
  if (signed) {
    const outer = signed.signatureAlgorithm;
    const inner = signed.tbsCertificate.signature;
    if (outer.algorithm !== OID_ECDSA_SHA256 || inner.algorithm !== OID_ECDSA_SHA256) return false;
    if (outer.parameters || inner.parameters) return false; // RFC 5758 §3.2: parameters absent
  }
  const point = ecPointOf(issuer, OID_P256);
  const key = createPublicKey({ key: Buffer.from(AsnConvert.serialize(ecSpki(OID_P256, point))), format: 'der', type: 'spki' });
  return verify('sha256', data, { key, dsaEncoding: 'der' }, derSignature);
}

// ---------------------------------------------------------------------------------------------------
// Small DER helpers for the primitive extension values (X.690 §8.2 BOOLEAN, §8.7 OCTET STRING, UTF8String)

function derTlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  let head: number[];
  if (n < 0x80) head = [tag, n];
  else {
    const len: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) len.unshift(v & 0xff);
    head = [tag, 0x80 | len.length, ...len];
  }
  return concat(Uint8Array.from(head), content);
}

interface DerElement {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

/** The DER element at `offset` (single-byte tag; definite, minimal lengths only), optionally of `tag`. */
function derElement(der: Uint8Array, offset: number, tag?: number): DerElement {
  const t = der[offset];
  const first = der[offset + 1];
  if (t === undefined || first === undefined) throw badRequest('truncated DER');
  if ((t & 0x1f) === 0x1f) throw badRequest('unsupported DER tag');
  if (tag !== undefined && t !== tag) throw badRequest('unexpected DER tag', { tag: t });
  let len = first;
  let head = 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw badRequest('unsupported DER length');
    len = 0;
    for (let i = 0; i < count; i++) {
      const b = der[offset + 2 + i];
      if (b === undefined) throw badRequest('truncated DER');
      if (i === 0 && b === 0) throw badRequest('non-minimal DER length');
      len = len * 256 + b;
    }
    if (len < 0x80) throw badRequest('non-minimal DER length');
    head += count;
  }
  const end = offset + head + len;
  if (end > der.length) throw badRequest('truncated DER');
  return { tag: t, start: offset, contentStart: offset + head, end };
}

function derSpan(der: Uint8Array, offset: number): number {
  return derElement(der, offset).end;
}

/** The elements inside a constructed element, which must fill it exactly. */
function derChildren(der: Uint8Array, parent: DerElement): DerElement[] {
  const out: DerElement[] = [];
  for (let at = parent.contentStart; at < parent.end;) {
    const child = derElement(der, at);
    if (child.end > parent.end) throw badRequest('DER element overruns its parent');
    out.push(child);
    at = child.end;
  }
  return out;
}

/** Content of a single DER element with the given tag that spans all of `der`. */
function derContent(der: Uint8Array, tag: number): Uint8Array {
  const el = derElement(der, 0);
  if (el.tag !== tag || el.end !== der.length) throw badRequest('unexpected extension encoding', { tag });
  return der.subarray(el.contentStart, el.end);
}

const derUtf8 = (s: string) => derTlv(0x0c, new TextEncoder().encode(s));
const derOctets = (b: Uint8Array) => derTlv(0x04, b);
const derBoolean = (v: boolean) => derTlv(0x01, Uint8Array.of(v ? 0xff : 0x00));

function derReadUtf8(der: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(derContent(der, 0x0c));
  } catch (cause) {
    if (cause instanceof ApplianceError) throw cause;
    throw new ApplianceError('bad_request', 'extension holds invalid UTF-8', undefined, { cause });
  }
}

function derReadOctets(der: Uint8Array, length: number): Uint8Array {
  const v = derContent(der, 0x04);
  if (v.length !== length) throw badRequest(`extension expected ${length} bytes, got ${v.length}`);
  return v.slice();
}

function derReadBoolean(der: Uint8Array): boolean {
  const v = derContent(der, 0x01);
  if (v.length !== 1 || (v[0] !== 0x00 && v[0] !== 0xff)) throw badRequest('extension holds a non-DER BOOLEAN');
  return v[0] === 0xff;
}

// ---------------------------------------------------------------------------------------------------
// Input checks and byte utilities

function assertName(label: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw badRequest(`"${label}" expected a non-empty string`);
  if ([...v].length > MAX_NAME_CHARS) throw badRequest(`"${label}" expected at most ${MAX_NAME_CHARS} characters`);
  // Control characters, and (in /u mode) lone surrogates that UTF-8 cannot carry.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]|[\ud800-\udfff]/u.test(v)) throw badRequest(`"${label}" contains control or unpaired characters`);
  return v;
}

function assertBytes(label: string, v: unknown, length: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw badRequest(`"${label}" expected Uint8Array`);
  if (v.length !== length) throw badRequest(`"${label}" expected ${length} bytes, got ${v.length}`);
  return v.slice();
}

function assertBoolean(label: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw badRequest(`"${label}" expected a boolean`);
  return v;
}

function assertDays(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_DAYS) {
    throw badRequest(`"validityDays" expected an integer in 1..${MAX_DAYS}`);
  }
  return v;
}

/** A 65-byte uncompressed SEC1 point that lies on the curve. */
function assertPoint(label: string, v: unknown, curve: 'p256' | 'secp256k1'): Uint8Array {
  const bytes = assertBytes(label, v, 65);
  if (bytes[0] !== 0x04) throw badRequest(`"${label}" expected an uncompressed SEC1 point (0x04 prefix)`);
  try {
    (curve === 'p256' ? p256 : secp256k1).Point.fromBytes(bytes).assertValidity();
  } catch (cause) {
    throw new ApplianceError('bad_request', `"${label}" is not a point on ${curve}`, undefined, { cause });
  }
  return bytes;
}

function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

function toPem(der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function copyBuffer(b: Uint8Array): ArrayBuffer {
  return b.slice().buffer;
}
