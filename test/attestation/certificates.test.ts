// Device and key attestation certificates (attestation/certificates.ts, RFC 5280): manufacturer CA →
// device certificate → key attestation certificate, checked by our verifyChain and by the system
// `openssl verify`, with the token's attestation key emulated by a noble P-256 key behind a P256Signer.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import {
  ATTESTATION_OIDS,
  createManufacturerCa,
  issueDeviceCertificate,
  issueKeyAttestationCertificate,
  readDeviceIdentity,
  readKeyAttestation,
  verifyChain,
  type KeyAttestation,
  type P256Signer,
} from '../../attestation/certificates.js';
import { ApplianceError, type ErrorCode } from '../../protocol/errors.js';

const isCode = (code: ErrorCode) => (e: unknown) => e instanceof ApplianceError && e.code === code;
const DAY = 86_400_000;

/** The token's attestation key, emulated: ECDSA P-256 over SHA-256 of the given bytes, raw r||s. */
function emulatedToken(): { sign: P256Signer; publicKey: Uint8Array; secretKey: Uint8Array } {
  const secretKey = p256.utils.randomSecretKey();
  const sign: P256Signer = async (data) => p256.sign(data, secretKey, { prehash: true, format: 'compact' });
  return { sign, publicKey: p256.getPublicKey(secretKey, false), secretKey };
}

const fill = (n: number) => new Uint8Array(32).fill(n);
const deviceId = 'dev-0001';
const measurement = fill(0xa1);
const keyPair = () => secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), false);
const attestation = (over: Partial<KeyAttestation> = {}): KeyAttestation => ({
  keyId: 'k-00112233445566778899aabbccddeeff',
  group: 'treasury-hot',
  policyHash: fill(0x5c),
  measurement,
  generatedOnDevice: true,
  nonExtractable: false,
  wrapWithTrustedOnly: true,
  deviceId,
  ...over,
});

const ca = await createManufacturerCa({ commonName: 'Test Manufacturer CA' });
const token = emulatedToken();
const deviceCert = await issueDeviceCertificate({ ca, device: { deviceId, measurement }, devicePublicKey: token.publicKey });
const keyPublicKey = keyPair();
const keyCert = await issueKeyAttestationCertificate({ deviceCertPem: deviceCert, sign: token.sign, keyPublicKey, attestation: attestation() });

