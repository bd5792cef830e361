// Package player holds the players of a matchmaking ticket as FlexMatch
// shapes them (Player, AttributeValue): plain data, apart from package store
// so that what only reads tickets (matchmaker/forming, matchmaker/simulate)
// does not link the store's Redis client. Package store names them
// store.Player and store.AttributeValue.
package player

// AttributeValue is a typed player attribute, as FlexMatch's AttributeValue:
// exactly one of S (string), N (number), SL (string list) and SDM (string to
// number map) is set.
type AttributeValue struct {
	S   *string            `json:"S,omitempty"`
	N   *float64           `json:"N,omitempty"`
	SL  []string           `json:"SL,omitempty"`
	SDM map[string]float64 `json:"SDM,omitempty"`
}

// Player is one player of a ticket.
type Player struct {
	PlayerId         string                    `json:"PlayerId"`
	PlayerAttributes map[string]AttributeValue `json:"PlayerAttributes,omitempty"`
	Team             string                    `json:"Team,omitempty"`
	LatencyInMs      map[string]int            `json:"LatencyInMs,omitempty"`
}
