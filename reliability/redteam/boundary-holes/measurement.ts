// Red-team scenarios for issue 11, item 14: the firmware measurement covers the libraries the device
// loads. A host user swaps a dependency in the appliance's installed tree (a copy made for the
// scenario: the shared node_modules is never touched) and starts the appliance from it. Before the fix
// the measurement covered the project's own files only, so the swapped tree booted as the enrolled
// firmware and signed. Now it boots as unapproved firmware: every signature is refused with
// firmware-measurement/measurement_not_approved until the admin quorum approves the new measurement.
//
// Where it is recorded: the appliance's log, at boot ("firmware measurement not approved", with the
// running and the enrolled measurement) and for each refused command ("command failed"). The sign
// refusal becomes an audit entry where every refusal is audited (item 10); the scenario then reports its seq.
import type { PolicyJson } from '../../../host-bridge/policy-json.js';
import { publicPart } from '../../../cli/approver-key.js';
import { startAppliance, type ApplianceProcess } from '../../../cli/appliance-process.js';
import { copyFirmwareTree, type FirmwareTree } from '../../firmware-tree.js';
import type { Outcome, Scenario, Verdict } from '../scenario.js';
import { CHAIN_ID, ETH, tx, type RedteamDevice } from '../harness.js';
import type { World } from '../world.js';

/** One key in group "hot", the recipient whitelisted with no hold. */
function policy(w: World): PolicyJson {
  return {
    adminQuorum: 2,
    admins: w.people.admins.map(publicPart),
    approvers: [],
    // The principals the harness's bridge tokens are bound to (one namespace with admins and approvers).
    requesters: [{ id: 'orchestrator' }, { id: 'alice' }],
    auditors: [{ id: 'auditor' }],
    groups: {
      hot: {
        chains: [CHAIN_ID],
        whitelistRequired: true,
        holdSeconds: 0,
        assets: { [`${CHAIN_ID}:native`]: { perTxMax: ETH.toString(), windows: [{ seconds: 3600, maxAmount: ETH.toString(), maxCount: 100 }], approvalTiers: [] } },
      },
    },
  };
}

interface Booted {
  appliance: ApplianceProcess;
  log: () => string;
}

/** Stops the device's appliance and starts it from the given tree's entry point (same var/, same token). */
async function bootFrom(d: RedteamDevice, tree: FirmwareTree): Promise<Booted> {
  await d.applianceProcess.stop();
  d.client.close();
  let text = '';
  const appliance = await startAppliance(d.varRoot, d.name, { main: tree.main, stderr: 'pipe', env: { ...process.env, HSM_LOG_LEVEL: 'info' } });
  appliance.child.stderr?.on('data', (b: Buffer) => (text += b.toString('utf8')));
  return { appliance, log: () => text };
}

const logLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });

/** Swaps one file of a package in a copy of the tree, boots the device from it and asks it to sign. */
async function swappedDependency(w: World, v: Verdict, name: string, pkg: string, inside: string, appended: string): Promise<Outcome> {
  const d = await w.device(name, policy(w), [{ label: 'hot-1', group: 'hot' }]);
  await d.whitelist(w.addr.recipient, 'hot');
  const enrolled = d.applianceProcess.measurement;
  const tree = copyFirmwareTree(undefined, `redteam-${name}-`);
  let booted: Booted | undefined;
  try {
    tree.alterPackageFile(pkg, inside, appended);
    booted = await bootFrom(d, tree);
    const head = await d.auditHead();
    const r = await d.sign('hot-1', tx(w.addr.recipient, ETH / 1000n, 0));
    const details = (r.json.details ?? {}) as { rule?: string; code?: string; running?: string; enrolled?: string };
    const running = booted.appliance.measurement;
    v.expect(running !== enrolled, `the swapped ${pkg} measured as the enrolled firmware ${enrolled}`);
    v.expect(booted.appliance.firmwareApproved === false, 'the device booted the swapped tree as approved firmware');
    v.expect(r.status === 403 && r.json.code === 'denied', `expected 403 denied, got ${r.status} ${String(r.json.status ?? r.json.code)}`);
    v.expect(
      details.rule === 'firmware-measurement' && details.code === 'measurement_not_approved',
      `expected firmware-measurement/measurement_not_approved, got ${String(details.rule)}/${String(details.code)}`,
    );
    v.expect(details.running === running && details.enrolled === enrolled, 'the refusal does not name the running and the enrolled measurement');
    v.expect(await d.noSignatureSince(head), 'an audit entry after the swap records a signature');
    // Once every refusal is audited (item 10), the refusal's entry names the code; until then the op log holds it.
    const auditSeq = await d.findAudit(head, (p) => JSON.stringify(p).includes('measurement_not_approved'));
    const lines = logLines(booted.log());
    const bootWarn = lines.some((l) => l.msg === 'firmware measurement not approved: the device will not sign' && l.running === running && l.enrolled === enrolled);
    const refusedLine = lines.some((l) => l.msg === 'command failed' && l.code === 'denied');
    const logged = v.recorded(bootWarn && refusedLine, `op log: boot warning ${bootWarn}, refusal line ${refusedLine}`);
    return {
      result: `boot: firmwareApproved ${String(booted.appliance.firmwareApproved)} (${running.slice(0, 12)}… ≠ enrolled ${enrolled.slice(0, 12)}…); sign: ${r.status} ${String(details.code ?? r.json.status)}`,
      auditSeq: auditSeq ?? 'oplog',
      logged,
    };
  } finally {
    await booted?.appliance.stop();
    tree.remove();
  }
}

export const measurementScenarios: Scenario[] = [
  {
    id: 'H14',
    attacker: 'host user',
    attack: "swap @noble/curves/secp256k1.js (the signature library) in the appliance's node_modules and restart it",
    expected: '403 firmware-measurement/measurement_not_approved, nothing signed',
    run: (w, v) => swappedDependency(w, v, 'swap-noble', '@noble/curves', 'secp256k1.js', '\n// swapped by the host\n'),
  },
  {
    id: 'H14b',
    attacker: 'host user',
    attack: "swap pkcs11js's native addon (build/Release/pkcs11.node, the HSM binding) and restart the appliance",
    expected: '403 firmware-measurement/measurement_not_approved, nothing signed',
    // Bytes after the end of an ELF file leave it loadable: the addon still works, only its bytes differ.
    run: (w, v) => swappedDependency(w, v, 'swap-pkcs11', 'pkcs11js', 'build/Release/pkcs11.node', 'swapped by the host'),
  },
];
