// Running a function that takes a Db (postEntry, reverseEntry) inside a transaction that is already
// open: its `transaction` joins the outer one, so a posting commits or rolls back with the rows written
// beside it (an exception, an event). A failure inside rolls back the whole outer transaction.
import type { Db, Queryable } from './db.js';

export function joinTransaction(tx: Queryable): Db {
  return {
    query: (sql, params) => tx.query(sql, params),
    exec: (sql) => tx.exec(sql),
    transaction: (fn) => fn(tx),
    close: () => Promise.reject(new Error('a joined transaction is closed by its owner')),
  };
}
