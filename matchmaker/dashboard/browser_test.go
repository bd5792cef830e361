package dashboard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker/dashboard"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/storetest"
)

// ScreenshotDirEnv names a directory where TestBrowser copies its
// screenshot, for a person to look at.
const ScreenshotDirEnv = "MATCHPOINT_SCREENSHOT_DIR"

// RequireBrowserEnv, set to 1 (.ci/test.sh does in CI and wherever it
// found or installed chromium), makes TestBrowser fail instead of skip when
// it cannot find or install chromium.
const RequireBrowserEnv = "MATCHPOINT_REQUIRE_BROWSER"

// chromium finds Debian's chromium, installing it with
// .ci/install-chromium.sh when it is missing and this is root; otherwise
// the test skips, saying why, or fails when RequireBrowserEnv is 1.
func chromium(t *testing.T) string {
	t.Helper()
	skip := t.Skipf
	if os.Getenv(RequireBrowserEnv) == "1" {
		skip = t.Fatalf
	}
	find := func() string {
		for _, name := range []string{"chromium", "chromium-browser"} {
			if p, err := exec.LookPath(name); err == nil {
				return p
			}
		}
		return ""
	}
	if p := find(); p != "" {
		return p
	}
	if os.Geteuid() != 0 {
		skip("chromium is not installed and this is not root: run .ci/install-chromium.sh as root (apt-get install chromium) to run the browser test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "../../.ci/install-chromium.sh").CombinedOutput()
	if p := find(); p != "" {
		return p
	}
	skip("chromium is not installed and .ci/install-chromium.sh could not install it (%v): %s", err, out)
	return ""
}

// headless runs chromium with the given extra arguments on url and returns
// its standard output.
func headless(t *testing.T, bin, url string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--hide-scrollbars", "--user-data-dir=" + t.TempDir(), "--window-size=" + windowSize(),
		// Long enough for the page's first refresh and the example run; the
		// budget is virtual time, so it costs little real time.
		"--virtual-time-budget=6000"}, extra...)
	args = append(args, url)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", extra, err, stderr.String())
	}
	return stdout.Bytes()
}

func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("the headless browser test does not run with -short")
	}
	bin := chromium(t)
	start := time.Now()

	live := startLive(t, map[string]float64{"ana": 1000, "bo": 1040, "cy": 3000})
	live.heartbeats(t, bus.Heartbeat{RelayID: "relay-eu-1", Region: "eu-west", Endpoint: bus.Endpoint{IPAddress: "203.0.113.9", TCPPort: 7000},
		MaxSessions: 100, Sessions: 42, Players: 84, IntervalMs: 1000})
	srv, d := probedServer(t, dashboard.Options{Store: live.st, Bus: live.conn, RefreshInterval: 100 * time.Millisecond})
	run(t, d)
	// The page should find the match formed and the relay heard.
	var mb matchesBody
	var rb relaysBody
	storetest.Eventually(t, 10*time.Second, func() string { return fmt.Sprintf("the stack did not settle: %+v %+v", mb, rb) }, func() bool {
		mb, rb = matchesBody{}, relaysBody{}
		call(t, "GET", srv.URL+"/dashboard/api/matches", testSecret, nil, &mb)
		call(t, "GET", srv.URL+"/dashboard/api/relays", testSecret, nil, &rb)
		return len(mb.Matches) == 1 && mb.Matches[0].Status == "SUCCEEDED" && len(rb.Relays) == 1
	})
	url := srv.URL + "/dashboard/#key=" + testSecret + "&example"

	dom := string(headless(t, bin, url, "--dump-dom"))
	for _, want := range []*regexp.Regexp{
		// The queues table, filled in by JavaScript: the configuration and its depth.
		regexp.MustCompile(`<tr data-configuration="duel-ranked"><td><strong>duel-ranked</strong></td><td>duel</td>`),
		regexp.MustCompile(`<span class="depth" data-configuration="duel-ranked">1</span>`),
		regexp.MustCompile(`id="total-searching">1<`),
		// The recent match with its teams and rule metrics.
		regexp.MustCompile(`<article class="match" data-match="[^"]+">.*succeeded.*<dd>(ana|bo)</dd>`),
		regexp.MustCompile(`<strong>CloseSkill</strong> ✓\d+ ✗\d+`),
		// The relay from its heartbeats.
		regexp.MustCompile(`<tr data-relay="relay-eu-1">.*eu-west.*203\.0\.113\.9:7000.*42 / 100.*>up<`),
		// The playground ran the example.
		regexp.MustCompile(`2 match\(es\) from 5 ticket\(s\) with rule set duel`),
		regexp.MustCompile(`<ul class="pg-unmatched"><li><code>t-ed</code>: [^<]+</li></ul>`),
	} {
		if !want.MatchString(dom) {
			t.Errorf("the page does not match %s", want)
		}
	}
	if strings.Contains(dom, `id="key-panel" class="key-panel" aria-labelledby`) && !strings.Contains(dom, `id="key-panel" class="key-panel" hidden`) {
		t.Errorf("the key panel is shown although the key was given")
	}
	layout := readLayout(t, dom)
	checkLayout(t, layout)
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}

	file := filepath.Join(t.TempDir(), "dashboard.png")
	headless(t, bin, url, "--screenshot="+file)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if b, want := img.Bounds(), windowSize(); fmt.Sprintf("%d,%d", b.Dx(), b.Dy()) != want {
		t.Errorf("screenshot is %dx%d, want %s", b.Dx(), b.Dy(), want)
	}
	if n := colours(img, img.Bounds()); n < 8 {
		t.Errorf("the screenshot has %d colours: blank?", n)
	}
	// The screenshot shows the page's own parts where the DOM put them:
	// each part within the window is drawn (text on its background).
	shown := 0
	for _, name := range layoutParts {
		r := layout[name]
		if r == nil || r.Y+r.H > float64(img.Bounds().Dy()) {
			continue
		}
		box := image.Rect(int(r.X), int(r.Y), int(r.X+r.W), int(r.Y+r.H)).Intersect(img.Bounds())
		if n := colours(img, box); n < 3 {
			t.Errorf("the screenshot shows %d colour(s) where the DOM puts %s (%v): not drawn?", n, name, box)
		}
		shown++
	}
	if shown < 3 {
		t.Errorf("only %d of the page's parts are within the screenshot: %+v", shown, layout)
	}
	if dir := os.Getenv(ScreenshotDirEnv); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, "dashboard.png"), data, 0o644); err != nil {
			t.Error(err)
		}
	}
	t.Logf("browser test took %v", time.Since(start).Round(time.Millisecond))
}

