// The StateStore contract against the in-memory store (REDIS_URL unset).
import { MemoryStateStore } from '../../src/adapters/store/memory-store.js';
import { describeStateStoreContract } from './state-store.contract.js';

describeStateStoreContract('memory', {
  open: async (limits) => new MemoryStateStore(limits),
  // One process only: every "replica" is the same store.
  peer: async (store) => store,
});
