// `hsmctl hd create|derive|xpub` against a real device and a real bridge on a port (docs/hd-wallets.md):
// the admin creates a wallet (its answer names the wallet, never a mnemonic) and derives a key at
// m/44'/60'/2'/0/5 into the `hot` group; the auditor reads account 2's xpub, whose public child 0/5 is
// the derived key's address (derived here with @scure/bip32, as the ledger does); the orchestrator's
// token is refused the xpub (exit 1, naming the URL); a path already derived and an index of 2^31 are
// refused.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HDKey } from '@scure/bip32';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { getAddress } from 'viem';
import { bytesToHex, publicKeyToAddress } from 'viem/utils';
import { startBridge, type RunningBridge } from '../../host-bridge/main.js';
import { runHsmctl } from '../helpers/hsmctl-process.js';
import { startTestDevice, type TestDevice } from '../helpers/test-device.js';

let dev: TestDevice;
let bridge: RunningBridge;
let dir: string;

const hsmctl = (args: string[], token: string) => runHsmctl(args, dir, { HOME: dir, HSM: bridge.url, HSM_TOKEN: token });

const json = (s: string) => JSON.parse(s) as Record<string, unknown>;

describe('hsmctl hd against a running device and bridge', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hsmctl-hd-'));
    dev = await startTestDevice();
    bridge = await startBridge({ socketPath: dev.paths.socket, tokensFile: dev.paths.bridgeTokens, host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await bridge?.close();
    await dev?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('create, derive and xpub: the xpub gives the derived address; refusals exit 1', async () => {
    const created = await hsmctl(['hd', 'create', '--label', 'deposits'], dev.tokens.admin);
    assert.equal(created.code, 0, created.stderr);
    const walletId = String(json(created.stdout).walletId);
    assert.match(walletId, /^hd-[0-9a-f]+$/);
    assert.doesNotMatch(created.stdout, /mnemonic|seed/i, 'no mnemonic or seed in the answer');
    assert.match(created.stderr, new RegExp(`hsmctl hd derive ${walletId}`));

    const derived = await hsmctl(['hd', 'derive', walletId, '--account', '2', '--index', '5', '--group', 'hot', '--label', 'dep-5'], dev.tokens.admin);
    assert.equal(derived.code, 0, derived.stderr);
    const key = json(derived.stdout);
    assert.equal(key.path, "m/44'/60'/2'/0/5");

    const xpub = await hsmctl(['hd', 'xpub', walletId, '--account', '2'], dev.tokens.auditor);
    assert.equal(xpub.code, 0, xpub.stderr);
    const account = HDKey.fromExtendedKey(String(json(xpub.stdout).xpub));
    const child = account.deriveChild(0).deriveChild(5);
    const uncompressed = secp256k1.Point.fromBytes(child.publicKey!).toBytes(false);
    assert.equal(getAddress(publicKeyToAddress(bytesToHex(uncompressed))), key.address, 'the xpub derives the derived key');

    const refused = await hsmctl(['hd', 'xpub', walletId, '--account', '2'], dev.tokens.orchestrator);
    assert.equal(refused.code, 1);
    assert.ok(refused.stderr.includes(bridge.url), `the error names the URL: ${refused.stderr}`);
    const again = await hsmctl(['hd', 'derive', walletId, '--account', '2', '--index', '5', '--group', 'hot', '--label', 'dup'], dev.tokens.admin);
    assert.equal(again.code, 1, 'a path derived before is refused');
    assert.match(again.stderr, /conflict/);
    const hardened = await hsmctl(['hd', 'derive', walletId, '--account', '2', '--index', String(2 ** 31), '--group', 'hot', '--label', 'x'], dev.tokens.admin);
    assert.equal(hardened.code, 1);
    assert.match(hardened.stderr, /below 2\^31/);
  });
});
