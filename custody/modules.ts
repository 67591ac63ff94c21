// The modules of the custody service, in the order their routes are registered. A new part of the
// service (the chain watcher, reconciliation, the orchestrator) adds its CustodyModule to
// SERVICE_MODULES; tests may pass extra modules to createCustodyApp or startCustody.
import type { CustodyModule } from './module.js';
import { accountsModule } from './routes/accounts.js';
import { balancesModule } from './routes/balances.js';
import { custodyAddressesModule } from './routes/custody-addresses.js';
import { entriesModule } from './routes/entries.js';
import { replayModule } from './routes/replay.js';
import { withdrawalsModule } from './routes/withdrawals.js';
import { depositsModule } from './routes/deposits.js';
import { reconciliationModule } from './routes/reconciliation.js';
import { sweepsModule } from './routes/sweeps.js';

/** The ledger's read API and the address registry. */
export const LEDGER_MODULES: readonly CustodyModule[] = [balancesModule, accountsModule, entriesModule, replayModule, custodyAddressesModule];

/** The other modules the running service loads (routes and periodic jobs). */
/** The other modules the running service loads (routes and periodic jobs). The deposits module's jobs come
 *  before reconciliation's; both queue on each chain's runtime, so a run never overlaps a catch-up. */
export const SERVICE_MODULES: readonly CustodyModule[] = [withdrawalsModule(), depositsModule, sweepsModule, reconciliationModule];
