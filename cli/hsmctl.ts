#!/usr/bin/env node
// hsmctl: the operator's command line. Subcommands for devices, the appliance and bridge services,
// keys, bridge tokens and approvers. Secrets (PINs, tokens' plaintext, private keys) never come from
// or go to argv; key files are written 0600.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import type { CborMap } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import type { Command } from '../protocol/messages.js';
import { devicePaths } from '../softhsm-config/device-layout.js';
import { ApplianceClient } from '../host-bridge/appliance-client.js';
import { readTokens } from '../host-bridge/auth.js';
import { cborToJson, jsonHex, jsonObject } from '../host-bridge/json-cbor.js';
import { generateApproverKey, publicPart, readApproverKey, signStatement, writeApproverKey } from './approver-key.js';
import { ceremonySubs } from './ceremony/commands.js';
import { secretOutputPath } from './ceremony/output-location.js';
import { requesterSubs } from './requester-commands.js';
import { bridgeSubs } from './bridge-commands.js';
import { policySubs } from './policy-commands.js';
import { tokenSubs } from './token-commands.js';
import { hdSubs } from './hd-commands.js';
import { DEMO_DEVICE } from './demo-names.js';
import { startAppliance } from './appliance-process.js';
import type { RunningDemo } from './run-demo.js';
// The manufacturer CA's and the auditor's tools (X.509, COSE verification) load only in the commands
// that use them: each hsmctl call starts faster (the tests run hsmctl some 150 times).
const manufacturer = () => import('./manufacturer.js');
const auditTools = () => import('./audit-tools.js');
import { withDecodedPayload } from '../attestation/audit-entry-view.js';
import { policyDecimals, readableJson, type DecimalsOf } from '../host-bridge/readable-json.js';
import { bridgeToken, bridgeUrl, callBridge, describeFailure } from './bridge-connection.js';
import { productVersion } from './repository-root.js';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { encodeFirmwareStatement } from '../firmware-policy/firmware-statement.js';
import { encodePolicyCancelStatement } from '../firmware-policy/policy-governance.js';
import { approveStatement } from './approver-statement.js';

/** `audit verify`'s exit code when every entry checks out but no manufacturer CA was given. */
export const EXIT_CHAIN_NOT_CHECKED = 3;

const COMMON = { var: { type: 'string' as const, default: process.env.HSM_VAR ?? 'var' }, device: { type: 'string' as const, default: DEMO_DEVICE }, help: { type: 'boolean' as const, short: 'h' } };

export interface Sub {
  summary: string;
  usage: string;
  options: Record<string, { type: 'string' | 'boolean'; default?: string | boolean; short?: string; multiple?: boolean }>;
  run(v: Record<string, string | boolean | string[] | undefined>, positionals: string[]): Promise<void>;
}

const out = (x: unknown) => process.stdout.write(JSON.stringify(x, null, 2) + '\n');
const say = (m: string) => process.stderr.write(`hsmctl: ${m}\n`);

/** The three commands `hsmctl run` prints to try next (the README's guide test runs them). */
function nextCommands(url: string, tokens: Record<string, string>): string[] {
  return [`curl -s ${url}/healthz`, `HSM=${url} HSM_TOKEN=${tokens.admin} node dist/cli/hsmctl.js whitelist list`, `HSM=${url} HSM_TOKEN=${tokens.approver} node dist/cli/hsmctl.js requests list`];
}

function socketCall(v: Record<string, unknown>, cmd: Command, args: CborMap = {}): Promise<CborMap> {
  const client = new ApplianceClient(devicePaths(String(v.var), String(v.device)).socket);
  return client.call(cmd, args).finally(() => client.close());
}

/** An appliance answer as JSON with its readable members (host-bridge/readable-json.ts), as the bridge shows it. */
const readable = (result: CborMap, decimalsOf?: DecimalsOf) => readableJson(cborToJson(result), decimalsOf ? { decimalsOf } : {});

/** The active policy's asset decimals (none before a first policy), for audit amounts in token units. */
async function socketDecimals(v: Record<string, unknown>): Promise<DecimalsOf | undefined> {
  try {
    return policyDecimals(cborToJson((await socketCall(v, 'policy.get')).document as CborMap));
  } catch {
    return undefined;
  }
}

