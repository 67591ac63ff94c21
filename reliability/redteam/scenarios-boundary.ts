// Red-team scenarios at the device boundary: a digest sent for blind signing, a frame over the limit,
// the bridge or a host user reaching for the PIN or key material, and another local user opening
// the socket. These refusals happen before any command handler (or in the OS), so their record is
// the appliance's structured log ("oplog") or the OS refusal itself.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { linkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MAX_FRAME } from '../../protocol/frame.js';
import { KeyStore } from '../../appliance/keystore.js';
import { readDeviceConfig, readSecretFile } from '../../softhsm-config/device-layout.js';
import { cborToJson } from '../../host-bridge/json-cbor.js';
import type { CborMap } from '../../protocol/cbor.js';
import type { Scenario } from './scenario.js';
import { sleep, type Json, type RedteamDevice } from './harness.js';
import { commandFrame, errorCode, exchange } from './raw-socket.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const NOBODY = 65534;

/** How many more log lines match than `before`, waiting up to 1 s for the appliance's stderr. */
async function oplogGrowth(dev: RedteamDevice, match: (l: Json) => boolean, before: number, want: number): Promise<number> {
  let n = 0;
  for (let i = 0; i < 50; i++) {
    n = dev.logLines().filter(match).length - before;
    if (n >= want) break;
    await sleep(20);
  }
  return n;
}

const failedWith = (code: string) => (l: Json) => l.msg === 'command failed' && l.code === code;
const frameRefused = (l: Json) => l.msg === 'frame refused' && l.code === 'frame_too_large';

/** Runs a small Node script as uid/gid 65534 (nobody); it prints one JSON line. */
function asNobody(script: string, args: string[]): Json {
  const r = spawnSync(process.execPath, ['-e', script, ...args], { uid: NOBODY, gid: NOBODY, cwd: '/', encoding: 'utf8', timeout: 10_000 });
  try {
    return JSON.parse(r.stdout.trim()) as Json;
  } catch {
    return { failed: `exit ${String(r.status)}: ${r.stderr.slice(0, 200)}` };
  }
}

const READ_FILES = `const fs=require('fs');const out={};for(const f of process.argv.slice(1)){try{fs.readFileSync(f);out[f]='read'}catch(e){out[f]=e.code}}console.log(JSON.stringify(out))`;
const CONNECT = `const s=require('net').connect(process.argv[1]);s.on('connect',()=>{console.log(JSON.stringify({connect:'ok'}));process.exit(0)});s.on('error',e=>{console.log(JSON.stringify({connect:e.code}));process.exit(0)})`;

/** JSON field names that would carry a secret, anywhere in a response. */
const SECRET_FIELD = /^(pin|userPin|soPin|user_pin|so_pin|privateKey|private_key|secretKey|secret|ckaValue|cka_value|seed|mnemonic)$/i;

function secretFields(text: string): string[] {
  const found: string[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') {
      for (const [k, val] of Object.entries(x)) {
        if (SECRET_FIELD.test(k)) found.push(k);
        walk(val);
      }
    }
  };
  try {
    walk(JSON.parse(text));
  } catch {
    /* not JSON (an SSE or CBOR stream): the substring scan covers it */
  }
  return found;
}

