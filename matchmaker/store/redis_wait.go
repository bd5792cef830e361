package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// defaultWaitTimeout bounds a WAIT when Options.WaitTimeout is zero.
const defaultWaitTimeout = time.Second

// runWrite runs the writing script s like s.Run. With Options.WaitReplicas on
// a single server (not a Cluster), the script and a WAIT go in one pipeline,
// so on one connection, and the write fails with ErrNotReplicated when fewer
// replicas than asked acknowledged it within Options.WaitTimeout. The write
// is then applied on the primary but not confirmed durable: the caller sees
// an error and may retry.
func (r *Redis) runWrite(ctx context.Context, c redis.Scripter, s *redis.Script, keys []string, args ...any) *redis.Cmd {
	if !r.waits() {
		return s.Run(ctx, c, keys, args...)
	}
	var cmd *redis.Cmd
	err := r.pipeWait(ctx, func(p redis.Pipeliner) { cmd = s.EvalSha(ctx, p, keys, args...) })
	if cmd != nil && redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
		err = r.pipeWait(ctx, func(p redis.Pipeliner) { cmd = s.Eval(ctx, p, keys, args...) })
	}
	if err != nil && cmd.Err() == nil {
		cmd.SetErr(err)
	}
	return cmd
}

// hSetNXWrite is HSETNX with the replication wait of runWrite; a field that
// exists already is reported as such, whatever the wait found.
func (r *Redis) hSetNXWrite(ctx context.Context, key, field string, value []byte) (bool, error) {
	if !r.waits() {
		return r.c.HSetNX(ctx, key, field, value).Result()
	}
	var cmd *redis.BoolCmd
	err := r.pipeWait(ctx, func(p redis.Pipeliner) { cmd = p.HSetNX(ctx, key, field, value) })
	if cmd.Err() != nil || !cmd.Val() {
		return false, cmd.Err()
	}
	return true, err
}

// setWrite is SET with args and the replication wait of runWrite; a SET NX
// that finds the key is redis.Nil, whatever the wait found.
func (r *Redis) setWrite(ctx context.Context, key string, value []byte, args redis.SetArgs) error {
	if !r.waits() {
		return r.c.SetArgs(ctx, key, value, args).Err()
	}
	var cmd *redis.StatusCmd
	err := r.pipeWait(ctx, func(p redis.Pipeliner) { cmd = p.SetArgs(ctx, key, value, args) })
	if cmd.Err() != nil {
		return cmd.Err()
	}
	return err
}

func (r *Redis) waits() bool { return r.opts.WaitReplicas > 0 && r.oneServer }

// pipeWait sends the commands add queues, then WAIT, in one pipeline. It
// returns ErrNotReplicated when the writes reached fewer replicas than
// Options.WaitReplicas in time; the commands' own errors stay in their Cmds.
func (r *Redis) pipeWait(ctx context.Context, add func(redis.Pipeliner)) error {
	timeout := r.opts.WaitTimeout
	if timeout <= 0 {
		timeout = defaultWaitTimeout
	}
	pipe := r.c.Pipeline()
	add(pipe)
	wait := pipe.Do(ctx, "wait", r.opts.WaitReplicas, timeout.Milliseconds())
	_, _ = pipe.Exec(ctx)
	acked, err := wait.Int()
	if err != nil {
		return fmt.Errorf("wait for %d replicas: %w", r.opts.WaitReplicas, err)
	}
	if acked < r.opts.WaitReplicas {
		return fmt.Errorf("%w: %d of %d replicas acknowledged the write within %s", ErrNotReplicated, acked, r.opts.WaitReplicas, timeout)
	}
	return nil
}
