// A Stamper (request-stamps.ts) signing with a request key kept in a file: PKCS#8 PEM, P-256 (ES256 with
// a DER signature) or Ed25519. The file is read on each stamp, so replacing the key needs no restart,
// and the key is never kept in memory between stamps. The custody service and the orchestrator's worker
// processes both stamp this way; each says how a failure is reported (`fail` makes its error).
import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Stamper } from './request-stamps.js';

/** A stamper signing with the key in `file`; an unreadable file or another kind of key is `fail(reason)`. */
export function keyFileStamper(file: string, fail: (reason: string) => Error): Stamper {
  return (statement) => {
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (err) {
      throw fail(`cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType === 'ed25519') return sign(null, statement, key);
    if (key.asymmetricKeyType === 'ec') return sign('sha256', statement, { key, dsaEncoding: 'der' });
    throw fail('expected a P-256 or Ed25519 private key');
  };
}
