// Package matchmaker is the matchmaker's service layer: the Amazon GameLift
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
// The match-forming loop drives the rest of the lifecycle through exported
// hooks: after it claims tickets (store.Claim into ClaimStatus) it calls
// MatchProposed; after placing a match, PlacementSucceeded or
// PlacementFailed; and periodically Sweep, which enforces the request,
// acceptance and placement timeouts.
//
// Every event is appended to the configuration's event log in the store
// (which numbers it), published through a Publisher (a *bus.Conn), POSTed to
// the configuration's NotificationTarget with an HMAC signature, and
// announced to in-process subscribers (Subscribe), which the event streams
// of matchmaker/api use. docs/events.md describes every event.
package matchmaker
