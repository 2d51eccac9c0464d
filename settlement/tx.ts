import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../platform/index.ts';

/** The database, or a transaction on it. */
export type Tx = Transaction<Database> | Kysely<Database>;
