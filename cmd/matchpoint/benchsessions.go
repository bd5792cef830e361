package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// benchSessionsFlags are the settings of `bench gamesessions`.
type benchSessionsFlags struct {
	url, region     string
	keyID, secret   string
	fleet           string
	phases          []string
	sessions        int
	rate, workers   int
	duration        time.Duration
	searchSessions  int
	searchRate      int
	filter, sortExp string
	cpu             []cpuSource
}

// metricsURL is the /metrics of the matchmaker the run loads: the API and
// its metrics share an address.
func (b benchSessionsFlags) metricsURL() string { return strings.TrimSuffix(b.url, "/") + "/metrics" }

// benchPhases are the phases of bench gamesessions, in the order they run.
var benchPhases = []string{"create", "players", "search"}

// benchMaxPlayers is the MaximumPlayerSessionCount of the sessions the
// players phase fills (GameLift's most for a Realtime session).
const benchMaxPlayers = 200

// benchPlayersPerCall is how many players each CreatePlayerSessions of the
// players phase reserves.
const benchPlayersPerCall = 4

// benchScript is the Realtime script of the fleet bench gamesessions
// creates when given none: it does nothing, so its sessions last until
// they are terminated, and takes GameLift's most players (200; a Realtime
// script's default is 32).
const benchScript = "exports.ssExports = { configuration: { maxPlayers: 200 }, init: function (rtSession) {} };\n"

func runBenchGameSessions(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench gamesessions", "Measure the game-session control plane of a running matchmaker through the GameLift JSON\nface, as the AWS SDKs call it: CreateGameSession to ACTIVE, CreatePlayerSessions of 4\nplayers at a paced rate, and SearchGameSessions with a filter and a sort over many\nACTIVE sessions; report each one's latency percentiles.", stderr)
	var b benchSessionsFlags
	fs.StringVar(&b.url, "url", "http://127.0.0.1:8080", "matchmaker API URL (the GameLift JSON face is POST /)")
	key := fs.String("api-key", "dev:dev-secret", "API key ID:SECRET, signed with as an AWS access key (Signature Version 4)")
	fs.StringVar(&b.region, "region", defaultRegion, "region of the signature (the matchmaker's --region)")
	fs.StringVar(&b.fleet, "fleet", "", "fleet (id or ARN) to create the sessions in (default: a new fleet running a script that does nothing)")
	phases := fs.String("phases", strings.Join(benchPhases, ","), "comma-separated phases to run: create (CreateGameSession to ACTIVE), players (CreatePlayerSessions), search (SearchGameSessions)")
	fs.IntVar(&b.sessions, "sessions", 200, "create: game sessions to create, one at a time (1 to 10000)")
	fs.IntVar(&b.rate, "rate", 3000, "players: CreatePlayerSessions calls per second to pace (1 to 100000)")
	fs.IntVar(&b.workers, "workers", 64, "players and search: concurrent requests at most; the setup creates sessions min(workers, 16) at a time")
	fs.DurationVar(&b.duration, "duration", 10*time.Second, "players and search: how long each sends (at most 5m)")
	fs.IntVar(&b.searchSessions, "search-sessions", 10000, "search: ACTIVE sessions the fleet holds while searching; the phase creates the missing ones (1 to 100000)")
	fs.IntVar(&b.searchRate, "search-rate", 50, "search: SearchGameSessions calls per second to pace (0: as fast as --workers allow)")
	fs.StringVar(&b.filter, "filter", "hasAvailablePlayerSessions=true AND gameSessionProperties.mode = 'duel'", "search: FilterExpression")
	fs.StringVar(&b.sortExp, "sort", "creationTimeMillis DESC", "search: SortExpression")
	var cf cpuFlags
	cf.register(fs, "call of each phase (e.g. the matchmaker's pid and --cpu-redis redis://127.0.0.1:6379)")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if err := b.check(*key, *phases, &cf); err != nil {
		fmt.Fprintf(stderr, "matchpoint bench gamesessions: %v\n", err)
		return 2
	}
	if err := benchGameSessions(ctx, b, stdout); err != nil {
		fmt.Fprintf(stderr, "matchpoint bench gamesessions: %v\n", err)
		return 1
	}
	return 0
}

