// `hsmctl ceremony …`: the key ceremony commands. Arguments name files, never secrets: PINs are read
// from files (or a no-echo prompt), shares from the custodians' share files. Where secrets are
// written (device folder, SO PIN, shares) must lie outside any repository (output-location.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApplianceError } from '../../protocol/errors.js';
import { devicePaths } from '../../softhsm-config/device-layout.js';
import { cborToJson } from '../../host-bridge/json-cbor.js';
import { readableJson } from '../../host-bridge/readable-json.js';
import { readApproverKey } from '../approver-key.js';
import { readPolicyJson } from '../../host-bridge/policy-json.js';
import { makePlan, readPlan, readPlanSignature, readPublicKeyFile, signPlan } from './plan.js';
import { promptSecret, readSecretFromFile } from './secret-input.js';
import { readRestoreApproval, signRestore, writeRestoreApproval } from './restore-approval.js';
import { existsSync } from 'node:fs';
import { secretOutputPath } from './output-location.js';

/** The ceremonies' device code (the token, the appliance's state), loaded only by the command that runs one. */
const operations = () => import('./operations.js');

type Values = Record<string, string | boolean | string[] | undefined>;
interface CliSub {
  summary: string;
  usage: string;
  options: Record<string, { type: 'string' | 'boolean'; default?: string | boolean; multiple?: boolean }>;
  run(v: Values, positionals: string[]): Promise<void>;
}

const list = (v: Values, k: string): string[] => {
  const x = v[k];
  if (x === undefined) return [];
  return (Array.isArray(x) ? x : [String(x)]).flatMap((s) => s.split(',')).filter((s) => s.length > 0);
};
const need = (v: Values, k: string, what: string): string => {
  const x = v[k];
  if (typeof x !== 'string' || x.length === 0) throw new ApplianceError('bad_request', `--${k} ${what} is required`);
  return x;
};
const int = (v: Values, k: string): number => {
  const n = Number(need(v, k, 'N'));
  if (!Number.isInteger(n)) throw new ApplianceError('bad_request', `--${k} expects an integer`);
  return n;
};

