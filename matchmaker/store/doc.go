// Package store is the persistence layer of the matchmaker: rule sets,
// matchmaking configurations, tickets with their indexes, the atomic claim of
// a match, leases that give one matchmaker ownership of a configuration, and
// the per-configuration event log.
//
// Store is the contract. Redis (NewRedis) is the production implementation;
// Memory (NewMemory) is the in-process implementation used by `matchpoint
// dev` and by fast tests. Both pass the conformance suite in
// matchmaker/store/storetest. docs/store.md describes the Redis key layout and
// the guarantees.
//
// The store stores: it does not validate field values (that is the service
// layer's job), it only enforces identity (ErrExists, ErrNotFound), references
// (ErrInUse), optimistic concurrency (ErrConflict) and FlexMatch's
// one-active-ticket-per-player rule.
package store
