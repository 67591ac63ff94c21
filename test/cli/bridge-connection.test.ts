// Where hsmctl finds the bridge and its token (cli/bridge-connection.ts): --url, then $HSM, then the
// config file, then the default; --token-file, then $HSM_TOKEN, then the config file; a config file
// holding a token that others can read is refused; a failed connection names the method and URL.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplianceError } from '../../protocol/errors.js';
import { bridgeToken, bridgeUrl, configPath, DEFAULT_BRIDGE_URL, fetchBridge } from '../../cli/bridge-connection.js';

const dir = mkdtempSync(join(tmpdir(), 'hsmctl-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, doc: unknown, mode = 0o600): string {
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(doc));
  chmodSync(f, mode);
  return f;
}

const refused = (pattern: RegExp) => (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request' && pattern.test(e.message);

test('the URL: --url, then $HSM, then the config file, then the default; a trailing slash is dropped', () => {
  const file = config('url.json', { url: 'http://from-config:1/' });
  const env = { HSMCTL_CONFIG: file, HSM: 'http://from-env:2' };
  assert.equal(bridgeUrl('http://from-flag:3/', env), 'http://from-flag:3');
  assert.equal(bridgeUrl(undefined, env), 'http://from-env:2');
  assert.equal(bridgeUrl(undefined, { HSMCTL_CONFIG: file }), 'http://from-config:1');
  assert.equal(bridgeUrl(undefined, { HOME: join(dir, 'nobody') }), DEFAULT_BRIDGE_URL);
  assert.throws(() => bridgeUrl('localhost:8080', {}), refused(/is not a URL|must be http/));
});

test('the config file: $HSMCTL_CONFIG, else $XDG_CONFIG_HOME/hsmctl, else ~/.config/hsmctl; a named file must exist', () => {
  assert.equal(configPath({ HSMCTL_CONFIG: '/x/c.json', XDG_CONFIG_HOME: '/y' }), '/x/c.json');
  assert.equal(configPath({ XDG_CONFIG_HOME: '/y', HOME: '/h' }), '/y/hsmctl/config.json');
  assert.equal(configPath({ HOME: '/h' }), '/h/.config/hsmctl/config.json');
  mkdirSync(join(dir, 'xdg', 'hsmctl'), { recursive: true });
  writeFileSync(join(dir, 'xdg', 'hsmctl', 'config.json'), JSON.stringify({ url: 'http://xdg:4' }));
  assert.equal(bridgeUrl(undefined, { XDG_CONFIG_HOME: join(dir, 'xdg') }), 'http://xdg:4');
  assert.throws(() => bridgeUrl(undefined, { HSMCTL_CONFIG: join(dir, 'missing.json') }), refused(/does not exist/));
  assert.throws(() => bridgeUrl(undefined, { HSMCTL_CONFIG: config('extra.json', { url: 'http://a:1', pin: '1234' }) }), refused(/unknown field "pin"/));
});

test('the token: --token-file, then $HSM_TOKEN, then the config (token or tokenFile); one readable by others is refused', () => {
  const tokenFile = join(dir, 'token.txt');
  writeFileSync(tokenFile, 'from-file\n');
  const file = config('token.json', { token: 'from-config' });
  assert.equal(bridgeToken(tokenFile, { HSM_TOKEN: 'from-env', HSMCTL_CONFIG: file }), 'from-file');
  assert.equal(bridgeToken(undefined, { HSM_TOKEN: 'from-env', HSMCTL_CONFIG: file }), 'from-env');
  assert.equal(bridgeToken(undefined, { HSMCTL_CONFIG: file }), 'from-config');
  assert.equal(bridgeToken(undefined, { HSMCTL_CONFIG: config('token-file.json', { tokenFile }, 0o644) }), 'from-file');
  assert.throws(() => bridgeToken(undefined, { HSMCTL_CONFIG: config('open.json', { token: 'x' }, 0o644) }), refused(/others can read it: chmod 600/));
  assert.throws(() => bridgeToken(undefined, { HOME: join(dir, 'nobody') }), refused(/never on the command line/));
});

test('a refused connection names the method and the URL, never a bare "fetch failed"', async () => {
  // A port that was just free: nothing listens there.
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  const url = `http://127.0.0.1:${port}/v1/audit`;
  await assert.rejects(fetchBridge(url, { method: 'GET' }), (e: unknown) => {
    assert.ok(e instanceof ApplianceError && e.code === 'unavailable');
    assert.match(e.message, new RegExp(`GET ${url.replace(/[/.]/g, '\\$&')}: .*ECONNREFUSED`));
    assert.doesNotMatch(e.message, /fetch failed/);
    return true;
  });
});
