package bus

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

// PlacementCancel withdraws the tries of a match's placement that got no
// answer in time, so that a retry through the queue group, which may land on
// another relay, does not leave a second game session. Every relay of the
// region receives it (plain publish, no queue group). Subject
// PlacementCancelSubject(Region).
type PlacementCancel struct {
	V       int    `json:"v"`
	MatchID string `json:"matchId"`
	Region  string `json:"region"`
	// Attempt is the last try cancelled: requests of this match id whose
	// Attempt is at most this one. A session created for a later try stays.
	Attempt int `json:"attempt"`
	// Deadline is the deadline of the cancelled requests: after it no relay
	// creates a session for them, so a relay forgets the cancellation then.
	Deadline time.Time `json:"deadline"`
}

func (m *PlacementCancel) ver() *int { return &m.V }

func (m *PlacementCancel) validate(c *check) {
	c.required("matchId", m.MatchID)
	c.name("region", m.Region)
	if m.Attempt < 1 {
		c.fail("attempt", "must be at least 1")
	}
	c.time("deadline", m.Deadline)
}

// Encode validates m and returns its JSON, with V set to Version when zero.
func (m PlacementCancel) Encode() ([]byte, error) { return encode(m) }

// DecodePlacementCancel parses and validates a PlacementCancel.
func DecodePlacementCancel(data []byte) (PlacementCancel, error) {
	return decode[PlacementCancel](data)
}

// PlacementCancelSubject is where the placement cancellations of region go:
// matchpoint.v1.placement_cancel.<region>.
func PlacementCancelSubject(region string) (string, error) {
	r, err := named("region", region)
	if err != nil {
		return "", err
	}
	return join("placement_cancel", r), nil
}

// PublishPlacementCancel publishes m to every relay of m.Region.
func (c *Conn) PublishPlacementCancel(ctx context.Context, m PlacementCancel) error {
	op := "publish placement cancel " + m.MatchID + " attempt " + strconv.Itoa(m.Attempt)
	subject, err := PlacementCancelSubject(m.Region)
	if err != nil {
		return fmt.Errorf("bus: %s: %w", op, err)
	}
	data, err := m.Encode()
	return c.publish(ctx, op, subject, data, err)
}

// ServePlacementCancels calls fn with every placement cancellation of region,
// up to Options.MaxInFlight at a time, until ctx is done or stop is called;
// stop returns once every call has returned. Cancellations that do not
// decode or name another region are dropped and reported to
// Options.OnDecodeError (or logged).
func (c *Conn) ServePlacementCancels(ctx context.Context, region string, fn func(PlacementCancel)) (stop func(), err error) {
	subject, err := PlacementCancelSubject(region)
	if err != nil {
		return nil, fmt.Errorf("bus: serve placement cancels: %w", err)
	}
	return c.subscribe(ctx, subject, "", c.opts.MaxInFlight, false, func(m *nats.Msg, _ bool) {
		pc, err := DecodePlacementCancel(m.Data)
		if err == nil && pc.Region != region {
			err = &FieldError{Type: "PlacementCancel", Field: "region", Reason: fmt.Sprintf("region %q sent to the relays of %q", pc.Region, region)}
		}
		if err != nil {
			c.dropped(m.Subject, err)
			return
		}
		fn(pc)
	})
}
