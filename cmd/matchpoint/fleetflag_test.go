package main

import (
	"flag"
	"io"
	"slices"
	"testing"
)

// TestFleetFlag: --fleet repeats and takes comma-separated lists, each id
// once; an empty id is refused.
func TestFleetFlag(t *testing.T) {
	var ids []string
	fs := flag.NewFlagSet("relay", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var(fleetsFlag{&ids}, "fleet", "")
	if err := fs.Parse([]string{"--fleet", "fleet-1,fleet-2", "--fleet", "fleet-3", "--fleet", "fleet-1"}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []string{"fleet-1", "fleet-2", "fleet-3"}) {
		t.Fatalf("fleets %v", ids)
	}
	if err := fs.Parse([]string{"--fleet", "fleet-1,,fleet-2"}); err == nil {
		t.Fatal("an empty fleet id was taken")
	}
}
