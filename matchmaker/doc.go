// Package matchmaker is the matchmaker: the Amazon GameLift
// FlexMatch operations (rule sets, matchmaking configurations, tickets,
// acceptance, backfill) over a store.Store, the ticket lifecycle with
// FlexMatch's statuses and transitions, and FlexMatch's events.
//
// Service methods take and return GameLift-shaped values (the same field
// names as the GameLift API), so that the HTTP faces in matchmaker/api
// marshal them directly. Every error is an *Error carrying the GameLift
// exception type and a message that names the offending field; a request
// that fails validation writes nothing.
//
// New builds the whole matchmaker; Run runs its machinery until its
// context ends: the forming loop, which owns configurations through leases
// in the store (one owner per configuration across any number of
// processes), sweeps the request, acceptance and placement timeouts, forms
// matches with matchmaker/forming and claims them in the store; the
// placement of WITH_QUEUE matches on relays (Options.Placer, a BusPlacer);
// and, with Options.Bus, the relays' automatic backfill requests.
//
// Every event is appended to the configuration's event log in the store
// (which numbers it), published through a Publisher (a *bus.Conn), POSTed to
// the configuration's NotificationTarget with an HMAC signature, and
// announced to in-process subscribers (Subscribe), which the event streams
// of matchmaker/api use. docs/events.md describes every event.
package matchmaker
