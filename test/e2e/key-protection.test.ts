// Invariant 7 through the real token: keys are generated inside SoftHSM2 and sensitive; their value
// cannot be read, they can be wrapped only under a key the SO marked trusted (the backup ceremony's),
// and no PIN or key material appears in a log or a response.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import pkcs11js from 'pkcs11js';
import { KeyStore } from '../../appliance/keystore.js';
import { findTokenSlot, tokenLabelFromUri } from '../../appliance/pkcs11/module.js';
import { readSecretFile } from '../../softhsm-config/device-layout.js';
import { startTestDevice, type TestDevice } from '../helpers/test-device.js';

let dev: TestDevice;

describe('invariant 7: keys never leave the token', () => {
  before(async () => {
    dev = await startTestDevice();
  });
  after(async () => {
    await dev?.stop();
  });

  test("invariant 7: the key's PKCS#11 attributes say sensitive and wrappable only with a trusted key, read by the appliance", async () => {
    const keyId = String(dev.keys[0]?.keyId);
    const res = await dev.request('GET', `/v1/keys/${keyId}`, dev.tokens.orchestrator);
    assert.equal(res.status, 200);
    // CKA_EXTRACTABLE is true only so that a backup ceremony can wrap the key under the SO's trusted
    // key; CKA_WRAP_WITH_TRUSTED makes the token refuse every other wrapping key (next tests).
    assert.deepEqual(res.json.protection, { token: true, private: true, sensitive: true, extractable: true, alwaysSensitive: true, neverExtractable: false, wrapWithTrusted: true, modifiable: false });
  });

  test('invariant 7: wrapping the key under any key that is not trusted is refused (CKR_KEY_NOT_WRAPPABLE)', () => {
    // An attacker on the host holding the user PIN, with their own PKCS#11 client, makes a wrap key
    // of their own (a user cannot set CKA_TRUSTED) and tries to export the signing key under it.
    const config = JSON.parse(readFileSync(dev.paths.deviceJson, 'utf8')) as { modulePath: string; tokenUri: string };
    process.env.SOFTHSM2_CONF = dev.paths.softhsmConf;
    const mod = new pkcs11js.PKCS11();
    mod.load(config.modulePath);
    mod.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    try {
      const slot = findTokenSlot(mod, tokenLabelFromUri(config.tokenUri));
      const session = mod.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
      mod.C_Login(session, pkcs11js.CKU_USER, readSecretFile(dev.paths.userPinFile));
      mod.C_FindObjectsInit(session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_SIGN, value: true },
        { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from('06052b8104000a', 'hex') },
      ]);
      const [key] = mod.C_FindObjects(session, 1);
      mod.C_FindObjectsFinal(session);
      assert.ok(key !== undefined, 'the secp256k1 signing key is on the token');
      const attackerKey = mod.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
        { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
        { type: pkcs11js.CKA_TOKEN, value: false },
        { type: pkcs11js.CKA_WRAP, value: true },
      ]);
      assert.throws(() => mod.C_WrapKey(session, { mechanism: pkcs11js.CKM_AES_KEY_WRAP_PAD }, attackerKey, key, Buffer.alloc(4096)), /CKR_KEY_NOT_WRAPPABLE/);
      assert.throws(() => mod.C_SetAttributeValue(session, attackerKey, [{ type: pkcs11js.CKA_TRUSTED, value: true }]), /CKR_/, 'a user cannot make a key trusted');
      assert.throws(() => mod.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_VALUE }]), /CKR_ATTRIBUTE_SENSITIVE/);
      // Nor can the attributes be loosened or the key copied into a looser object (CKA_MODIFIABLE and CKA_COPYABLE false).
      assert.throws(() => mod.C_SetAttributeValue(session, key, [{ type: pkcs11js.CKA_WRAP_WITH_TRUSTED, value: false }]), /CKR_/);
      assert.throws(() => mod.C_SetAttributeValue(session, key, [{ type: pkcs11js.CKA_DERIVE, value: true }]), /CKR_/);
      assert.throws(() => mod.C_CopyObject(session, key, [{ type: pkcs11js.CKA_TOKEN, value: false }]), /CKR_/);
      const [modifiable, copyable] = mod.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_MODIFIABLE }, { type: pkcs11js.CKA_COPYABLE }]);
      assert.deepEqual([modifiable?.value, copyable?.value], [Buffer.from([0]), Buffer.from([0])]);
      mod.C_CloseSession(session);
    } finally {
      mod.C_Finalize();
      mod.close();
    }
  });

  test('invariant 7: CKA_VALUE of the private key is refused by the token', async () => {
    // A second PKCS#11 client on the same token (as an attacker with the PIN on the host would be).
    const config = JSON.parse(readFileSync(dev.paths.deviceJson, 'utf8')) as { modulePath: string; tokenUri: string };
    process.env.SOFTHSM2_CONF = dev.paths.softhsmConf;
    const ks = KeyStore.open({ modulePath: config.modulePath, tokenUri: config.tokenUri, pin: readSecretFile(dev.paths.userPinFile), poolSize: 1 });
    try {
      const [key] = await ks.listKeys();
      assert.ok(key);
      assert.equal(await ks.tryReadPrivateValue(key.ckaId), 'CKR_ATTRIBUTE_SENSITIVE');
      const p = await ks.privateKeyProtection(key.ckaId);
      assert.equal(p.sensitive, true);
      assert.equal(p.wrapWithTrusted, true);
    } finally {
      ks.close();
    }
  });

  test('invariant 7: no PIN appears in any response or log line', async () => {
    const pin = readSecretFile(dev.paths.userPinFile);
    const so = readSecretFile(dev.paths.soPinFile);
    const bodies: string[] = [];
    for (const [path, token] of [
      ['/v1/keys', dev.tokens.orchestrator],
      [`/v1/keys/${String(dev.keys[0]?.keyId)}`, dev.tokens.orchestrator],
      ['/v1/policy', dev.tokens.auditor],
      ['/v1/audit', dev.tokens.auditor],
      ['/healthz', dev.tokens.auditor],
    ] as const) {
      const r = await dev.request('GET', path, token);
      assert.equal(r.status, 200, path);
      bodies.push(JSON.stringify(r.json));
    }
    const everything = bodies.join('\n') + dev.logs();
    assert.ok(dev.logs().length > 0, 'the appliance logged something');
    assert.ok(!everything.includes(pin), 'user PIN leaked');
    assert.ok(!everything.includes(so), 'SO PIN leaked');
  });
});