// check validates the flags, naming the one at fault, and fills in the
// parsed ones.
func (b *benchSessionsFlags) check(key, phases string, cf *cpuFlags) error {
	var ok bool
	if b.keyID, b.secret, ok = strings.Cut(key, ":"); !ok || b.keyID == "" || b.secret == "" {
		return errors.New("--api-key: want ID:SECRET")
	}
	if _, err := parseBenchURL(b.url); err != nil {
		return err
	}
	b.phases = splitList(phases)
	if len(b.phases) == 0 {
		return fmt.Errorf("--phases: name at least one of %s", strings.Join(benchPhases, ","))
	}
	for _, p := range b.phases {
		if !slices.Contains(benchPhases, p) {
			return fmt.Errorf("--phases: unknown phase %q (want %s)", p, strings.Join(benchPhases, ","))
		}
	}
	switch {
	case b.sessions < 1 || b.sessions > 10000:
		return fmt.Errorf("--sessions: want 1 to 10000, got %d", b.sessions)
	case b.rate < 1 || b.rate > 100000:
		return fmt.Errorf("--rate: want 1 to 100000, got %d", b.rate)
	case b.workers < 1 || b.workers > 4096:
		return fmt.Errorf("--workers: want 1 to 4096, got %d", b.workers)
	case b.duration <= 0 || b.duration > 5*time.Minute:
		return fmt.Errorf("--duration: want (0, 5m], got %s", b.duration)
	case b.searchSessions < 1 || b.searchSessions > 100000:
		return fmt.Errorf("--search-sessions: want 1 to 100000, got %d", b.searchSessions)
	case b.searchRate < 0:
		return fmt.Errorf("--search-rate: want 0 or more, got %d", b.searchRate)
	case strings.TrimSpace(b.filter) == "":
		return errors.New("--filter: want a FilterExpression")
	case strings.TrimSpace(b.sortExp) == "":
		return errors.New("--sort: want a SortExpression")
	}
	var err error
	b.cpu, err = cf.sources()
	return err
}

// benchGameSessions runs the phases b names, in order, and writes each
// one's report to w.
func benchGameSessions(ctx context.Context, b benchSessionsFlags, w io.Writer) error {
	gl, err := newGameLiftConn(b)
	if err != nil {
		return err
	}
	defer gl.close()
	run := rand.Text()[:8]
	fleet := b.fleet
	if fleet == "" {
		if fleet, err = benchFleet(ctx, gl, run); err != nil {
			return err
		}
		fmt.Fprintf(w, "fleet %s (created: no --fleet given; its script matchpoint-bench-%s does nothing)\n", fleet, run)
	} else {
		fmt.Fprintf(w, "fleet %s\n", fleet)
	}
	for _, phase := range benchPhases {
		if !slices.Contains(b.phases, phase) {
			continue
		}
		var err error
		switch phase {
		case "create":
			err = benchCreatePhase(ctx, gl, b, fleet, run, w)
		case "players":
			err = benchPlayersPhase(ctx, b, fleet, run, w)
		case "search":
			err = benchSearchPhase(ctx, gl, b, fleet, run, w)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", phase, err)
		}
	}
	return nil
}

// gameLiftConn is a keep-alive connection to the GameLift JSON 1.1 face:
// each request signed with Signature Version 4, as the AWS SDKs sign it
// (benchSigner).
type gameLiftConn struct {
	conn   benchConn
	signer benchSigner
}

func newGameLiftConn(b benchSessionsFlags) (*gameLiftConn, error) {
	target, err := parseBenchURL(strings.TrimSuffix(b.url, "/") + "/")
	if err != nil {
		return nil, err
	}
	return &gameLiftConn{
		conn:   benchConn{target: target, contentType: gameLiftContentType, keep: true},
		signer: benchSigner{keyID: b.keyID, secret: b.secret, region: b.region, host: target.host, path: target.path},
	}, nil
}

// gameLiftContentType is the GameLift JSON 1.1 protocol's Content-Type.
const gameLiftContentType = "application/x-amz-json-1.1"

// gameLiftError is an error answer of the GameLift face: its exception
// type (or the HTTP status) and message.
type gameLiftError struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
	status  int
}

func (e *gameLiftError) Error() string {
	if e.Type == "" {
		return fmt.Sprintf("HTTP %d", e.status)
	}
	return e.Type + ": " + e.Message
}

// kind is the failure's name in a report: the exception type, or the HTTP
// status without one.
func (e *gameLiftError) kind() string {
	if e.Type == "" {
		return fmt.Sprintf("HTTP %d", e.status)
	}
	return e.Type
}

