// The ledger modules' settings from the service's config: the jobs' intervals, the requester the
// bridge token is bound to and the admin that generates deposit keys, each with a stamper when the
// config names a request key file (PKCS#8 PEM, P-256 signing ES256 with DER signatures, or Ed25519).
// Token and key files are read when a request or a job needs them, never kept in the config, never logged.
import { readFileSync } from 'node:fs';
import { keyFileStamper } from '../ledger/key-file-stamper.js';
import type { Stamper } from '../ledger/request-stamps.js';
import { DEFAULT_LEDGER_JOBS, type CustodyConfig } from './config.js';
import type { LedgerServiceSettings } from './module.js';
import { ProblemError } from './problem.js';

function readSecret(file: string, field: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ProblemError('not_configured', `config ${field}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { field });
  }
}

/** A stamper signing with the request key in `file` (read on each stamp). */
function fileStamper(file: string, field: string): Stamper {
  return keyFileStamper(file, (reason) => new ProblemError('not_configured', `config ${field}: ${reason}`, { field }));
}

export function ledgerSettingsOf(cfg: CustodyConfig): LedgerServiceSettings {
  const b = cfg.bridge;
  const out: LedgerServiceSettings = { jobs: cfg.jobs ?? DEFAULT_LEDGER_JOBS, requester: { id: b?.requesterId ?? 'custody' }, depositGroup: b?.depositGroup ?? 'deposit' };
  if (b?.requestKeyFile !== undefined) out.requester.stamp = fileStamper(b.requestKeyFile, 'bridge.requestKeyFile');
  if (b?.deviceId !== undefined) out.deviceId = b.deviceId;
  if (b?.admin !== undefined) {
    const a = b.admin;
    out.admin = {
      principal: { id: a.id, ...(a.requestKeyFile === undefined ? {} : { stamp: fileStamper(a.requestKeyFile, 'bridge.admin.requestKeyFile') }) },
      token: () => readSecret(a.tokenFile, 'bridge.admin.tokenFile').trim(),
    };
  }
  return out;
}
