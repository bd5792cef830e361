package store

import (
	"maps"
	"slices"
)

// clone returns a deep copy of t, sharing nothing mutable with it.
func (t *Ticket) clone() Ticket {
	c := *t
	if t.Players != nil {
		c.Players = make([]Player, len(t.Players))
		for i, p := range t.Players {
			c.Players[i] = clonePlayer(p)
		}
	}
	if t.GameSessionConnectionInfo != nil {
		info := *t.GameSessionConnectionInfo
		info.MatchedPlayerSessions = append([]MatchedPlayerSession(nil), info.MatchedPlayerSessions...)
		c.GameSessionConnectionInfo = &info
	}
	c.Acceptances = maps.Clone(t.Acceptances)
	return c
}

func clonePlayer(p Player) Player {
	c := p
	c.LatencyInMs = maps.Clone(p.LatencyInMs)
	if p.PlayerAttributes != nil {
		c.PlayerAttributes = make(map[string]AttributeValue, len(p.PlayerAttributes))
		for k, v := range p.PlayerAttributes {
			c.PlayerAttributes[k] = cloneAttributeValue(v)
		}
	}
	return c
}

func cloneAttributeValue(v AttributeValue) AttributeValue {
	c := v
	if v.S != nil {
		s := *v.S
		c.S = &s
	}
	if v.N != nil {
		n := *v.N
		c.N = &n
	}
	if v.SL != nil {
		c.SL = append([]string{}, v.SL...)
	}
	c.SDM = maps.Clone(v.SDM)
	return c
}

func (c Configuration) clone() Configuration {
	if c.GameSessionQueueArns != nil {
		c.GameSessionQueueArns = append([]string{}, c.GameSessionQueueArns...)
	}
	if c.GameProperties != nil {
		c.GameProperties = append([]GameProperty{}, c.GameProperties...)
	}
	if c.Regions != nil {
		c.Regions = append([]string{}, c.Regions...)
	}
	return c
}

func (q Queue) clone() Queue {
	if q.Regions != nil {
		q.Regions = append([]string{}, q.Regions...)
	}
	q.Destinations = slices.Clone(q.Destinations)
	q.PlayerLatencyPolicies = slices.Clone(q.PlayerLatencyPolicies)
	q.AllowedLocations = slices.Clone(q.AllowedLocations)
	q.PriorityOrder = slices.Clone(q.PriorityOrder)
	q.LocationOrder = slices.Clone(q.LocationOrder)
	return q
}
