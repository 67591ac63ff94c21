// One configured chain as the running service works on it: its RPC client, its chain watcher, and one
// queue that runs the chain's ledger writes one at a time (the deposits job, a reconciliation, a
// sweep's settlement). `catchUp` gives reconciliation the order docs/ledger.md requires: the watcher
// steps until it has scanned up to the final block F it saw, then the sweeps settle up to F, and the
// run reconciles at that same F, so nothing final at or below F is left unposted and nothing above it
// is posted. The runtimes are made once per ServiceContext (a route and a job share them).
import type { PublicClient } from 'viem';
import { ChainWatcher } from '../ledger/chain-watcher.js';
import { chainClient, type ChainConfig } from '../ledger/chain.js';
import type { Db } from '../ledger/db.js';
import { reconcile } from '../ledger/reconcile.js';
import type { Reconciliation } from '../ledger/reconcile-types.js';
import { settleSweeps } from '../ledger/sweep.js';
import type { ServiceContext } from './module.js';
import { ProblemError } from './problem.js';

/** Steps of the watcher in one catch-up at most (each scans up to 500 blocks). */
const MAX_STEPS = 200;

export interface CatchUp {
  /** The block up to which deposits and sweeps are posted: the lower of the final block and the last scanned. */
  block: bigint;
  included: number;
  finalized: number;
  sweepsSettled: number;
}

export class ChainRuntime {
  readonly client: PublicClient;
  readonly watcher: ChainWatcher;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly db: Db,
    readonly chain: ChainConfig,
    client?: PublicClient,
  ) {
    this.client = client ?? chainClient(chain);
    this.watcher = new ChainWatcher(db, chain, { client: this.client });
  }

  /** Runs `fn` after every write of this chain queued before it. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** The watcher's steps up to the final block, then the sweeps' settlement up to the same block (not queued: call inside `exclusive`). */
  async catchUp(signal?: AbortSignal): Promise<CatchUp> {
    let included = 0;
    let finalized = 0;
    for (let i = 0; ; i++) {
      const r = await this.watcher.step();
      included += r.included.length;
      finalized += r.finalized.length;
      const progressed = r.scanned.to >= r.scanned.from;
      if (r.scanned.to >= r.finalBlock || !progressed || i + 1 >= MAX_STEPS || signal?.aborted) {
        const block = r.scanned.to < r.finalBlock ? r.scanned.to : r.finalBlock;
        const settled = block < 0n ? [] : await settleSweeps({ db: this.db, chain: this.chain, client: this.client }, { upTo: block });
        return { block, included, finalized, sweepsSettled: settled.length };
      }
    }
  }

  /** The deposits job: catch up, queued behind the chain's other writes. */
  deposits(signal?: AbortSignal): Promise<CatchUp> {
    return this.exclusive(() => this.catchUp(signal));
  }

  /** A reconciliation at the block the catch-up reached (refused with not_final while the chain has no final block). */
  reconcile(now?: () => Date): Promise<Reconciliation> {
    return this.exclusive(async () => {
      const { block } = await this.catchUp();
      return reconcile(this.db, this.client, this.chain, { block, ...(now ? { now } : {}) });
    });
  }
}

const runtimes = new WeakMap<ServiceContext, Map<bigint, ChainRuntime>>();

/** The service's runtimes, one per configured chain, made on first use. */
export function chainRuntimes(svc: ServiceContext): Map<bigint, ChainRuntime> {
  let m = runtimes.get(svc);
  if (m === undefined) {
    m = new Map(svc.chains.map((c) => [c.chainId, new ChainRuntime(svc.db, c)]));
    runtimes.set(svc, m);
  }
  return m;
}

/** The runtime of a configured chain; a chain the config does not list is a 400 naming `field`. */
export function runtimeOf(svc: ServiceContext | undefined, chainId: bigint, field = 'chainId'): ChainRuntime {
  if (svc === undefined) throw new ProblemError('not_configured', 'this app serves no chain (no service context)');
  const rt = chainRuntimes(svc).get(chainId);
  if (rt === undefined) throw new ProblemError('bad_request', `chain ${chainId} is not configured`, { field });
  return rt;
}
