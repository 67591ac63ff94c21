// Secrets for ceremonies come from a file or from a prompt on the terminal with echo off; never from
// argv or the environment.
import { readFileSync } from 'node:fs';
import { ApplianceError } from '../../protocol/errors.js';

export function readSecretFromFile(file: string, what: string): string {
  let v: string;
  try {
    v = readFileSync(file, 'utf8').trim();
  } catch {
    throw new ApplianceError('bad_request', `cannot read the ${what} from ${file}`);
  }
  if (v.length === 0) throw new ApplianceError('bad_request', `${file} holds no ${what}`);
  return v;
}

/** Asks on the controlling terminal without echo. */
export function promptSecret(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return Promise.reject(new ApplianceError('bad_request', `${question}: no terminal to prompt on; give the secret in a file instead`));
  process.stderr.write(`${question}: `);
  return new Promise((resolve, reject) => {
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new ApplianceError('bad_request', 'cancelled'));
        if (ch === '\u007f') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
