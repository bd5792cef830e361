package bus

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
)

// PublishConfigurationChanged announces m on ConfigurationSubject(m.Name).
func (c *Conn) PublishConfigurationChanged(ctx context.Context, m ConfigurationChanged) error {
	op := "publish configuration change " + m.Name
	subject, err := ConfigurationSubject(m.Name)
	if err != nil {
		return fmt.Errorf("bus: %s: %w", op, err)
	}
	data, err := m.Encode()
	return c.publish(ctx, op, subject, data, err)
}

// SubscribeConfigurationChanges calls fn with every announced change to
// configuration name (every configuration when it is empty), one at a time,
// until ctx is done or stop is called. Announcements are not stored: a
// subscriber reads the configurations from the store when it starts, and
// again now and then, to catch the ones it missed.
func (c *Conn) SubscribeConfigurationChanges(ctx context.Context, name string, fn func(ConfigurationChanged)) (stop func(), err error) {
	subject, err := ConfigurationFilter(name)
	if err != nil {
		return nil, fmt.Errorf("bus: subscribe configuration changes: %w", err)
	}
	return c.subscribe(ctx, subject, "", 1, false, func(m *nats.Msg, _ bool) {
		cc, err := DecodeConfigurationChanged(m.Data)
		if err != nil {
			c.dropped(m.Subject, err)
			return
		}
		fn(cc)
	})
}
