// Routes a decoded request envelope to its command handler. One handler per wire command.
import type { CborMap } from '../protocol/cbor.js';
import type { Command } from '../protocol/messages.js';
import type { Device } from './device.js';
import { CATALOGUE, type ArgsOf, type CommandName, type ResultOf } from '../protocol/commands/index.js';
import { HANDLERS, type Handler } from './commands/index.js';
import { needsRefusalAudit, refusalFields, withAuditSeq } from './refusal-log.js';
import { log } from './log.js';
import { ApplianceError } from '../protocol/errors.js';

/**
 * Parses the arguments with the command's catalogue parser and runs its handler. A command that uses
 * a key or changes state (`changesState` in its catalogue module) is refused while the sealed state
 * is broken or the clock is set back (docs/reliability.md "Sealed state"); reads keep working so that
 * an auditor can investigate.
 */
async function run<C extends CommandName>(dev: Device, cmd: C, raw: CborMap): Promise<ResultOf<C>> {
  const spec = CATALOGUE[cmd];
  if (spec.changesState) dev.sealed.guard();
  const args = dev.stages.time('decode', () => spec.parseArgs(raw) as ArgsOf<C>);
  return (HANDLERS[cmd] as Handler<C>)(dev, args);
}

export async function dispatch(dev: Device, cmd: Command, args: CborMap): Promise<CborMap> {
  try {
    return (await run(dev, cmd, args)) as unknown as CborMap;
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
