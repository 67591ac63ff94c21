// Module customization hooks (registered by load-recorder.ts): records the URL of every module the
// ES module loader loads, then loads it unchanged.
import { appendFileSync } from 'node:fs';

let out = '';

export function initialize(data: { out: string }): void {
  out = data.out;
}

export async function load(url: string, context: unknown, nextLoad: (url: string, context: unknown) => Promise<unknown>): Promise<unknown> {
  appendFileSync(out, `esm ${url}\n`);
  return nextLoad(url, context);
}
