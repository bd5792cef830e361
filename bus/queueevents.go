package bus

import "context"

// QueueEventSubject is where the matchmaker publishes a game session
// placement event of eventType (such as PlacementFulfilled) for a game
// session queue: matchpoint.v1.queue.<queue>.<eventType>.
func QueueEventSubject(queue, eventType string) (string, error) {
	q, err := named("queue", queue)
	if err != nil {
		return "", err
	}
	t, err := named("eventType", eventType)
	if err != nil {
		return "", err
	}
	return join("queue", q, t), nil
}

// PublishQueueEvent publishes a game session placement event of eventType
// for queue on QueueEventSubject. data is the matchmaker's own encoding of
// the event; the bus does not look into it.
func (c *Conn) PublishQueueEvent(ctx context.Context, queue, eventType string, data []byte) error {
	subject, err := QueueEventSubject(queue, eventType)
	return c.publish(ctx, "publish queue event", subject, data, err)
}