// colours counts the distinct colours of img within b, up to 1000.
func colours(img image.Image, b image.Rectangle) int {
	seen := map[[4]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
			if len(seen) >= 1000 {
				return len(seen)
			}
		}
	}
	return len(seen)
}

// WindowSizeEnv overrides the browser window of TestBrowser (default
// 1280,900), to look at the whole page; the size check then follows it.
const WindowSizeEnv = "MATCHPOINT_SCREENSHOT_SIZE"

func windowSize() string {
	if s := os.Getenv(WindowSizeEnv); s != "" {
		return s
	}
	return "1280,900"
}

// layoutProbe is a script the test adds to the dashboard page: it writes the
// page's main parts' boxes (page coordinates, CSS pixels) as JSON into a
// hidden element, again and again, so that --dump-dom carries the layout the
// page has when the browser's time budget ends.
const layoutProbe = `(function () {
  var parts = {header: 'header.top', totals: 'section.tiles', queues: '#queues', matches: '#matches',
    relays: '#relays', playground: '#playground-form', result: '#pg-result', keyPanel: '#key-panel'};
  var probe = document.createElement('pre');
  probe.id = 'layout-probe';
  probe.hidden = true;
  document.body.appendChild(probe);
  function measure() {
    var out = {viewport: {X: 0, Y: 0, W: document.documentElement.clientWidth, H: innerHeight}};
    Object.keys(parts).forEach(function (k) {
      var e = document.querySelector(parts[k]);
      if (!e) { return; }
      var r = e.getBoundingClientRect();
      out[k] = {X: r.left + scrollX, Y: r.top + scrollY, W: r.width, H: r.height};
    });
    probe.textContent = JSON.stringify(out);
  }
  measure();
  setInterval(measure, 200);
})();
`

// probedServer serves a dashboard at /dashboard/ whose page also runs
// layoutProbe (served from the same origin, which the page's
// Content-Security-Policy allows).
func probedServer(t *testing.T, opts dashboard.Options) (*httptest.Server, *dashboard.Dashboard) {
	t.Helper()
	opts.Authorize = dashboard.BearerAuthorizer(map[string]string{"test": testSecret})
	d, err := dashboard.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/dashboard/", d)
	mux.HandleFunc("GET /dashboard/{$}", func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("Accept-Encoding")
		rec := httptest.NewRecorder()
		d.ServeHTTP(rec, r)
		page := rec.Body.String()
		tag := `<script src="/layout-probe.js" defer></script>`
		if !strings.Contains(page, "</head>") {
			t.Errorf("the dashboard page has no </head>: %q", page)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		io.WriteString(w, strings.Replace(page, "</head>", tag+"\n</head>", 1))
	})
	mux.HandleFunc("GET /layout-probe.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		io.WriteString(w, layoutProbe)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, d
}

// box is a part of the page as the layout probe measured it.
type box struct{ X, Y, W, H float64 }

// layoutParts are the page's visible parts, top to bottom.
var layoutParts = []string{"header", "totals", "queues", "matches", "relays", "playground", "result"}

// readLayout reads the layout probe's last measurement out of a DOM dump.
func readLayout(t *testing.T, dom string) map[string]*box {
	t.Helper()
	m := regexp.MustCompile(`<pre id="layout-probe" hidden="">([^<]*)</pre>`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatal("the page carries no layout measurement: did the layout probe run?")
	}
	var layout map[string]*box
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &layout); err != nil {
		t.Fatalf("the layout measurement %q: %v", m[1], err)
	}
	return layout
}

// checkLayout checks that the page's parts were laid out: each visible part
// has a size, fits the window's width and comes below the one before; the
// key panel, not needed since the link carried the key, takes no room.
func checkLayout(t *testing.T, layout map[string]*box) {
	t.Helper()
	vp := layout["viewport"]
	if vp == nil || vp.W <= 0 {
		t.Fatalf("no viewport in the layout: %+v", layout)
	}
	var prev *box
	for _, name := range layoutParts {
		b := layout[name]
		switch {
		case b == nil:
			t.Errorf("the page has no %s", name)
			continue
		case b.W < 1 || b.H < 1:
			t.Errorf("%s is laid out %gx%g: not rendered", name, b.W, b.H)
		case b.X < 0 || b.X+b.W > vp.W+0.5:
			t.Errorf("%s spans x %g to %g, outside the window's width %g", name, b.X, b.X+b.W, vp.W)
		case prev != nil && b.Y < prev.Y+prev.H-0.5:
			t.Errorf("%s starts at y %g, above the end of the part before it (%g)", name, b.Y, prev.Y+prev.H)
		}
		prev = b
	}
	if k := layout["keyPanel"]; k == nil || k.W != 0 || k.H != 0 {
		t.Errorf("the key panel takes room although the key was given: %+v", k)
	}
}
