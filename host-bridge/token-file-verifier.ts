// The running bridge's view of its tokens file: it looks at the file's status on every check (a stat,
// not a read: this is on every request's path), reads it when that changed, and rebuilds its table when
// the text changed, so `hsmctl token add|revoke|rotate` take effect on the next request
// without a restart (a revoked or rotated-away token is refused at once). A file that exists but
// cannot be read or parsed refuses every token (fail closed: an edit that broke the file must not leave
// a revoked token working) and says so once on stderr; a missing file is an empty one, as at start.
import { readFileSync, statSync } from 'node:fs';
import { ApplianceError } from '../protocol/errors.js';
import { TokenVerifier, type TokenRecord } from './auth.js';

type Table = Map<string, TokenRecord>;

function parse(text: string): TokenRecord[] {
  const doc = JSON.parse(text) as { tokens?: unknown };
  if (doc === null || typeof doc !== 'object' || (doc.tokens !== undefined && !Array.isArray(doc.tokens))) throw new Error('"tokens" must be an array');
  return (doc.tokens ?? []) as TokenRecord[];
}

export class TokenFileVerifier extends TokenVerifier {
  private text: string | undefined;
  private table: Table | undefined;
  private broken = false;
  /** The file's inode, size and times at the last read: unchanged, the table stands without a read. */
  private seen: string | undefined;

  constructor(
    private readonly file: string,
    private readonly log: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  ) {
    super([]);
  }

  protected override current(): Table {
    let seen: string | undefined;
    try {
      // Not the bigint form: a fifth dearer, and the times as doubles still tell changes a microsecond apart
      // (a rewrite keeping size and times that close also keeps the inode only when made in place).
      const st = statSync(this.file, { throwIfNoEntry: false });
      seen = st === undefined ? 'absent' : `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    } catch {
      seen = undefined; // unreadable status: read below, which refuses every token with the reason
    }
    if (seen !== undefined && seen === this.seen && this.table !== undefined) return this.table;
    this.seen = seen;
    let text: string;
    let readError: string | undefined;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      text = code === 'ENOENT' ? '{"tokens":[]}' : '';
      if (code !== 'ENOENT') readError = code ?? String(err);
    }
    if (text !== this.text || this.table === undefined) {
      this.text = text;
      try {
        if (readError !== undefined) throw new Error(readError);
        this.table = new Map(parse(text).map((r) => [r.sha256, r]));
        if (this.broken) this.log(`bridge: the tokens file ${this.file} reads again: ${this.table.size} tokens`);
        this.broken = false;
      } catch (err) {
        this.table = undefined;
        if (!this.broken) this.log(`bridge: the tokens file ${this.file} cannot be read (${err instanceof Error ? err.message : String(err)}): every token is refused until it is fixed`);
        this.broken = true;
      }
    }
    if (this.table === undefined) throw new ApplianceError('unauthorized', "the bridge's tokens file cannot be read: every token is refused");
    return this.table;
  }
}
