package matchmaker

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// TestNewConfigurationFormsAtOnce: a configuration created through one
// service (an API process) is taken up by another service's forming loop
// through the bus, while that loop's scan of the store is an hour away.
func TestNewConfigurationFormsAtOnce(t *testing.T) {
	srv := bustest.RunServer(t)
	st := store.NewMemory(store.Options{})
	apiConn, formerConn := bustest.Connect(t, srv, bus.Options{}), bustest.Connect(t, srv, bus.Options{})
	api, err := New(Options{Store: st, Logger: quiet, Bus: apiConn, Publisher: apiConn, FormingDisabled: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	mm, err := New(Options{Store: st, Logger: quiet, Bus: formerConn, Publisher: formerConn,
		Discover: time.Hour, Interval: 20 * time.Millisecond, LeaseTTL: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mm.Close() })
	ctx := context.Background()
	if _, err := api.CreateMatchmakingRuleSet(ctx, &CreateMatchmakingRuleSetInput{Name: "duel", RuleSetBody: duelRules}); err != nil {
		t.Fatal(err)
	}
	timeout, no, mode := 60, false, ModeStandalone
	create := func(name string) {
		t.Helper()
		if _, err := api.CreateMatchmakingConfiguration(ctx, &CreateMatchmakingConfigurationInput{Name: name, RuleSetName: "duel",
			RequestTimeoutSeconds: &timeout, AcceptanceRequired: &no, FlexMatchMode: &mode}); err != nil {
			t.Fatal(err)
		}
	}
	// The first scan, at start, finds "warm": owning it shows the loop runs
	// and follows the bus.
	create("warm")
	runService(t, api)
	runService(t, mm)
	waitOwned(t, mm.former, "warm")

	create("duel")
	waitOwned(t, mm.former, "duel")
	for _, id := range []string{"t1", "t2"} {
		skill := 1000.0
		if _, err := api.StartMatchmaking(ctx, &StartMatchmakingInput{TicketId: id, ConfigurationName: "duel",
			Players: []store.Player{{PlayerId: "player-" + id, PlayerAttributes: map[string]store.AttributeValue{"skill": {N: &skill}}}}}); err != nil {
			t.Fatal(err)
		}
	}
	(&formEnv{t: t, store: st, svc: api}).waitStatus("t1", store.StatusCompleted)

}

// TestConfigurationChangeRereads: a configuration change heard by the former
// makes the loop read its configuration again at its next pass instead of
// forming with the copy it holds until configRefresh: a deleted
// configuration's loop stops and hands its lease back.
func TestConfigurationChangeRereads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newFormEnv(t, store.NewMemory(store.Options{}), ModeStandalone, false)
		w, _ := runWorker(t, formerOptions{Store: e.store, Service: e.svc})
		waitOwned(t, w, "duel")
		// Fake time: the loop has read the configuration in a pass.
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		if err := e.store.DeleteConfiguration(context.Background(), "duel"); err != nil {
			t.Fatal(err)
		}
		w.configurationChanged("duel")
		// Fake time: a few passes, far less than configRefresh.
		time.Sleep(configRefresh / 10)
		synctest.Wait()
		if owned := w.ownedConfigs(); len(owned) != 0 {
			t.Fatalf("former owns %v after its configuration was deleted and the change heard", owned)
		}
	})
}
