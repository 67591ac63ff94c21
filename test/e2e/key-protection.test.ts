// Invariant 7 through the real token: keys are generated inside SoftHSM2, sensitive and
// non-extractable; their value cannot be read, and no PIN or key material appears in a log or a
// response.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { KeyStore } from '../../appliance/keystore.js';
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

  test('invariant 7: the key\'s PKCS#11 attributes say sensitive and non-extractable, read by the appliance', async () => {
    const keyId = String(dev.keys[0]?.keyId);
    const res = await dev.request('GET', `/v1/keys/${keyId}`, dev.tokens.orchestrator);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json.protection, { token: true, private: true, sensitive: true, extractable: false, alwaysSensitive: true, neverExtractable: true });
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
      assert.equal(p.extractable, false);
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
