// key.list: a page of the registered keys (public data only). A page holds at most KEY_PAGE_MAX keys
// (each about 1 KB with its certificate), so it fits the response frame however many keys the token
// holds; `nextOffset` says where the next page starts, or is null.
import { onlyKeys, optUint } from '../args.js';
import { defineCommand } from './command.js';
import type { ListedKey } from './key-info.js';

export const KEY_PAGE_MAX = 1000;

export interface KeyListArgs {
  limit: number;
  offset: number;
}

export type KeyListResult = {
  keys: ListedKey[];
  nextOffset: number | null;
};

export const keyList = defineCommand<Partial<KeyListArgs>, KeyListResult, KeyListArgs>()({
  name: 'key.list',
  summary: 'A page of the registered keys (public data only).',
  changesState: false,
  errors: [],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['limit', 'offset']);
    return { limit: optUint(m, 'limit', KEY_PAGE_MAX, KEY_PAGE_MAX), offset: optUint(m, 'offset', 0) };
  },
});
