// A state database with its seal, for unit tests of the stores: in memory (or a file), sealed with a
// software key, its checkpoint row created. Writes go through `seal.transaction` as on the device.
import { openDb, type Db } from '../../appliance/state/db.js';
import { StateSeal } from '../../appliance/state/state-seal.js';
import { softwareSealKey } from '../../appliance/state/software-seal-key.js';

export function sealedDb(path = ':memory:', clock: () => number = () => 1_700_000_000): { db: Db; seal: StateSeal } {
  const db = openDb(path);
  const seal = new StateSeal(db, 'hsm-test', clock);
  seal.attachKey(softwareSealKey());
  seal.transaction(() => seal.initialize());
  return { db, seal };
}