// do sends one action with body and returns the answer's body, valid until
// the next call; an error answer is a *gameLiftError.
func (g *gameLiftConn) do(action string, body []byte) ([]byte, error) {
	g.conn.header = g.signer.appendHeaders(g.conn.header[:0], action, body, time.Now())
	g.conn.body = body
	status, err := g.conn.post()
	if err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	if status != http.StatusOK {
		e := &gameLiftError{status: status}
		_ = json.Unmarshal(g.conn.resp, e)
		e.Type = e.Type[strings.LastIndexByte(e.Type, '#')+1:]
		return nil, e
	}
	return g.conn.resp, nil
}

// call marshals in, sends it as action and decodes the answer into out
// (when not nil).
func (g *gameLiftConn) call(action string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	resp, err := g.do(action, body)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if out != nil {
		if err := json.Unmarshal(resp, out); err != nil {
			return fmt.Errorf("%s: decode the answer: %w", action, err)
		}
	}
	return nil
}

func (g *gameLiftConn) close() { g.conn.close() }

// failureKind names an error of a call in a report: the exception type, or
// the transport error without the connection's addresses, so that failures
// of one kind count together.
func failureKind(err error) string {
	if e, ok := errors.AsType[*gameLiftError](err); ok {
		return e.kind()
	}
	if e, ok := errors.AsType[*net.OpError](err); ok {
		return "transport: " + e.Op + ": " + e.Err.Error()
	}
	return err.Error()
}

