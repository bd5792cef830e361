// Package bustest starts real NATS servers for tests: one embedded server per
// test, shut down by t.Cleanup, and connections to it closed the same way.
package bustest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/embedded"
)

const startTimeout = 10 * time.Second

// RunServer starts an embedded NATS server (loopback, random port, no
// JetStream) for the test and shuts it down when the test ends.
func RunServer(t testing.TB) *embedded.Server {
	t.Helper()
	return run(t, embedded.Options{})
}

// RunJetStreamServer is RunServer with JetStream enabled, storing under a
// directory of the test's own.
func RunJetStreamServer(t testing.TB) *embedded.Server {
	t.Helper()
	return run(t, embedded.Options{JetStream: true, StoreDir: t.TempDir()})
}

func run(t testing.TB, o embedded.Options) *embedded.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	e, err := embedded.Run(ctx, o)
	if err != nil {
		t.Fatalf("start embedded NATS: %v", err)
	}
	t.Cleanup(e.Shutdown)
	return e
}

// Connect opens a bus.Conn to e for the test and closes it when the test ends.
// opts may be the zero value.
func Connect(t testing.TB, e *embedded.Server, opts bus.Options) *bus.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if opts.Name == "" {
		opts.Name = t.Name()
	}
	c, err := bus.Connect(ctx, e.URL(), opts)
	if err != nil {
		t.Fatalf("connect to embedded NATS: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// ConnectNATS opens a plain NATS connection to e for the test, for sending
// what a bus.Conn never sends (malformed payloads, hand-made subjects), and
// closes it when the test ends.
func ConnectNATS(t testing.TB, e *embedded.Server) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(e.URL(), nats.Name(t.Name()))
	if err != nil {
		t.Fatalf("connect to embedded NATS: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// StoreScriptUnannounced stores source as version of name in e's script
// buckets (bus.DefaultScriptBucket and bus.DefaultScriptIndexBucket, which
// must exist: open a bus.ScriptStore first) as bus.ScriptStore.Upload would,
// but without announcing it, as when the announcement is lost.
func StoreScriptUnannounced(t testing.TB, e *embedded.Server, name string, version int, source []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	js, err := jetstream.New(ConnectNATS(t, e))
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	tok, err := bus.Token(name)
	if err != nil {
		t.Fatalf("script name: %v", err)
	}
	sum := sha256.Sum256(source)
	digest := hex.EncodeToString(sum[:])
	obj, err := js.ObjectStore(ctx, bus.DefaultScriptBucket)
	if err != nil {
		t.Fatalf("script object store: %v", err)
	}
	if _, err := obj.PutBytes(ctx, tok+"/"+digest, source); err != nil {
		t.Fatalf("store script source: %v", err)
	}
	kv, err := js.KeyValue(ctx, bus.DefaultScriptIndexBucket)
	if err != nil {
		t.Fatalf("script index bucket: %v", err)
	}
	data, err := bus.ScriptVersion{Name: name, Version: int64(version), SHA256: digest, Size: int64(len(source)),
		Bucket: bus.DefaultScriptBucket, Object: tok + "/" + digest, CreatedAt: time.Now()}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Create(ctx, tok+"."+strconv.Itoa(version), data); err != nil {
		t.Fatalf("store script version %d: %v", version, err)
	}
}
