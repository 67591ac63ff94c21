// Compiles test contracts offline with the npm `solc` package (compiler inside the package).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import solc from 'solc';
import { repoRoot } from './vectors.js';

export interface Compiled {
  abi: unknown[];
  bytecode: `0x${string}`;
}

export function compileFixture(file: string, contract: string): Compiled {
  const content = readFileSync(join(repoRoot, 'test', 'e2e', 'fixtures', file), 'utf8');
  const input = { language: 'Solidity', sources: { [file]: { content } }, settings: { optimizer: { enabled: true, runs: 200 }, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } } };
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const c = out.contracts[file]?.[contract];
  if (!c) throw new Error(`${contract} not found in ${file}`);
  return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
}