// benchFleet uploads a script that does nothing, creates a fleet running it
// and waits until a relay serves the fleet (ACTIVE).
func benchFleet(ctx context.Context, gl *gameLiftConn, run string) (string, error) {
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	f, err := zw.Create("bench.js")
	if err == nil {
		_, err = f.Write([]byte(benchScript))
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return "", fmt.Errorf("zip the bench script: %w", err)
	}
	var script struct{ Script struct{ ScriptId string } }
	if err := gl.call("CreateScript", map[string]any{"Name": "matchpoint-bench-" + run, "ZipFile": zipped.Bytes()}, &script); err != nil {
		return "", err
	}
	var fleet struct{ FleetAttributes struct{ FleetId string } }
	if err := gl.call("CreateFleet", map[string]any{"Name": "matchpoint-bench-" + run, "ScriptId": script.Script.ScriptId}, &fleet); err != nil {
		return "", err
	}
	id := fleet.FleetAttributes.FleetId
	deadline := time.Now().Add(30 * time.Second)
	for {
		var attrs struct{ FleetAttributes []struct{ Status string } }
		if err := gl.call("DescribeFleetAttributes", map[string]any{"FleetIds": []string{id}}, &attrs); err != nil {
			return "", err
		}
		if len(attrs.FleetAttributes) == 1 && attrs.FleetAttributes[0].Status == "ACTIVE" {
			return id, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("fleet %s is not ACTIVE after 30s: no relay serves it", id)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// benchSession is what the bench reads of a game session answer.
type benchSession struct {
	GameSessionId string
	Status        string
}

// createGameSession creates one game session and waits until it is ACTIVE:
// the answer may say so already, or DescribeGameSessions does later. It
// returns the session's id.
func createGameSession(gl *gameLiftConn, fleet, name, mode string, maxPlayers int) (string, error) {
	in := map[string]any{"FleetId": fleet, "Name": name, "MaximumPlayerSessionCount": maxPlayers,
		"GameProperties": []map[string]string{{"Key": "mode", "Value": mode}}}
	var out struct{ GameSession benchSession }
	if err := gl.call("CreateGameSession", in, &out); err != nil {
		return "", err
	}
	gs := out.GameSession
	deadline := time.Now().Add(10 * time.Second)
	for gs.Status != "ACTIVE" {
		if gs.Status != "ACTIVATING" {
			return "", fmt.Errorf("game session %s is %s, not ACTIVE", gs.GameSessionId, gs.Status)
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("game session %s is not ACTIVE after 10s", gs.GameSessionId)
		}
		var d struct{ GameSessions []benchSession }
		if err := gl.call("DescribeGameSessions", map[string]any{"GameSessionId": gs.GameSessionId}, &d); err != nil {
			return "", err
		}
		if len(d.GameSessions) != 1 {
			return "", fmt.Errorf("DescribeGameSessions of %s: %d sessions", gs.GameSessionId, len(d.GameSessions))
		}
		gs.Status = d.GameSessions[0].Status
	}
	return gs.GameSessionId, nil
}

// benchModes are the mode property of the sessions the bench creates, in
// turn: a filter on 'duel' keeps one in three.
var benchModes = []string{"duel", "ffa", "team"}

// benchCreatePhase creates b.sessions game sessions one at a time and
// reports the time from each CreateGameSession to its session ACTIVE.
func benchCreatePhase(ctx context.Context, gl *gameLiftConn, b benchSessionsFlags, fleet, run string, w io.Writer) error {
	cpu := startCPU(ctx, b.cpu)
	start := time.Now()
	lat := make([]time.Duration, 0, b.sessions)
	failed := map[string]int64{}
	for i := range b.sessions {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		t0 := time.Now()
		if _, err := createGameSession(gl, fleet, fmt.Sprintf("bench-%s-c%d", run, i), benchModes[i%len(benchModes)], 8); err != nil {
			failed[failureKind(err)]++
			continue
		}
		lat = append(lat, time.Since(t0))
	}
	res := benchResult{unit: "sessions", elapsed: time.Since(start), sent: int64(b.sessions), accepted: int64(len(lat)), failed: failed}
	res.p50, res.p90, res.p99, res.max = percentiles(lat)
	phaseReport(w, "create (CreateGameSession to ACTIVE, one at a time)", res)
	if line := cpu.report(ctx, res.accepted, "session"); line != "" {
		fmt.Fprintln(w, prefixLines("create: ", line))
	}
	return nil
}

// phaseReport writes a phase's result, each line prefixed with the phase.
func phaseReport(w io.Writer, phase string, res benchResult) {
	name, _, _ := strings.Cut(phase, " ")
	fmt.Fprintf(w, "%s:\n%s\n", phase, prefixLines(name+": ", res.String()))
}

func prefixLines(prefix, s string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// createSessions creates n game sessions of maxPlayers, up to workers at a
// time, and returns their ids; mode(i) is the i-th one's mode property.
func createSessions(ctx context.Context, b benchSessionsFlags, fleet, name string, n, maxPlayers int) ([]string, error) {
	workers := min(b.workers, 16, n)
	ids := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for k := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gl, err := newGameLiftConn(b)
			if err != nil {
				errs[k] = err
				return
			}
			defer gl.close()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				if ids[i], err = createGameSession(gl, fleet, fmt.Sprintf("%s-%d", name, i), benchModes[i%len(benchModes)], maxPlayers); err != nil {
					errs[k] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return ids, ctx.Err()
}

// benchPlayersPhase creates the sessions the run needs (not timed), then
// sends CreatePlayerSessions of 4 new players each, paced at b.rate for
// b.duration, round-robin over the sessions so that none fills: each takes
// benchMaxPlayers/4 calls at most.
func benchPlayersPhase(ctx context.Context, b benchSessionsFlags, fleet, run string, w io.Writer) error {
	calls := int(float64(b.rate)*b.duration.Seconds()) + 1
	perSession := benchMaxPlayers / benchPlayersPerCall
	n := (calls + perSession - 1) / perSession
	t0 := time.Now()
	ids, err := createSessions(ctx, b, fleet, "bench-"+run+"-p", n, benchMaxPlayers)
	if err != nil {
		return fmt.Errorf("create the sessions to fill: %w", err)
	}
	fmt.Fprintf(w, "players: %d sessions of %d players created in %s for %d calls at most\n", n, benchMaxPlayers, time.Since(t0).Round(time.Millisecond), calls)
	probe := startPhaseProbe(ctx, b.metricsURL(), "gamelift", "CreatePlayerSessions")
	cpu := startCPU(ctx, b.cpu)
	res := runPaced(ctx, b.duration, b.workers, b.rate, func() benchRequest {
		gl, err := newGameLiftConn(b)
		if err != nil {
			return benchRequest{close: func() {}, do: func(int64) string { return err.Error() }}
		}
		var body []byte
		return benchRequest{close: gl.close, do: func(i int64) string {
			body = fmt.Appendf(body[:0], `{"GameSessionId":%q,"PlayerIds":[`, ids[int(i-1)%len(ids)])
			for j := range benchPlayersPerCall {
				if j > 0 {
					body = append(body, ',')
				}
				body = fmt.Appendf(body, `"bench-%s-%d-%d"`, run, i, j)
			}
			body = append(body, "]}"...)
			if _, err := gl.do("CreatePlayerSessions", body); err != nil {
				return failureKind(err)
			}
			return ""
		}}
	})
	res.unit = "calls"
	phaseReport(w, fmt.Sprintf("players (CreatePlayerSessions of %d players, paced at %d/s, %d workers)", benchPlayersPerCall, b.rate, b.workers), res)
	handler, process := probe.report(ctx, res.accepted, "call")
	fmt.Fprintln(w, "players: "+handler)
	fmt.Fprintln(w, "players: "+process)
	if line := cpu.report(ctx, res.accepted, "call"); line != "" {
		fmt.Fprintln(w, prefixLines("players: ", line))
	}
	return nil
}

// activeSessions counts the fleet's ACTIVE game sessions.
func activeSessions(gl *gameLiftConn, fleet string) (int, error) {
	total, token := 0, ""
	for {
		in := map[string]any{"FleetId": fleet, "StatusFilter": "ACTIVE", "Limit": 1000}
		if token != "" {
			in["NextToken"] = token
		}
		var out struct {
			GameSessions []json.RawMessage
			NextToken    string
		}
		if err := gl.call("DescribeGameSessions", in, &out); err != nil {
			return 0, err
		}
		total += len(out.GameSessions)
		if out.NextToken == "" {
			return total, nil
		}
		token = out.NextToken
	}
}

// benchSearchPhase creates game sessions until the fleet holds
// b.searchSessions ACTIVE ones (not timed), then sends SearchGameSessions
// with the filter and sort, 20 results at most, paced at b.searchRate for
// b.duration.
func benchSearchPhase(ctx context.Context, gl *gameLiftConn, b benchSessionsFlags, fleet, run string, w io.Writer) error {
	have, err := activeSessions(gl, fleet)
	if err != nil {
		return err
	}
	t0 := time.Now()
	if missing := b.searchSessions - have; missing > 0 {
		if _, err := createSessions(ctx, b, fleet, "bench-"+run+"-s", missing, 8); err != nil {
			return fmt.Errorf("create the sessions to search: %w", err)
		}
	}
	if have, err = activeSessions(gl, fleet); err != nil {
		return err
	}
	fmt.Fprintf(w, "search: %d ACTIVE sessions in the fleet (created the missing ones in %s)\n", have, time.Since(t0).Round(time.Millisecond))
	body, err := json.Marshal(map[string]any{"FleetId": fleet, "FilterExpression": b.filter, "SortExpression": b.sortExp, "Limit": 20})
	if err != nil {
		return err
	}
	// The first search of a fleet in a matchmaker reads all its sessions
	// (the copy later searches bring up to date): timed apart.
	t0 = time.Now()
	if _, err := gl.do("SearchGameSessions", body); err != nil {
		return fmt.Errorf("first search: %w", err)
	}
	fmt.Fprintf(w, "search: the first search (it loads the fleet's copy) took %s\n", time.Since(t0).Round(time.Millisecond))
	var found atomic.Int64
	probe := startPhaseProbe(ctx, b.metricsURL(), "gamelift", "SearchGameSessions")
	cpu := startCPU(ctx, b.cpu)
	res := runPaced(ctx, b.duration, b.workers, b.searchRate, func() benchRequest {
		gl, err := newGameLiftConn(b)
		if err != nil {
			return benchRequest{close: func() {}, do: func(int64) string { return err.Error() }}
		}
		return benchRequest{close: gl.close, do: func(int64) string {
			resp, err := gl.do("SearchGameSessions", body)
			if err != nil {
				return failureKind(err)
			}
			var out struct{ GameSessions []json.RawMessage }
			if err := json.Unmarshal(resp, &out); err != nil {
				return "decode: " + err.Error()
			}
			found.Add(int64(len(out.GameSessions)))
			return ""
		}}
	})
	res.unit = "searches"
	phaseReport(w, fmt.Sprintf("search (SearchGameSessions %q sorted %q, Limit 20, paced at %d/s)", b.filter, b.sortExp, b.searchRate), res)
	handler, process := probe.report(ctx, res.accepted, "search")
	fmt.Fprintln(w, "search: "+handler)
	fmt.Fprintln(w, "search: "+process)
	if res.accepted > 0 {
		fmt.Fprintf(w, "search: %.1f sessions per answer\n", float64(found.Load())/float64(res.accepted))
	}
	if line := cpu.report(ctx, res.accepted, "search"); line != "" {
		fmt.Fprintln(w, prefixLines("search: ", line))
	}
	return nil
}
