/** The TraceStore contract (store-contract.ts), run against the memory store and the SQLite store. */
import { MemoryStore } from '../../src/viewer/store/memory-store.ts';
import { SqliteStore } from '../../src/viewer/store/sqlite-store.ts';
import { storeContract } from './store-contract.ts';

storeContract('MemoryStore', (bounds) => new MemoryStore(bounds));
storeContract('SqliteStore', (bounds) => new SqliteStore({ path: ':memory:', ...bounds }));