export const boundaryScenarios: Scenario[] = [
  {
    id: '12',
    attacker: 'bridge',
    attack: 'send a raw digest for blind signing (socket and HTTP)',
    expected: 'unknown_command x4; 404 x4; no audit entry',
    async run(w, v) {
      const m = w.main;
      const head = await m.auditHead();
      const before = m.logLines().filter(failedWith('unknown_command')).length;
      const keyId = m.key('hot-1').keyId;
      const digest = new Uint8Array(randomBytes(32));
      const cmds = ['sign.digest', 'sign.raw', 'sign.hash', 'sign.personal'];
      const ex = await exchange(m.paths.socket, Buffer.concat(cmds.map((cmd, i) => commandFrame(i + 1, cmd, { keyId, digest }))), cmds.length);
      const codes = ex.responses.map(errorCode);
      v.expect(codes.length === cmds.length && codes.every((c) => c === 'unknown_command'), `socket: [${codes.join(', ')}]`);
      const statuses: string[] = [];
      for (const route of ['/v1/sign/digest', '/v1/sign/raw', '/v1/sign/message', '/v1/sign/personal']) {
        const r = await m.request('POST', route, m.tokens.orchestrator, { keyId, digest: '0x' + Buffer.from(digest).toString('hex') }, { 'Idempotency-Key': m.newRequestId('blind') });
        statuses.push(`${r.status} ${String(r.json.code)}`);
      }
      v.expect(
        statuses.every((s) => s === '404 not_found'),
        `bridge: [${statuses.join(', ')}]`,
      );
      v.expect((await m.auditHead()) === head, 'the audit head moved: something was recorded as a command');
      const lines = await oplogGrowth(m, failedWith('unknown_command'), before, cmds.length);
      const logged = v.recorded(lines >= cmds.length, `${lines} "command failed" log lines with unknown_command, expected ${cmds.length}`);
      return { result: `socket: ${codes.length} x ${codes[0] ?? '?'}; bridge: ${statuses.length} x ${statuses[0] ?? '?'}; audit head unchanged; ${lines} log lines`, auditSeq: 'oplog', logged };
    },
  },
  {
    id: '18',
    attacker: 'bridge',
    attack: 'frames over the 1 MiB limit (limit+1; 2 GiB header)',
    expected: 'frame_too_large, connection closed, unread',
    async run(w, v) {
      const m = w.main;
      const head = await m.auditHead();
      const before = m.logLines().filter(frameRefused).length;
      const header = (n: number) => {
        const h = Buffer.alloc(4);
        h.writeUInt32BE(n);
        return h;
      };
      const results: string[] = [];
      for (const bytes of [Buffer.concat([header(DEFAULT_MAX_FRAME + 1), Buffer.alloc(64 * 1024, 0xa1)]), header(0x7fffffff)]) {
        const ex = await exchange(m.paths.socket, bytes, 2);
        const code = errorCode(ex.responses[0]);
        v.expect(ex.responses.length === 1 && code === 'frame_too_large', `answers: [${ex.responses.map(errorCode).join(', ')}]`);
        v.expect(ex.closed, 'the connection stayed open');
        results.push(`${code ?? 'no answer'}${ex.closed ? ', closed' : ''}`);
      }
      const health = await m.client.call('health');
      v.expect(health.ready === true && m.applianceProcess.child.exitCode === null, 'the appliance is not healthy after the frames');
      v.expect((await m.auditHead()) === head, 'the audit head moved');
      const lines = await oplogGrowth(m, frameRefused, before, 2);
      const logged = v.recorded(lines >= 2, `${lines} "frame refused" log lines, expected 2`);
      return { result: `${results.join('; ')}; appliance healthy, audit head unchanged`, auditSeq: 'oplog', logged };
    },
  },
  {
    id: '19',
    attacker: 'bridge',
    attack: 'read the PIN or key material (every route, export cmds, errors)',
    expected: 'no PIN or key anywhere; CKR_ATTRIBUTE_SENSITIVE; EACCES',
    async run(w, v) {
      const m = w.main;
      const pin = readSecretFile(m.paths.userPinFile);
      const soPin = readSecretFile(m.paths.soPinFile);
      const keyId = m.key('hot-1').keyId;
      const before = m.logLines().filter(failedWith('unknown_command')).length;
      // 1. Commands that would hand out secrets do not exist on the socket.
      const cmds = ['key.export', 'key.value', 'token.pin', 'device.secrets'];
      const ex = await exchange(m.paths.socket, Buffer.concat(cmds.map((cmd, i) => commandFrame(i + 1, cmd, { keyId }))), cmds.length);
      const codes = ex.responses.map(errorCode);
      v.expect(codes.length === cmds.length && codes.every((c) => c === 'unknown_command'), `socket: [${codes.join(', ')}]`);
      // 2. Nor do such routes; every GET route, with every scope, and some errors, feed the scan below.
      const probes = [`/v1/keys/${keyId}/export`, `/v1/keys/${keyId}/private`, '/v1/device/pin', '/v1/secrets'];
      const probeStatus = await Promise.all(probes.map(async (p) => (await m.request('GET', p, m.tokens.admin)).status));
      v.expect(
        probeStatus.every((s) => s === 404),
        `secret routes: [${probeStatus.join(', ')}]`,
      );
      const gets = m.app.routes.filter((r) => r.method === 'GET' && r.path !== '/v1/events' && !r.path.includes('*'));
      for (const r of gets) {
        const path = r.path.replace(':keyId', keyId).replace(':v', '1').replace(/:\w+/g, 'x');
        for (const token of [m.tokens.admin, m.tokens.auditor]) await m.request('GET', path, token);
      }
      await m.request('GET', '/v1/keys/k-00', m.tokens.orchestrator);
      await m.request('POST', '/v1/sign/evm-transaction', m.tokens.orchestrator, { keyId: 'k-00', transaction: {} }, { 'Idempotency-Key': m.newRequestId('bad') });
      await m.request('POST', '/v1/requests/none/approvals', m.tokens.approver, { approverId: 'bob', expiresAt: 1, signature: '0x00' });
      const protection = (await m.request('GET', `/v1/keys/${keyId}`, m.tokens.orchestrator)).json.protection as Json | undefined;
      v.expect(
        protection?.sensitive === true && protection?.alwaysSensitive === true && protection?.wrapWithTrusted === true,
        `key protection (sensitive, wrappable only under the SO-trusted backup key): ${JSON.stringify(protection)}`,
      );
      // 3. The scan: every bridge response of the whole run so far, these socket answers, the appliance log.
      const socketText = JSON.stringify(ex.responses.map((r) => cborToJson(r as CborMap)));
      const everything = [...m.transcript, socketText, m.rawLog()];
      const leaks = everything.filter((t) => t.includes(pin) || t.includes(soPin)).length;
      const fields = [...new Set(everything.flatMap(secretFields))];
      v.expect(leaks === 0, `${leaks} responses or log chunks contain a PIN`);
      v.expect(fields.length === 0, `secret-looking fields: ${fields.join(', ')}`);
      // 4. A host user who has the PIN still cannot read a key's value from the token.
      process.env.SOFTHSM2_CONF = m.paths.softhsmConf;
      const config = readDeviceConfig(m.paths);
      const ks = KeyStore.open({ modulePath: config.modulePath, tokenUri: config.tokenUri, pin, poolSize: 1 });
      const refusals: string[] = [];
      try {
        for (const k of await ks.listKeys()) refusals.push(await ks.tryReadPrivateValue(k.ckaId));
      } finally {
        ks.close();
      }
      v.expect(refusals.length === m.keys.size && refusals.every((c) => c === 'CKR_ATTRIBUTE_SENSITIVE'), `CKA_VALUE reads: [${refusals.join(', ')}]`);
      // 5. Another local user cannot read the PIN files.
      let os = 'not root: the other-uid read was not tried';
      if (isRoot) {
        const read = asNobody(READ_FILES, [m.paths.userPinFile, m.paths.soPinFile]);
        const outcomes = [read[m.paths.userPinFile], read[m.paths.soPinFile]];
        v.expect(
          outcomes.every((o) => o === 'EACCES'),
          `uid ${NOBODY} reading the PIN files: ${JSON.stringify(read)}`,
        );
        v.expect((statSync(m.paths.userPinFile).mode & 0o777) === 0o600 && (statSync(m.paths.secretsDir).mode & 0o777) === 0o700, 'PIN file or secrets dir mode');
        os = `uid ${NOBODY} reading user.pin/so.pin: ${outcomes.join('/')}`;
      }
      const lines = await oplogGrowth(m, failedWith('unknown_command'), before, cmds.length);
      const logged = v.recorded(lines >= cmds.length, `${lines} unknown_command log lines, expected ${cmds.length}`);
      return {
        result: `${cmds.length} x unknown_command, ${probes.length} x 404; ${everything.length} responses/logs scanned: 0 PINs; CKA_VALUE: ${refusals[0] ?? '?'} x${refusals.length}; ${os}`,
        auditSeq: isRoot ? 'oplog+os:EACCES' : 'oplog',
        logged,
      };
    },
  },
  {
    id: '20',
    attacker: 'host user',
    attack: 'another local user (uid 65534) connects to the socket',
    expected: 'EACCES (socket 0600, owner only)',
    async run(w, v) {
      const m = w.main;
      if (!isRoot) return { result: 'not run', auditSeq: null, logged: false, skipped: 'needs root to start a process as another uid' };
      const st = statSync(m.paths.socket);
      v.expect((st.mode & 0o777) === 0o600 && st.uid === process.getuid?.(), `socket mode ${(st.mode & 0o777).toString(8)}, owner ${st.uid}`);
      // A hard link in a world-traversable directory tests the socket's own mode, not only its 0700 directory.
      const link = join(tmpdir(), `redteam-${process.pid}.sock`);
      let viaLink: string | undefined;
      try {
        linkSync(m.paths.socket, link);
        viaLink = String(asNobody(CONNECT, [link]).connect);
      } catch {
        viaLink = undefined; // another file system: the direct path below still runs
      } finally {
        rmSync(link, { force: true });
      }
      const direct = String(asNobody(CONNECT, [m.paths.socket]).connect);
      v.expect(direct === 'EACCES' && (viaLink === undefined || viaLink === 'EACCES'), `connect as uid ${NOBODY}: direct ${direct}, via link ${String(viaLink)}`);
      v.expect((await m.client.call('health')).ready === true, 'the owner can no longer connect');
      return {
        result: `connect: ${direct} (path in 0700 dir), ${viaLink ?? 'n/a'} (hard link in /tmp: socket mode 0600)`,
        auditSeq: 'os:EACCES',
        logged: v.recorded(direct === 'EACCES', 'no OS refusal'),
      };
    },
  },
];
