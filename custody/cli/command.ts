// What custodyctl's commands share: the command shape (summary, usage, options, run), JSON output on
// stdout and messages on stderr, the API options, and a query string from the flags given.
import type { ClientOptions } from './client.js';

export type Values = Record<string, string | boolean | string[] | undefined>;

export interface Command {
  summary: string;
  usage: string;
  options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
  /** Uses --url and --token-file. */
  api?: boolean;
  run(v: Values, positionals: string[], client: () => ClientOptions): Promise<number>;
}

export const out = (x: unknown) => process.stdout.write(JSON.stringify(x, null, 2) + '\n');
export const say = (m: string) => process.stderr.write(`custodyctl: ${m}\n`);
export const API_OPTIONS = { url: { type: 'string' as const }, 'token-file': { type: 'string' as const } };
export const API_USAGE = '[--url URL] [--token-file FILE]';

/** `?k=v&…` of the string values given (absent flags left out). */
export function query(pairs: Record<string, unknown>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(pairs)) if (typeof v === 'string') q.set(k, v);
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}
