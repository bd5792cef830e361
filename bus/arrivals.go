package bus

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
)

// ArrivalSubject is where a matchmaker that does not form a configuration's
// matches announces that new tickets of it arrived:
// matchpoint.v1.arrivals.<configuration>. The payload is empty; publishers
// coalesce (one announcement stands for every ticket since the last one).
func ArrivalSubject(configuration string) (string, error) {
	c, err := named("configuration", configuration)
	if err != nil {
		return "", err
	}
	return join("arrivals", c), nil
}

// PublishArrival announces that tickets of configuration arrived, so that
// the matchmaker forming its matches runs a pass soon.
func (c *Conn) PublishArrival(ctx context.Context, configuration string) error {
	subject, err := ArrivalSubject(configuration)
	return c.publish(ctx, "publish arrival", subject, nil, err)
}

// SubscribeArrivals calls fn with the configuration of every arrival
// announcement, one at a time, until ctx is done or stop is called.
func (c *Conn) SubscribeArrivals(ctx context.Context, fn func(configuration string)) (stop func(), err error) {
	return c.subscribe(ctx, join("arrivals", "*"), "", 1, false, func(m *nats.Msg, _ bool) {
		toks, ok := subjectTokens(m.Subject, "arrivals", 1)
		if !ok {
			c.dropped(m.Subject, fmt.Errorf("%w: not an arrival subject", ErrInvalidName))
			return
		}
		cfg, err := ParseToken(toks[0])
		if err != nil {
			c.dropped(m.Subject, fmt.Errorf("configuration: %w", err))
			return
		}
		fn(cfg)
	})
}