export function ceremonySubs(io: { out: (x: unknown) => void; say: (m: string) => void }): Record<string, CliSub> {
  const { out, say } = io;
  return {
    'ceremony plan': {
      summary: 'prepare a key ceremony: fix the device id, enrol admins and approvers, write the policy the admins must sign',
      usage:
        'hsmctl ceremony plan --device NAME --policy POLICY.json --admin A.pub.json --admin B.pub.json … [--approver X.pub.json …] [--admin-quorum M] [--valid-hours 12] [--allow-unsigned-requests] --out PLAN.json   (every group must set "requireSignedRequests": true and every requester have a request key, unless --allow-unsigned-requests)',
      options: {
        policy: { type: 'string' },
        admin: { type: 'string', multiple: true },
        approver: { type: 'string', multiple: true },
        'admin-quorum': { type: 'string' },
        'valid-hours': { type: 'string', default: '12' },
        'allow-unsigned-requests': { type: 'boolean' },
        out: { type: 'string' },
      },
      async run(v) {
        const outFile = resolve(need(v, 'out', 'PLAN.json'));
        const plan = makePlan({
          deviceName: String(v.device),
          policy: readPolicyJson(need(v, 'policy', 'POLICY.json')),
          admins: list(v, 'admin').map(readPublicKeyFile),
          approvers: list(v, 'approver').map(readPublicKeyFile),
          ...(v['admin-quorum'] !== undefined ? { adminQuorum: int(v, 'admin-quorum') } : {}),
          now: Math.floor(Date.now() / 1000),
          validSeconds: Math.round(Number(v['valid-hours']) * 3600),
          allowUnsignedRequests: v['allow-unsigned-requests'] === true,
        });
        writeFileSync(outFile, JSON.stringify(plan, null, 2) + '\n', { flag: 'wx' });
        say(`plan for device ${plan.deviceId} written to ${outFile}; each admin checks it and runs: hsmctl ceremony sign --plan ${outFile} --key ADMIN.key.json --out ADMIN.sig.json`);
        out({ deviceId: plan.deviceId, policyHash: plan.policyHash, admins: plan.policy.admins.map((a) => a.id), adminQuorum: plan.policy.adminQuorum, signaturesExpireAt: plan.signaturesExpireAt });
      },
    },
    'ceremony sign': {
      summary: 'an admin signs the first policy of a ceremony plan, or approves restoring a backup (offline, own key file)',
      usage: 'hsmctl ceremony sign --plan PLAN.json --key ADMIN.key.json --out ADMIN.sig.json   |   --backup BK.cbor --key ADMIN.key.json [--ttl SECONDS] --out ADMIN.restore.json',
      options: { plan: { type: 'string' }, backup: { type: 'string' }, key: { type: 'string' }, out: { type: 'string' }, ttl: { type: 'string', default: '43200' } },
      async run(v) {
        if (typeof v.backup === 'string') {
          const approval = signRestore(new Uint8Array(readFileSync(v.backup)), readApproverKey(need(v, 'key', 'ADMIN.key.json')), Math.floor(Date.now() / 1000) + int(v, 'ttl'));
          writeRestoreApproval(resolve(need(v, 'out', 'ADMIN.restore.json')), approval);
          say(`approved restoring backup ${approval.backupHash} of device ${approval.deviceId} as ${approval.adminId}`);
          return;
        }
        const plan = readPlan(need(v, 'plan', 'PLAN.json'));
        const sig = signPlan(plan, readApproverKey(need(v, 'key', 'ADMIN.key.json')));
        writeFileSync(resolve(need(v, 'out', 'ADMIN.sig.json')), JSON.stringify(sig, null, 2) + '\n', { flag: 'wx' });
        say(`signed policy ${plan.policyHash} for device ${plan.deviceId} as ${sig.adminId}`);
      },
    },
    'ceremony init': {
      summary: 'create the device of a plan: token with generated PINs, attestation identity, signed first policy; writes the transcript',
      usage: 'hsmctl ceremony init --plan PLAN.json --signature A.sig.json --signature B.sig.json … --operator NAME --witness NAME --so-pin-out FILE [--out DIR] [--var DIR]',
      options: {
        plan: { type: 'string' },
        signature: { type: 'string', multiple: true },
        operator: { type: 'string' },
        witness: { type: 'string' },
        'so-pin-out': { type: 'string' },
        out: { type: 'string' },
      },
      async run(v) {
        const planFile = need(v, 'plan', 'PLAN.json');
        const planBytes = new Uint8Array(readFileSync(planFile));
        const soPinOut = secretOutputPath(need(v, 'so-pin-out', "FILE (the security officer's medium, outside the device directory)"), '--so-pin-out');
        const { runCeremonyInit } = await operations();
        const res = await runCeremonyInit({
          varRoot: secretOutputPath(String(v.var), '--var (the device token and its PIN)'),
          plan: readPlan(planFile),
          planBytes,
          signatures: list(v, 'signature').map(readPlanSignature),
          operator: need(v, 'operator', 'NAME'),
          witness: need(v, 'witness', 'NAME'),
          soPinOut,
          ...(typeof v.out === 'string' ? { outDir: v.out } : {}),
          progress: say,
        });
        say(`transcript: ${res.transcript.markdown} and ${res.transcript.cbor} (verify with hsmctl audit verify)`);
        out(res);
      },
    },
    'ceremony keygen': {
      summary: 'generate keys in a group, with their attestation certificates (appliance stopped)',
      usage: 'hsmctl ceremony keygen --device NAME --group G --label L [--count N] [--var DIR]',
      options: { group: { type: 'string' }, label: { type: 'string' }, count: { type: 'string', default: '1' } },
      async run(v) {
        const { runCeremonyKeygen } = await operations();
        const keys = await runCeremonyKeygen({ varRoot: String(v.var), name: String(v.device), group: need(v, 'group', 'G'), label: need(v, 'label', 'L'), count: int(v, 'count'), progress: say });
        out(keys.map((k) => readableJson(cborToJson(k))));
      },
    },
    'ceremony backup': {
      summary: 'back up every key wrapped under a fresh AES-256 key the SO makes trusted, split M-of-N among custodians',
      usage: 'hsmctl ceremony backup --device NAME --threshold M --shares N --custodian NAME … --witness NAME --out DIR [--so-pin-file FILE | --so-pin-prompt] [--var DIR]',
      options: {
        threshold: { type: 'string' },
        shares: { type: 'string' },
        custodian: { type: 'string', multiple: true },
        witness: { type: 'string' },
        out: { type: 'string' },
        'so-pin-file': { type: 'string' },
        'so-pin-prompt': { type: 'boolean' },
      },
      async run(v) {
        const shares = int(v, 'shares');
        const custodians = list(v, 'custodian');
        const names = custodians.length > 0 ? custodians : Array.from({ length: shares }, (_, i) => `custodian-${i + 1}`);
        if (names.length !== shares) throw new ApplianceError('bad_request', `--shares ${shares} but ${names.length} custodians named`);
        const paths = devicePaths(String(v.var), String(v.device));
        let soPin: string;
        if (v['so-pin-prompt']) soPin = await promptSecret('token SO PIN');
        else if (typeof v['so-pin-file'] === 'string') soPin = readSecretFromFile(v['so-pin-file'], 'SO PIN');
        else if (existsSync(paths.soPinFile))
          soPin = readSecretFromFile(paths.soPinFile, 'SO PIN'); // demo and test devices only
        else throw new ApplianceError('bad_request', 'the SO PIN is needed: --so-pin-file FILE or --so-pin-prompt');
        const { runCeremonyBackup } = await operations();
        const res = await runCeremonyBackup({
          varRoot: String(v.var),
          name: String(v.device),
          threshold: int(v, 'threshold'),
          custodians: names,
          outDir: secretOutputPath(need(v, 'out', 'DIR'), '--out (the custodian shares)'),
          witness: need(v, 'witness', 'NAME'),
          soPin,
          progress: say,
        });
        say(`hand each share file to its custodian on separate media, then delete it here: ${res.shareFiles.join(', ')}`);
        out(res);
      },
    },
    'ceremony restore': {
      summary: 'rebuild a device in a new token from a backup and any M custodian shares (same key addresses)',
      usage: 'hsmctl ceremony restore --device NEWNAME --backup FILE.cbor --share S1.json … --approval A.restore.json … --witness NAME --so-pin-out FILE [--ca CA.pem] [--var DIR]',
      options: {
        backup: { type: 'string' },
        share: { type: 'string', multiple: true },
        approval: { type: 'string', multiple: true },
        witness: { type: 'string' },
        'so-pin-out': { type: 'string' },
        ca: { type: 'string' },
      },
      async run(v) {
        const soPinOut = secretOutputPath(need(v, 'so-pin-out', "FILE (the security officer's medium, outside the device directory)"), '--so-pin-out');
        const { runCeremonyRestore } = await operations();
        const res = await runCeremonyRestore({
          varRoot: secretOutputPath(String(v.var), '--var (the device token and its PIN)'),
          name: String(v.device),
          backupFile: need(v, 'backup', 'FILE.cbor'),
          shareFiles: list(v, 'share'),
          approvals: list(v, 'approval').map(readRestoreApproval),
          witness: need(v, 'witness', 'NAME'),
          soPinOut,
          ...(typeof v.ca === 'string' ? { caCertFile: v.ca } : {}),
          progress: say,
        });
        out(res);
      },
    },
  };
}