/** A bridge answer saved as JSON (a file, or stdin for - or none). */
function readAnswer(file: string | undefined): Record<string, unknown> {
  const where = file && file !== '-' ? file : 'stdin';
  let text: string;
  try {
    text = readFileSync(file && file !== '-' ? file : 0, 'utf8');
  } catch {
    throw new ApplianceError('bad_request', `cannot read ${where}`);
  }
  if (text.trim() === '') throw new ApplianceError('bad_request', `${where} is empty: give the bridge's answer to sign`);
  try {
    return jsonObject(JSON.parse(text), 'input');
  } catch (err) {
    if (err instanceof ApplianceError) throw err;
    throw new ApplianceError('bad_request', `${where} is not JSON`);
  }
}

const CEREMONY_SUBS = ceremonySubs({ out, say });

const SUBS: Record<string, Sub> = {
  ...CEREMONY_SUBS,
  ...requesterSubs({ out, say }),
  ...bridgeSubs({ out, say }),
  ...policySubs({ out, say }),
  ...tokenSubs({ out, say }),
  ...hdSubs({ out, say }),
  'appliance start': {
    summary: 'run the appliance (the device) in the foreground',
    usage: 'hsmctl appliance start [--device NAME] [--var DIR]',
    options: {},
    async run(v) {
      const app = await startAppliance(String(v.var), String(v.device));
      say(`appliance ${app.deviceId} listening on ${app.socket}; Ctrl-C stops it`);
      await new Promise<void>((res) => process.once('SIGINT', () => void app.stop().then(res)));
    },
  },
  'bridge start': {
    summary: 'run the HTTP bridge in front of a running appliance',
    usage:
      'hsmctl bridge start [--device NAME] [--host 127.0.0.1] [--port 8080] [--console-origin http://localhost:8080] [--eth-node http://127.0.0.1:8545] [--var DIR] [--socket PATH] [--tokens FILE]   (--socket and --tokens default to the device directory; a deployment as separate users gives both: docs/deployment.md)',
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
      'console-origin': { type: 'string' },
      'eth-node': { type: 'string' },
      socket: { type: 'string' },
      tokens: { type: 'string' },
    },
    async run(v) {
      const paths = devicePaths(String(v.var), String(v.device));
      const consoleOrigin = typeof v['console-origin'] === 'string' ? v['console-origin'] : undefined;
      const ethNodeUrl = typeof v['eth-node'] === 'string' ? v['eth-node'] : undefined;
      const socketPath = typeof v.socket === 'string' ? resolve(v.socket) : paths.socket;
      const tokensFile = typeof v.tokens === 'string' ? resolve(v.tokens) : paths.bridgeTokens;
      const { startBridge } = await import('../host-bridge/main.js');
      const bridge = await startBridge({
        socketPath,
        tokensFile,
        host: String(v.host),
        port: Number(v.port),
        ...(consoleOrigin ? { consoleOrigin } : {}),
        ...(ethNodeUrl ? { ethNodeUrl } : {}),
      });
      say(`bridge on ${bridge.url}${consoleOrigin ? `; approver console at ${consoleOrigin}/console` : ''}; Ctrl-C or SIGTERM stops it`);
      await new Promise<void>((res) => {
        const stop = () => void bridge.close().then(res);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    },
  },
  run: {
    summary:
      "create the demo device if missing, then run anvil (the demo key funded; the bridge's JSON-RPC node), appliance, bridge and the custody service with a demo customer (what `make run` does)",
    usage: 'hsmctl run [--host 127.0.0.1] [--port 8080] [--custody-port 8090] [--var DIR]   (port 0: any free port)',
    options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '8080' }, 'custody-port': { type: 'string', default: '8090' } },
    async run(v) {
      const varRoot = String(v.var);
      // Loaded here, not at the top: the demo and the services it starts are most of hsmctl's start-up time.
      const [{ ensureDemoDevice, DEMO_REQUESTER, DEMO_TOKENS }, { DEMO_KEY_ETH, startCustodyDemo, startDemoChain }, { startBridge }, { requesterPaths }] = await Promise.all([
        import('./demo.js'),
        import('./run-demo.js'),
        import('../host-bridge/main.js'),
        import('./requester-token.js'),
      ]);
      const demo = await ensureDemoDevice(varRoot, say);
      const app = await startAppliance(varRoot, DEMO_DEVICE);
      const paths = devicePaths(varRoot, DEMO_DEVICE);
      if (!app.firmwareApproved) {
        say('WARNING: the code, a library it loads (node_modules) or Node changed since this demo device was enrolled, so its firmware measurement differs and it will refuse to sign.');
        say(
          `  Approve the new measurement with two demo admins (hsmctl approver sign --firmware ${app.measurement} …; POST /v1/firmware/approvals), or remove ${paths.dir} to make a fresh demo device.`,
        );
      }
      if (readTokens(paths.bridgeTokens).some((t) => t.principal === undefined)) {
        say(`WARNING: this demo's bridge tokens are bound to no policy principal (made before that binding) and will be refused; remove ${paths.dir} to make a fresh demo device.`);
      }
      const anvil = await startDemoChain({ demo, say }).catch(async (err: unknown) => {
        await app.stop();
        throw err;
      });
      // The bridge's JSON-RPC node (POST /v1/rpc) is this anvil.
      const bridge = await startBridge({ socketPath: paths.socket, tokensFile: paths.bridgeTokens, host: String(v.host), port: Number(v.port), ethNodeUrl: anvil.rpcUrl }).catch(
        async (err: unknown) => {
          await anvil.stop();
          await app.stop();
          throw err;
        },
      );
      let custody: RunningDemo | undefined;
      if (demo.custody === undefined) say(`WARNING: this demo device predates the custody service's requester; remove ${paths.dir} to run the withdrawal demo too.`);
      else
        custody = await startCustodyDemo({ varRoot, demo, anvil, bridgeUrl: bridge.url, host: String(v.host), port: Number(v['custody-port']), say }).catch(async (err: unknown) => {
          await bridge.close();
          await app.stop();
          await anvil.stop();
          throw err;
        });
      const as = (name: string) => DEMO_TOKENS.find((t) => t[0] === name)?.[2] ?? '?';
      const c = custody?.run;
      process.stdout.write(
        [
          '',
          `  HSM signer appliance (DEMO device ${app.deviceId})`,
          `  bridge URL:          ${bridge.url}`,
          `  orchestrator token:  ${demo.tokens.orchestrator}  (principal ${as('orchestrator')})`,
          `  admin token:         ${demo.tokens.admin}  (principal ${as('admin')})`,
          `  approver token:      ${demo.tokens.approver}  (principal ${as('approver')})`,
          `  auditor token:       ${demo.tokens.auditor}  (principal ${as('auditor')})`,
          `  key:                 ${demo.keyId}  address ${demo.address}, ${DEMO_KEY_ETH} ETH on anvil`,
          `  demo key files:      ${demo.keysDir} (DEMO only)`,
          `  orchestrator's request key: in its own token under ${requesterPaths(varRoot, DEMO_REQUESTER).dir}; the demo group requires signed requests:`,
          `    HSM_TOKEN=<orchestrator token> hsmctl sign evm --requester ${DEMO_REQUESTER} --key ${demo.keyId} --tx TX.json --idempotency-key ID --url ${bridge.url}`,
          '',
          `  anvil (chain 31337, a block a second): ${anvil.rpcUrl}  (the bridge's JSON-RPC node: POST /v1/rpc)`,
          ...(c === undefined
            ? []
            : [
                `  custody service URL: ${c.custodyUrl}  (config ${c.configFile})`,
                `  custody API tokens:  ${Object.entries(c.tokenFiles)
                  .map(([k, f]) => `${k} ${f}`)
                  .join(', ')}`,
                `  demo customer:       ${c.customer}, 10 ETH on hot address ${c.hot.address} (key ${c.hot.keyId})`,
                '  the withdrawal worker runs every second: README "Quick start" shows one withdrawal to completed',
              ]),
          '',
          '  Try next (from the repository root; README "Operator guide" goes on from here):',
          ...nextCommands(bridge.url, demo.tokens).map((c, i) => `    ${i + 1}. ${c}`),
          '  Ctrl-C stops everything.',
          '',
        ].join('\n') + '\n',
      );
      await new Promise<void>((res) => {
        const stop = () =>
          void (custody?.stop() ?? Promise.resolve())
            .then(() => bridge.close())
            .then(() => app.stop())
            .then(() => anvil.stop())
            .then(res);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      say('stopped');
    },
  },
  'key generate': {
    summary: 'generate a secp256k1 key inside the token of a running appliance',
    usage: 'hsmctl key generate --label LABEL --group GROUP [--device NAME]',
    options: { label: { type: 'string' }, group: { type: 'string' } },
    async run(v) {
      out(readable(await socketCall(v, 'key.generate', { label: String(v.label ?? ''), group: String(v.group ?? '') })));
    },
  },
  'key list': {
    summary: 'list the keys of a running appliance',
    usage: 'hsmctl key list [--device NAME]',
    options: {},
    async run(v) {
      out(readable(await socketCall(v, 'key.list')));
    },
  },
  'audit list': {
    summary: 'list audit entries of a running appliance',
    usage: 'hsmctl audit list [--from-seq N] [--limit N] [--device NAME]',
    options: { 'from-seq': { type: 'string', default: '1' }, limit: { type: 'string', default: '100' } },
    async run(v) {
      const page = await socketCall(v, 'audit.list', { fromSeq: Number(v['from-seq']), limit: Number(v.limit) });
      // Each entry is a COSE_Sign1 (CBOR tag 18): show its decoded, readable payload beside the signed bytes.
      const entries = (page.entries as CborMap[]).map((e) => withDecodedPayload(e));
      out(readable({ ...page, entries }, await socketDecimals(v)));
    },
  },
  'audit show': {
    summary: 'show one audit entry of a running appliance: its decoded payload beside the signed COSE_Sign1 bytes',
    usage: 'hsmctl audit show SEQ [--device NAME]',
    options: {},
    async run(v, positionals) {
      const seq = Number(positionals[0]);
      if (!Number.isSafeInteger(seq) || seq < 1) throw new ApplianceError('bad_request', 'usage: hsmctl audit show SEQ (a positive audit sequence number)');
      const page = await socketCall(v, 'audit.list', { fromSeq: seq, limit: 1 });
      const e = (page.entries as CborMap[])[0];
      if (!e || Number(e.seq) !== seq) throw new ApplianceError('not_found', `no audit entry ${seq}`);
      out(readable(withDecodedPayload(e), await socketDecimals(v)));
    },
  },
  'manufacturer init': {
    summary: 'make the emulated manufacturer CA (once; kept outside every device)',
    usage: 'hsmctl manufacturer init [--var DIR]',
    options: {},
    async run(v) {
      const { initManufacturer } = await manufacturer();
      const r = await initManufacturer(String(v.var));
      say(r.created ? `manufacturer CA created: ${r.certFile} (key file 0600 beside it)` : `manufacturer CA already exists: ${r.certFile}`);
    },
  },
  'audit export': {
    summary:
      'stream the audit log into FILE, resuming after its last entry: COSE_Sign1 entries as an RFC 8742 CBOR sequence (for audit verify), or --format jsonl: one readable entry per line (decoded payload beside the bytes)',
    usage:
      'hsmctl audit export --out FILE [--format cbor-seq|jsonl] [--url URL] [--token-file FILE] [--from-seq N]   (URL: --url, $HSM, the config file; token: --token-file, $HSM_TOKEN, the config file)',
    options: { out: { type: 'string' }, format: { type: 'string', default: 'cbor-seq' }, url: { type: 'string' }, 'from-seq': { type: 'string' }, 'token-file': { type: 'string' } },
    async run(v) {
      if (!v.out) throw new ApplianceError('bad_request', '--out FILE is required');
      if (v.format !== 'cbor-seq' && v.format !== 'jsonl') throw new ApplianceError('bad_request', '--format expected cbor-seq or jsonl');
      const { exportAudit } = await auditTools();
      await exportAudit({
        format: v.format,
        url: bridgeUrl(v.url),
        token: bridgeToken(v['token-file'] as string | undefined),
        file: String(v.out),
        ...(v['from-seq'] ? { fromSeq: Number(v['from-seq']) } : {}),
        progress: say,
      });
    },
  },
  'audit verify': {
    summary: 'verify an export offline: certificate chain, every signature, hash chain, seq, measurements, quoted head (exit 0 OK, 1 failed, 3 OK but no --ca: chain NOT checked)',
    usage:
      'hsmctl audit verify FILE --device-cert PEM --ca MANUFACTURER_CA.pem [--quote QUOTE.json] [--allow-measurement HEX,HEX]   (without --ca: exit 3, the chain to the manufacturer is not checked)',
    options: { 'device-cert': { type: 'string' }, ca: { type: 'string' }, quote: { type: 'string' }, 'allow-measurement': { type: 'string' } },
    async run(v, positionals) {
      const file = positionals[0];
      if (!file || !v['device-cert']) throw new ApplianceError('bad_request', 'usage: hsmctl audit verify FILE --device-cert PEM [--ca PEM]');
      const quote = v.quote ? jsonHex(jsonObject(JSON.parse(readFileSync(String(v.quote), 'utf8')), 'quote').quote, 'quote') : undefined;
      const { verifyExportFile } = await auditTools();
      const report = await verifyExportFile(file, {
        deviceCertPem: readFileSync(String(v['device-cert']), 'utf8'),
        ...(v.ca ? { caCertPem: readFileSync(String(v.ca), 'utf8') } : {}),
        ...(quote ? { quote } : {}),
        ...(v['allow-measurement'] ? { allowedMeasurements: String(v['allow-measurement']).split(',') } : {}),
      });
      // Without --ca nothing ties the device certificate to the manufacturer: a forged device could
      // have signed this log. Say so loudly and exit with its own code (docs/auditors.md "Exit codes").
      const chainChecked = typeof v.ca === 'string';
      out({ ...report, chainChecked });
      if (!report.ok) {
        say(`FAILED at entry ${report.fault?.index} (seq ${report.fault?.seq ?? '?'}): ${report.fault?.reason}`);
        process.exitCode = 1;
      } else if (!chainChecked) {
        say(`entries OK (${report.entries}, seq ${report.firstSeq}..${report.lastSeq}, device ${report.deviceId}), BUT THE DEVICE CERTIFICATE WAS NOT CHECKED AGAINST THE MANUFACTURER CA`);
        say('WARNING: without --ca PEM nothing shows this log came from a genuine device; give the manufacturer CA to verify it (exit code 3: chain not checked)');
        process.exitCode = EXIT_CHAIN_NOT_CHECKED;
      } else say(`OK: ${report.entries} entries, seq ${report.firstSeq}..${report.lastSeq}, device ${report.deviceId}, certificate chained to the manufacturer CA`);
    },
  },
  'audit replay': {
    summary: 're-run every signing decision in an export with the pure evaluator and confirm each one',
    usage: 'hsmctl audit replay FILE',
    options: {},
    async run(_v, positionals) {
      const file = positionals[0];
      if (!file) throw new ApplianceError('bad_request', 'usage: hsmctl audit replay FILE');
      const { replayExportFile } = await auditTools();
      const report = replayExportFile(file);
      out(report);
      if (report.mismatches.length > 0) {
        say(`FAILED: ${report.mismatches.length} of ${report.decisions} decisions do not replay; first at seq ${report.mismatches[0]?.seq}: ${report.mismatches[0]?.why}`);
        process.exitCode = 1;
      } else say(`OK: all ${report.decisions} decisions replay to the recorded result`);
    },
  },
  'device attest': {
    summary: 'fetch an attestation quote (signed log head) with a fresh challenge; save it for audit verify --quote',
    usage: 'hsmctl device attest --out QUOTE.json [--url URL] [--token-file FILE]   (URL: --url, $HSM, the config file; token: --token-file, $HSM_TOKEN, the config file)',
    options: { out: { type: 'string' }, url: { type: 'string' }, 'token-file': { type: 'string' } },
    async run(v) {
      const challenge = '0x' + randomBytes(32).toString('hex');
      const url = `${bridgeUrl(v.url)}/v1/device/attestation?challenge=${challenge}`;
      const ans = await callBridge(url, { token: bridgeToken(v['token-file'] as string | undefined) });
      if (ans.status !== 200) throw new ApplianceError('unavailable', describeFailure('GET', url, ans));
      const body = ans.json;
      const text = JSON.stringify({ challenge, ...body }, null, 2) + '\n';
      if (v.out) writeFileSync(String(v.out), text);
      else process.stdout.write(text);
    },
  },
  'approver keygen': {
    summary: 'make an approver or admin key file (0600) and print its public part for the policy',
    usage: 'hsmctl approver keygen --id ID [--alg ES256|EdDSA] --out FILE',
    options: { id: { type: 'string' }, alg: { type: 'string', default: 'ES256' }, out: { type: 'string' } },
    async run(v) {
      if (!v.out) throw new ApplianceError('bad_request', '--out FILE is required');
      const key = generateApproverKey(
        String(v.id ?? ''),
        v.alg === 'EdDSA'
          ? 'EdDSA'
          : v.alg === 'ES256'
            ? 'ES256'
            : (() => {
                throw new ApplianceError('bad_request', '--alg must be ES256 or EdDSA');
              })(),
      );
      writeApproverKey(secretOutputPath(String(v.out), '--out (a private key file)'), key);
      out(publicPart(key));
    },
  },
  'approver sign': {
    summary: 'sign the statement of a pending request, whitelist proposal, policy change or device time (JSON from the bridge)',
    usage:
      "hsmctl approver sign --key FILE [--in RESPONSE.json|-] [--ttl SECONDS] [--time UNIX_SECONDS (device time: default this machine's clock)]   |   --key FILE --firmware HEX --device-id ID   |   --key FILE --cancel-policy PROPOSAL_ID --device-id ID",
    options: {
      key: { type: 'string' },
      in: { type: 'string' },
      ttl: { type: 'string', default: '3600' },
      time: { type: 'string' },
      firmware: { type: 'string' },
      'cancel-policy': { type: 'string' },
      'device-id': { type: 'string' },
    },
    async run(v) {
      if (!v.key) throw new ApplianceError('bad_request', '--key FILE is required');
      const key = readApproverKey(String(v.key));
      if (v['cancel-policy']) {
        const expiresAt = Math.floor(Date.now() / 1000) + Number(v.ttl);
        const statement = encodePolicyCancelStatement(String(v['device-id'] ?? ''), String(v['cancel-policy']), key.id, expiresAt);
        out({ adminId: key.id, expiresAt, signature: '0x' + Buffer.from(signStatement(key, statement)).toString('hex') });
        return;
      }
      if (v.firmware) {
        const expiresAt = Math.floor(Date.now() / 1000) + Number(v.ttl);
        const measurement = jsonHex(String(v.firmware).startsWith('0x') ? v.firmware : `0x${String(v.firmware)}`, 'firmware', 32);
        const statement = encodeFirmwareStatement(String(v['device-id'] ?? ''), measurement, key.id, expiresAt);
        out({ measurement: '0x' + Buffer.from(measurement).toString('hex'), adminId: key.id, expiresAt, signature: '0x' + Buffer.from(signStatement(key, statement)).toString('hex') });
        return;
      }
      const doc = readAnswer(v.in as string | undefined);
      out(approveStatement(key, doc, Math.floor(Date.now() / 1000) + Number(v.ttl), v.time === undefined ? undefined : String(v.time)));
    },
  },
};

function help(): string {
  const rows = Object.entries(SUBS).map(([name, s]) => `  ${name.padEnd(18)} ${s.summary}`);
  return [
    'hsmctl: operate the HSM signer appliance',
    '',
    'Usage: hsmctl <command> [options]   (hsmctl <command> --help for its options; hsmctl --version)',
    '',
    'Commands:',
    ...rows,
    '',
    'Common options: --var DIR (default ./var or $HSM_VAR), --device NAME (default demo)',
    'Bridge commands: URL from --url, $HSM or the config file; token from --token-file, $HSM_TOKEN or the config file',
    `  (config file: $HSMCTL_CONFIG or ~/.config/hsmctl/config.json; docs/hsmctl.md)`,
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(help());
    return 0;
  }
  if (argv[0] === '--version' || argv[0] === '-V' || argv[0] === 'version') {
    process.stdout.write(`hsmctl ${productVersion()} (Node ${process.versions.node})\n`);
    return 0;
  }
  const two = `${argv[0]} ${argv[1] ?? ''}`;
  const name = SUBS[two] ? two : SUBS[argv[0] ?? ''] ? argv[0]! : undefined;
  if (!name) {
    process.stderr.write(`hsmctl: unknown command "${argv.slice(0, 2).join(' ')}"\n\n${help()}`);
    return 2;
  }
  const sub = SUBS[name]!;
  const rest = argv.slice(name.split(' ').length);
  const { values, positionals } = parseArgs({ args: rest, options: { ...COMMON, ...sub.options }, allowPositionals: true });
  if (values.help) {
    const opts = Object.keys(sub.options)
      .map((o) => `--${o}`)
      .join(' ');
    process.stdout.write(`${sub.summary}\n\nUsage: ${sub.usage}\n${opts ? `Options: ${opts} --var --device --help\n` : ''}`);
    return 0;
  }
  await sub.run(values as Record<string, string | boolean | string[] | undefined>, positionals);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ApplianceError) process.stderr.write(`hsmctl: ${err.code}: ${err.message}\n`);
    else process.stderr.write(`hsmctl: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