const dir = mkdtempSync(join(tmpdir(), 'x509-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;
function file(pem: string): string {
  const path = join(dir, `c${fileCount++}.pem`);
  writeFileSync(path, pem);
  return path;
}
function openssl(args: string[]): { ok: boolean; out: string } {
  try {
    return { ok: true, out: execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}
const opensslVerify = (leaf: string, untrusted: string[], root: string) => openssl(['verify', '-CAfile', file(root), ...untrusted.flatMap((u) => ['-untrusted', file(u)]), file(leaf)]);

/** Flip one byte of the DER inside a PEM, at the first occurrence of `needle` (or at `offset`). */
function tamper(pem: string, at: string | number): string {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const i = typeof at === 'number' ? at : der.indexOf(Buffer.from(at, 'utf8'));
  assert.ok(i >= 0 && i < der.length);
  der[i] = der[i]! ^ 0x01;
  return `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END CERTIFICATE-----\n`;
}

test('ATTESTATION_OIDS: nine distinct arcs under one UUID-derived 2.25 arc', () => {
  const oids = Object.values(ATTESTATION_OIDS);
  assert.equal(new Set(oids).size, 9);
  for (const [i, oid] of [...oids].sort().entries()) {
    assert.match(oid, /^2\.25\.[1-9][0-9]{0,38}\.[1-9]$/);
    assert.equal(oid, `${oids[0]!.replace(/\.\d$/, '')}.${i + 1}`);
  }
  const arc = BigInt(oids[0]!.split('.')[2]!);
  assert.ok(arc < 1n << 128n, 'the arc is a 128-bit UUID integer');
});

test('verifyChain accepts CA → device → key, and the device certificate alone', async () => {
  assert.equal(await verifyChain(keyCert, [deviceCert], ca.certPem), true);
  assert.equal(await verifyChain(deviceCert, [], ca.certPem), true);
  assert.equal(await verifyChain(ca.certPem, [], ca.certPem), true);
});

test('openssl verify accepts the chain and the device certificate', () => {
  const chain = opensslVerify(keyCert, [deviceCert], ca.certPem);
  assert.ok(chain.ok, chain.out);
  assert.match(chain.out, /: OK\s*$/);
  const strict = openssl(['verify', '-x509_strict', '-CAfile', file(ca.certPem), '-untrusted', file(deviceCert), file(keyCert)]);
  assert.ok(strict.ok, `RFC 5280 strict checks: ${strict.out}`);
  const device = opensslVerify(deviceCert, [], ca.certPem);
  assert.ok(device.ok, device.out);
  assert.match(device.out, /: OK\s*$/);
});

test('openssl x509 -text shows every attestation extension OID and the secp256k1 curve', () => {
  const { ok, out } = openssl(['x509', '-in', file(keyCert), '-text', '-noout']);
  assert.ok(ok, out);
  for (const oid of Object.values(ATTESTATION_OIDS)) if (oid !== ATTESTATION_OIDS.hdDerivation) assert.ok(out.includes(oid), `missing ${oid}`);
  assert.ok(!out.includes(ATTESTATION_OIDS.hdDerivation), 'a generated key names no HD derivation');
  assert.match(out, /ASN1 OID: secp256k1/);
  assert.match(out, /Subject: CN ?= ?k-00112233445566778899aabbccddeeff/);
  assert.match(out, /Issuer: CN ?= ?dev-0001/);
  assert.match(out, /Signature Algorithm: ecdsa-with-SHA256/);
  assert.match(out, /CA:FALSE/);
  assert.match(out, /treasury-hot/, 'the key group is readable as text');
  const device = openssl(['x509', '-in', file(deviceCert), '-text', '-noout']).out;
  assert.match(device, /CA:TRUE, pathlen:0/);
  assert.match(device, /Digital Signature, Certificate Sign/);
  assert.match(device, /ASN1 OID: prime256v1/);
  assert.ok(device.includes(ATTESTATION_OIDS.deviceId) && device.includes(ATTESTATION_OIDS.measurement));
});

test('an HD-derived key: the hdDerivation extension names wallet and path, readable by openssl and read back', async () => {
  const origin = "hd-00112233445566778899aabbccddeeff m/44'/60'/0'/0/5";
  const pem = await issueKeyAttestationCertificate({
    deviceCertPem: deviceCert,
    sign: token.sign,
    keyPublicKey: keyPair(),
    attestation: attestation({ generatedOnDevice: false, nonExtractable: true, wrapWithTrustedOnly: false, hdDerivation: origin }),
  });
  const read = readKeyAttestation(pem);
  assert.equal(read.hdDerivation, origin);
  assert.equal(read.generatedOnDevice, false);
  assert.equal(read.nonExtractable, true);
  const { ok, out } = openssl(['x509', '-in', file(pem), '-text', '-noout']);
  assert.ok(ok, out);
  assert.ok(out.includes(ATTESTATION_OIDS.hdDerivation));
  assert.ok(out.includes("m/44'/60'/0'/0/5"));
  await assert.rejects(
    issueKeyAttestationCertificate({ deviceCertPem: deviceCert, sign: token.sign, keyPublicKey: keyPair(), attestation: attestation({ hdDerivation: '' }) }),
    (e: Error & { code?: string }) => e.code === 'bad_request',
  );
});

test('serial numbers are positive 16-byte integers and differ', () => {
  const a = new X509Certificate(deviceCert).serialNumber;
  const b = new X509Certificate(keyCert).serialNumber;
  for (const s of [a, b]) {
    assert.match(s, /^[0-9A-F]{32}$/);
    assert.ok(parseInt(s.slice(0, 2), 16) < 0x80);
  }
  assert.notEqual(a, b);
});

test('readDeviceIdentity and readKeyAttestation return what was put in', () => {
  const id = readDeviceIdentity(deviceCert);
  assert.equal(id.deviceId, deviceId);
  assert.deepEqual(id.measurement, measurement);
  assert.deepEqual(id.publicKey, token.publicKey);

  const { publicKey, ...fields } = readKeyAttestation(keyCert);
  assert.deepEqual(fields, attestation());
  assert.deepEqual(publicKey, keyPublicKey);
});

test('readKeyAttestation keeps false flags and the exact bytes', async () => {
  const a = attestation({ generatedOnDevice: false, nonExtractable: true, wrapWithTrustedOnly: false, keyId: 'k-ü-💡', group: 'cold', policyHash: fill(0), measurement: fill(0xff) });
  const pem = await issueKeyAttestationCertificate({ deviceCertPem: deviceCert, sign: token.sign, keyPublicKey, attestation: a });
  const { publicKey, ...rest } = readKeyAttestation(pem);
  assert.deepEqual(rest, a);
  assert.deepEqual(publicKey, keyPublicKey);
  assert.equal(await verifyChain(pem, [deviceCert], ca.certPem), true);
});

test('readers refuse the wrong kind of certificate', () => {
  assert.throws(() => readKeyAttestation(deviceCert), isCode('bad_request')); // P-256, no keyId
  assert.throws(() => readDeviceIdentity(keyCert), isCode('bad_request')); // secp256k1 key
  assert.throws(() => readDeviceIdentity(ca.certPem), isCode('bad_request')); // no deviceId
  assert.throws(() => readDeviceIdentity('not a pem'), isCode('bad_request'));
  assert.throws(() => readDeviceIdentity(deviceCert + deviceCert), isCode('bad_request'));
});

test('a key certificate signed by another device key is rejected', async () => {
  // An impostor device with the same id and a certificate from the same CA, but its own key.
  const other = emulatedToken();
  const otherDevice = await issueDeviceCertificate({ ca, device: { deviceId, measurement }, devicePublicKey: other.publicKey });
  const forged = await issueKeyAttestationCertificate({ deviceCertPem: otherDevice, sign: other.sign, keyPublicKey, attestation: attestation() });
  assert.equal(await verifyChain(forged, [otherDevice], ca.certPem), true);
  assert.equal(await verifyChain(forged, [deviceCert], ca.certPem), false);
  assert.equal(opensslVerify(forged, [deviceCert], ca.certPem).ok, false);
  // The issuer itself refuses to produce a certificate its device certificate does not cover.
  await assert.rejects(issueKeyAttestationCertificate({ deviceCertPem: deviceCert, sign: other.sign, keyPublicKey, attestation: attestation() }), isCode('internal'));
});

test('a chain to another CA is rejected', async () => {
  const otherCa = await createManufacturerCa({ commonName: 'Test Manufacturer CA' }); // same name, other key
  assert.equal(await verifyChain(deviceCert, [], otherCa.certPem), false);
  assert.equal(await verifyChain(keyCert, [deviceCert], otherCa.certPem), false);
  assert.equal(opensslVerify(keyCert, [deviceCert], otherCa.certPem).ok, false);
});

test('expired and not-yet-valid certificates are rejected', async () => {
  const start = new Date(Date.now() - 10 * DAY);
  const expired = await issueKeyAttestationCertificate({ deviceCertPem: deviceCert, sign: token.sign, keyPublicKey, attestation: attestation(), notBefore: start, validityDays: 1 });
  assert.equal(await verifyChain(expired, [deviceCert], ca.certPem), false);
  assert.equal(await verifyChain(expired, [deviceCert], ca.certPem, new Date(start.getTime() + DAY / 2)), false, 'device cert not yet valid then');
  const v = opensslVerify(expired, [deviceCert], ca.certPem);
  assert.equal(v.ok, false);
  assert.match(v.out, /expired/);

  const device = await issueDeviceCertificate({ ca, device: { deviceId, measurement }, devicePublicKey: token.publicKey, notBefore: new Date(Date.now() + DAY) });
  assert.equal(await verifyChain(device, [], ca.certPem), false);
  assert.equal(await verifyChain(device, [], ca.certPem, new Date(Date.now() + 2 * DAY)), true);
  assert.equal(await verifyChain(keyCert, [deviceCert], ca.certPem, new Date(Date.now() + 20 * 365 * DAY)), false);
});

test('a key certificate never outlives its device certificate', async () => {
  const shortDevice = await issueDeviceCertificate({ ca, device: { deviceId, measurement }, devicePublicKey: token.publicKey, validityDays: 2 });
  const pem = await issueKeyAttestationCertificate({ deviceCertPem: shortDevice, sign: token.sign, keyPublicKey, attestation: attestation(), validityDays: 3650 });
  assert.equal(new X509Certificate(pem).validTo, new X509Certificate(shortDevice).validTo);
});

test('tampered certificates are rejected by verifyChain and openssl', async () => {
  for (const bad of [tamper(keyCert, 'treasury-hot'), tamper(keyCert, 'k-0011'), tamper(keyCert, Buffer.from(keyCert.replace(/-----[^-]+-----|\s/g, ''), 'base64').length - 5)]) {
    assert.equal(await verifyChain(bad, [deviceCert], ca.certPem), false);
    assert.equal(opensslVerify(bad, [deviceCert], ca.certPem).ok, false);
  }
  const badDevice = tamper(deviceCert, deviceId);
  assert.equal(await verifyChain(keyCert, [badDevice], ca.certPem), false);
  assert.equal(await verifyChain(deviceCert, [], tamper(ca.certPem, 'Test Manufacturer')), false);
  assert.equal(await verifyChain('garbage', [], ca.certPem), false);
  assert.equal(await verifyChain(keyCert, [], ca.certPem), false, 'missing intermediate');
});

test('basicConstraints pathLen=0 on the device certificate stops a sub-CA', async () => {
  // Pretend the device key were a CA: certify a second device key under the device certificate.
  const jwk = {
    kty: 'EC',
    crv: 'P-256',
    d: Buffer.from(token.secretKey).toString('base64url'),
    x: Buffer.from(token.publicKey.subarray(1, 33)).toString('base64url'),
    y: Buffer.from(token.publicKey.subarray(33)).toString('base64url'),
  };
  const deviceAsCa = { certPem: deviceCert, privateKeyPem: createPrivateKey({ key: jwk, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' }).toString() };
  const sub = emulatedToken();
  const subCert = await issueDeviceCertificate({ ca: deviceAsCa, device: { deviceId: 'sub', measurement }, devicePublicKey: sub.publicKey });
  assert.equal(await verifyChain(subCert, [deviceCert], ca.certPem), true, 'a pathLen=0 CA may still issue the leaf');
  const leaf = await issueKeyAttestationCertificate({ deviceCertPem: subCert, sign: sub.sign, keyPublicKey, attestation: attestation({ deviceId: 'sub' }) });
  assert.equal(await verifyChain(leaf, [subCert, deviceCert], ca.certPem), false);
  const v = opensslVerify(leaf, [subCert, deviceCert], ca.certPem);
  assert.equal(v.ok, false);
  assert.match(v.out, /path length/);
});

test('the CA private key never appears in a certificate', async () => {
  const d = Buffer.from(createPrivateKey(ca.privateKeyPem).export({ format: 'jwk' }).d!, 'base64url');
  assert.equal(d.length, 32);
  for (const pem of [ca.certPem, deviceCert, keyCert]) {
    assert.ok(!pem.includes('PRIVATE KEY'));
    assert.ok(!pem.includes(ca.privateKeyPem.split('\n')[1]!));
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    assert.equal(der.indexOf(d), -1);
  }
  assert.match(ca.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/); // PKCS#8, for a 0600 file outside the device
});

test('node:crypto X509Certificate reads and checks the certificates', () => {
  const root = new X509Certificate(ca.certPem);
  const dev = new X509Certificate(deviceCert);
  const key = new X509Certificate(keyCert);
  assert.equal(dev.subject, `CN=${deviceId}`);
  assert.equal(dev.issuer, 'CN=Test Manufacturer CA');
  assert.equal(key.subject, 'CN=k-00112233445566778899aabbccddeeff');
  assert.ok(root.ca && dev.ca && !key.ca);
  assert.ok(dev.checkIssued(root) && key.checkIssued(dev));
  assert.ok(dev.verify(root.publicKey) && key.verify(dev.publicKey));
  assert.equal(key.publicKey.asymmetricKeyDetails?.namedCurve, 'secp256k1');
});

test('bad input is refused with bad_request', async () => {
  const device = { deviceId, measurement };
  const badPoint = new Uint8Array(65).fill(4);
  await assert.rejects(issueDeviceCertificate({ ca, device, devicePublicKey: token.publicKey.subarray(0, 64) }), isCode('bad_request'));
  await assert.rejects(issueDeviceCertificate({ ca, device, devicePublicKey: badPoint }), isCode('bad_request'));
  await assert.rejects(issueDeviceCertificate({ ca, device, devicePublicKey: keyPair() }), isCode('bad_request')); // secp256k1 point
  await assert.rejects(issueDeviceCertificate({ ca, device: { deviceId, measurement: fill(1).subarray(1) }, devicePublicKey: token.publicKey }), isCode('bad_request'));
  await assert.rejects(issueDeviceCertificate({ ca, device: { deviceId: '', measurement }, devicePublicKey: token.publicKey }), isCode('bad_request'));
  await assert.rejects(issueDeviceCertificate({ ca, device: { deviceId: 'x'.repeat(65), measurement }, devicePublicKey: token.publicKey }), isCode('bad_request'));
  await assert.rejects(issueDeviceCertificate({ ca, device: { deviceId: 'a\nb', measurement }, devicePublicKey: token.publicKey }), isCode('bad_request'));
  await assert.rejects(issueDeviceCertificate({ ca, device, devicePublicKey: token.publicKey, validityDays: 0 }), isCode('bad_request'));
  const otherCa = await createManufacturerCa({ commonName: 'Other' });
  await assert.rejects(issueDeviceCertificate({ ca: { certPem: ca.certPem, privateKeyPem: otherCa.privateKeyPem }, device, devicePublicKey: token.publicKey }), isCode('bad_request'));

  const base = { deviceCertPem: deviceCert, sign: token.sign, keyPublicKey, attestation: attestation() };
  await assert.rejects(issueKeyAttestationCertificate({ ...base, keyPublicKey: secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true) }), isCode('bad_request'));
  await assert.rejects(issueKeyAttestationCertificate({ ...base, keyPublicKey: token.publicKey }), isCode('bad_request')); // P-256 point
  await assert.rejects(issueKeyAttestationCertificate({ ...base, attestation: attestation({ policyHash: new Uint8Array(31) }) }), isCode('bad_request'));
  await assert.rejects(issueKeyAttestationCertificate({ ...base, attestation: attestation({ deviceId: 'dev-0002' }) }), isCode('bad_request'));
  await assert.rejects(issueKeyAttestationCertificate({ ...base, deviceCertPem: keyCert, attestation: attestation() }), isCode('bad_request'));
  await assert.rejects(issueKeyAttestationCertificate({ ...base, attestation: attestation(), sign: async () => new Uint8Array(63) }), isCode('internal'));
  await assert.rejects(createManufacturerCa({ commonName: '' }), isCode('bad_request'));
});
