package dashboard_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/dashboard"
)

// ScreenshotDirEnv names a directory where TestBrowser copies its
// screenshot, for a person to look at.
const ScreenshotDirEnv = "MATCHPOINT_SCREENSHOT_DIR"

// chromium finds Debian's chromium, installing it with
// scripts/install-chromium.sh when it is missing and this is root; otherwise
// the test skips, saying why.
func chromium(t *testing.T) string {
	t.Helper()
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
		t.Skip("chromium is not installed and this is not root: run scripts/install-chromium.sh as root (apt-get install chromium) to run the browser test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "../scripts/install-chromium.sh").CombinedOutput()
	if p := find(); p != "" {
		return p
	}
	t.Skipf("chromium is not installed and scripts/install-chromium.sh could not install it (%v): %s", err, out)
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
	srv, d := server(t, dashboard.Options{Store: live.st, Bus: live.conn, RefreshInterval: 100 * time.Millisecond})
	run(t, d)
	// The page should find the match formed and the relay heard.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var mb matchesBody
		var rb relaysBody
		call(t, "GET", srv.URL+"/dashboard/api/matches", testSecret, nil, &mb)
		call(t, "GET", srv.URL+"/dashboard/api/relays", testSecret, nil, &rb)
		if len(mb.Matches) == 1 && mb.Matches[0].Status == "SUCCEEDED" && len(rb.Relays) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stack did not settle: %+v %+v", mb, rb)
		}
		time.Sleep(20 * time.Millisecond)
	}
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
	if n := colours(img); n < 8 {
		t.Errorf("the screenshot has %d colours: blank?", n)
	}
	if dir := os.Getenv(ScreenshotDirEnv); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, "dashboard.png"), data, 0o644); err != nil {
			t.Error(err)
		}
	}
	t.Logf("browser test took %v", time.Since(start).Round(time.Millisecond))
}

// colours counts the distinct colours of img, up to 1000.
func colours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
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
