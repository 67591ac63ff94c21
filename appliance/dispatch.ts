// Routes a decoded request envelope to its command handler. One handler per wire command.
import type { CborMap } from '../protocol/cbor.js';
import type { Command } from '../protocol/messages.js';
import type { Device } from './device.js';
import { health } from './commands/health.js';
import { keyGenerate } from './commands/key-generate.js';
import { keyGet, keyList } from './commands/key-list.js';
import { signEvmTx } from './commands/sign-evm-tx.js';
import { signTypedData } from './commands/sign-typed-data.js';
import { requestGet } from './commands/request-get.js';
import { requestApprove } from './commands/request-approve.js';
import { whitelistApprove, whitelistCancel, whitelistList, whitelistPropose, whitelistRemove } from './commands/whitelist.js';
import { policyGet, policyInit } from './commands/policy.js';
import { auditList } from './commands/audit-list.js';
import { deviceAttest, deviceInfo, firmwareApprove } from './commands/device.js';
import { policyActivate, policyApprove, policyCancel, policyDiff, policyPropose, policyProposal } from './commands/policy-change.js';
import { needsRefusalAudit, refusalFields, withAuditSeq } from './refusal-log.js';
import { log } from './log.js';
import { ApplianceError } from '../protocol/errors.js';
import { deviceTime, deviceTimeAttest } from './commands/device-time.js';

type Handler = (dev: Device, args: CborMap) => Promise<CborMap>;

const HANDLERS: Record<Command, Handler> = {
  health: (dev) => health(dev),
  'key.generate': keyGenerate,
  'key.list': keyList,
  'key.get': keyGet,
  'sign.evm-tx': signEvmTx,
  'sign.typed-data': signTypedData,
  'request.get': requestGet,
  'request.approve': requestApprove,
  'whitelist.propose': whitelistPropose,
  'whitelist.approve': whitelistApprove,
  'whitelist.list': whitelistList,
  'whitelist.remove': whitelistRemove,
  'whitelist.cancel': whitelistCancel,
  'policy.get': policyGet,
  'policy.init': policyInit,
  'audit.list': auditList,
  'device.info': deviceInfo,
  'device.attest': deviceAttest,
  'firmware.approve': firmwareApprove,
  'policy.propose': policyPropose,
  'policy.approve': policyApprove,
  'policy.cancel': policyCancel,
  'policy.activate': policyActivate,
  'policy.proposal': policyProposal,
  'policy.diff': policyDiff,
  'device.time': deviceTime,
  'device.time.attest': deviceTimeAttest,
};

/**
 * Commands that use a key or change state: refused while the sealed state is broken or the clock is
 * set back (docs/reliability.md "Sealed state"). Reads (health, device.info, audit.list, key.list, policy.get…)
 * keep working so that an auditor can investigate.
 */
const SEALED_COMMANDS: ReadonlySet<Command> = new Set<Command>([
  'key.generate',
  'sign.evm-tx',
  'sign.typed-data',
  'request.approve',
  'whitelist.propose',
  'whitelist.approve',
  'whitelist.remove',
  'whitelist.cancel',
  'policy.init',
  'policy.propose',
  'policy.approve',
  'policy.cancel',
  'policy.activate',
  'device.attest',
  'firmware.approve',
  'device.time.attest',
]);

export async function dispatch(dev: Device, cmd: Command, args: CborMap): Promise<CborMap> {
  try {
    if (SEALED_COMMANDS.has(cmd)) dev.sealed.guard();
    return await HANDLERS[cmd](dev, args);
  } catch (err) {
    throw auditRefusal(dev, cmd, args, err);
  }
}

/**
 * The one place where a refusal of a well-framed command is audited (README "Refusals in the audit
 * log"): every typed error a handler did not audit itself gets an entry (identical ones counted, see
 * refusal-log.ts), and the answer names its seq. If the log cannot be written (no attestation key
 * yet, sealed state broken), the refusal still answers and goes to the operational log.
 */
function auditRefusal(dev: Device, cmd: Command, args: CborMap, err: unknown): unknown {
  if (!needsRefusalAudit(err)) return err;
  try {
    return withAuditSeq(err, dev.refusals.record(refusalFields(cmd, args, err)));
  } catch (auditErr) {
    log('warn', 'refusal not audited', { cmd, code: err.code, error: auditErr instanceof ApplianceError ? auditErr.code : auditErr instanceof Error ? auditErr.name : 'unknown' });
    return err;
  }
}
