package deploy

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// root is the repository root, relative to this package.
const root = "../.."

// binary is the matchpoint binary TestMain builds.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "deploy-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "matchpoint")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	out, err := exec.CommandContext(ctx, "go", "build", "-o", binary, "github.com/matchpoint-dev/matchpoint/cmd/matchpoint").CombinedOutput()
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "integration/deploy: build cmd/matchpoint: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// flagInfo is one flag as --help shows it.
type flagInfo struct {
	Type    string // "" for a boolean flag
	Default string
	Usage   string
}

// help runs the binary with args and returns what it printed.
func help(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("matchpoint %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// subcommands lists the binary's subcommands from `matchpoint --help`.
func subcommands(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	re := regexp.MustCompile(`^  ([a-z][a-z-]*) +\S`)
	for _, line := range strings.Split(help(t, "--help"), "\n") {
		if m := re.FindStringSubmatch(line); m != nil {
			out[m[1]] = true
		}
	}
	if len(out) == 0 {
		t.Fatal("matchpoint --help lists no command")
	}
	return out
}

var (
	flagLine    = regexp.MustCompile(`^  -([a-z0-9][a-z0-9-]*)(?: (\S+))?$`)
	defaultPart = regexp.MustCompile(`\(default "?([^"]*?)"?\)$`)
)

// flags reads a subcommand's flags from `matchpoint CMD --help`.
func flags(t *testing.T, cmd string) map[string]flagInfo {
	t.Helper()
	out := map[string]flagInfo{}
	var cur string
	sc := bufio.NewScanner(strings.NewReader(help(t, cmd, "--help")))
	for sc.Scan() {
		line := sc.Text()
		if m := flagLine.FindStringSubmatch(line); m != nil {
			cur = m[1]
			out[cur] = flagInfo{Type: m[2]}
			continue
		}
		if cur != "" && strings.HasPrefix(line, "    \t") {
			f := out[cur]
			f.Usage = strings.TrimSpace(f.Usage + " " + strings.TrimSpace(line))
			if m := defaultPart.FindStringSubmatch(f.Usage); m != nil {
				f.Default = m[1]
			}
			out[cur] = f
		}
	}
	if len(out) == 0 {
		t.Fatalf("matchpoint %s --help lists no flag", cmd)
	}
	return out
}

// checkValue reports whether v is a valid value for a flag of type typ.
func checkValue(typ, v string) error {
	var err error
	switch typ {
	case "":
		_, err = strconv.ParseBool(v)
	case "int":
		_, err = strconv.Atoi(v)
	case "uint", "uint64":
		_, err = strconv.ParseUint(v, 10, 64)
	case "duration":
		_, err = time.ParseDuration(v)
	case "float":
		_, err = strconv.ParseFloat(v, 64)
	}
	return err
}

// envFlag turns MATCHPOINT_HTTP_ADDR into http-addr.
func envFlag(env string) (string, bool) {
	rest, ok := strings.CutPrefix(env, "MATCHPOINT_")
	if !ok {
		return "", false
	}
	return strings.ReplaceAll(strings.ToLower(rest), "_", "-"), true
}

// interpolate resolves compose's ${VAR:-default} and ${VAR} as if VAR were
// unset.
func interpolate(s string) string {
	return regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}`).ReplaceAllString(s, "$1")
}

type composeFile struct {
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
	// Extensions are the x- keys (anchors); any other key is a mistake.
	Extensions map[string]any `yaml:",inline"`
}

type service struct {
	Image       string            `yaml:"image"`
	Restart     string            `yaml:"restart"`
	ReadOnly    bool              `yaml:"read_only"`
	Tmpfs       []string          `yaml:"tmpfs"`
	Build       any               `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Ports       []string          `yaml:"ports"`
	Healthcheck *struct {
		Test        []string `yaml:"test"`
		Interval    string   `yaml:"interval"`
		Timeout     string   `yaml:"timeout"`
		Retries     int      `yaml:"retries"`
		StartPeriod string   `yaml:"start_period"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	StopGracePeriod string `yaml:"stop_grace_period"`
}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	if len(c.Services) == 0 {
		t.Fatal("compose.yaml: no services")
	}
	for k := range c.Extensions {
		if !strings.HasPrefix(k, "x-") {
			t.Errorf("compose.yaml: unknown top-level key %q", k)
		}
	}
	return c
}

// port is one published port.
type port struct {
	Host, Container int
	Proto           string
}

func parsePort(s string) (port, error) {
	spec, proto, _ := strings.Cut(s, "/")
	if proto == "" {
		proto = "tcp"
	}
	parts := strings.Split(spec, ":")
	if len(parts) != 2 {
		return port{}, fmt.Errorf("%q: want HOST:CONTAINER[/PROTO]", s)
	}
	h, err1 := strconv.Atoi(parts[0])
	c, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || (proto != "tcp" && proto != "udp") {
		return port{}, fmt.Errorf("%q: want numeric HOST:CONTAINER and tcp or udp", s)
	}
	return port{h, c, proto}, nil
}

// resolved is a matchpoint service's effective settings, the way the binary
// computes them: flags > environment > config file > defaults.
type resolved struct {
	cmd    string
	flags  map[string]flagInfo
	values map[string]string
	source map[string]string
}

// resolve checks and computes the settings of a matchpoint service.
func resolve(t *testing.T, name string, s service, cmds map[string]bool) *resolved {
	t.Helper()
	if len(s.Command) == 0 {
		t.Errorf("%s: no command", name)
		return nil
	}
	cmd := s.Command[0]
	if !cmds[cmd] {
		t.Errorf("%s: %q is not a matchpoint command (have %v)", name, cmd, cmds)
		return nil
	}
	if !slices.Contains([]string{"matchmaker", "relay", "dev"}, cmd) {
		t.Errorf("%s: %q is not a long-running command", name, cmd)
	}
	r := &resolved{cmd: cmd, flags: flags(t, cmd), values: map[string]string{}, source: map[string]string{}}
	for n, f := range r.flags {
		r.values[n], r.source[n] = f.Default, "default"
	}
	set := func(flag, value, from string) {
		f, ok := r.flags[flag]
		if !ok {
			t.Errorf("%s: %s sets %q, which is not a flag of matchpoint %s", name, from, flag, cmd)
			return
		}
		if err := checkValue(f.Type, value); err != nil {
			t.Errorf("%s: %s: %q is not a valid %s for --%s: %v", name, from, value, f.Type, flag, err)
		}
		r.values[flag], r.source[flag] = value, from
	}
	// The command line, parsed as Go's flag package does.
	given := map[string]string{}
	args := s.Command[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			t.Errorf("%s: stray argument %q in the command", name, a)
			continue
		}
		n, v, hasV := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f, ok := r.flags[n]
		if !ok {
			t.Errorf("%s: the command sets --%s, which is not a flag of matchpoint %s", name, n, cmd)
			continue
		}
		if !hasV {
			if f.Type == "" {
				v = "true"
			} else if i+1 < len(args) {
				i++
				v = args[i]
			} else {
				t.Errorf("%s: --%s has no value", name, n)
			}
		}
		given[n] = interpolate(v)
	}
	// The environment: every MATCHPOINT_* must name a flag.
	env := map[string]string{}
	for k, v := range s.Environment {
		flag, ok := envFlag(k)
		if !ok {
			continue
		}
		if _, ok := r.flags[flag]; !ok {
			t.Errorf("%s: environment %s names no flag of matchpoint %s (--%s)", name, k, cmd, flag)
			continue
		}
		env[flag] = interpolate(v)
	}
	// The config file, found through the volumes.
	cfgPath := given["config"]
	if cfgPath == "" {
		cfgPath = env["config"]
	}
	if cfgPath != "" {
		host := ""
		for _, v := range s.Volumes {
			parts := strings.Split(v, ":")
			if len(parts) >= 2 && parts[1] == cfgPath {
				host = parts[0]
			}
		}
		if host == "" {
			t.Errorf("%s: config file %s is not mounted", name, cfgPath)
		} else {
			for k, v := range configKeys(t, filepath.Join(root, host)) {
				set(k, v, "config file "+host)
			}
		}
	}
	for k, v := range env {
		set(k, v, "environment MATCHPOINT_"+strings.ToUpper(strings.ReplaceAll(k, "-", "_")))
	}
	for k, v := range given {
		set(k, v, "command flag --"+k)
	}
	return r
}

// configKeys reads a flat YAML settings file.
func configKeys(t *testing.T, file string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	out := map[string]string{}
	for k, v := range m {
		switch v := v.(type) {
		case []any:
			var parts []string
			for _, p := range v {
				parts = append(parts, fmt.Sprint(p))
			}
			out[k] = strings.Join(parts, ",")
		case map[string]any:
			t.Errorf("%s: key %q: settings files are flat", file, k)
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

// addrPort is the port of a listening-address setting, or 0.
func addrPort(v string) (host string, p int) {
	h, ps, err := net.SplitHostPort(v)
	if err != nil {
		return "", 0
	}
	n, err := strconv.Atoi(ps)
	if err != nil {
		return "", 0
	}
	return h, n
}

func TestComposeServices(t *testing.T) {
	c := readCompose(t)
	cmds := subcommands(t)
	hostPorts := map[string]string{}
	var relayRegions []string
	var queueRegions [][]string
	var homeRegions []string
	counts := map[string]int{}
	for name, s := range c.Services {
		for _, p := range s.Ports {
			pp, err := parsePort(p)
			if err != nil {
				t.Errorf("%s: ports: %v", name, err)
				continue
			}
			key := fmt.Sprintf("%d/%s", pp.Host, pp.Proto)
			if other, dup := hostPorts[key]; dup {
				t.Errorf("host port %s is published by %s and %s", key, other, name)
			}
			hostPorts[key] = name
		}
		for dep, d := range s.DependsOn {
			target, ok := c.Services[dep]
			switch {
			case !ok:
				t.Errorf("%s depends on %q, which is not a service", name, dep)
			case !slices.Contains([]string{"service_started", "service_healthy", "service_completed_successfully"}, d.Condition):
				t.Errorf("%s depends on %s with condition %q", name, dep, d.Condition)
			case d.Condition == "service_healthy" && target.Healthcheck == nil:
				t.Errorf("%s waits for %s to be healthy, which has no healthcheck", name, dep)
			}
		}
		if s.Healthcheck == nil || len(s.Healthcheck.Test) < 2 {
			t.Errorf("%s: no healthcheck", name)
		}
		if !strings.HasPrefix(s.Image, "matchpoint:") {
			counts[strings.SplitN(s.Image, ":", 2)[0]]++
			continue
		}
		if s.Build == nil {
			t.Errorf("%s: a matchpoint service must build the image from the Dockerfile", name)
		}
		r := resolve(t, name, s, cmds)
		if r == nil {
			continue
		}
		counts[r.cmd]++
		checkPorts(t, name, s, r)
		checkHealth(t, name, s, r)
		switch r.cmd {
		case "relay":
			relayRegions = append(relayRegions, r.values["region"])
			if len(s.DependsOn) == 0 {
				t.Errorf("%s: a relay should wait for NATS", name)
			}
		case "matchmaker":
			queueRegions = append(queueRegions, strings.Split(r.values["queue-regions"], ","))
			homeRegions = append(homeRegions, r.values["region"])
			for _, dep := range []string{"redis", "nats-1"} {
				if _, ok := s.DependsOn[dep]; !ok {
					t.Errorf("%s: a matchmaker should depend on %s", name, dep)
				}
			}
			if strings.Contains(r.values["api-key"], "dev-secret") {
				t.Errorf("%s: uses the dev API key", name)
			}
		}
	}
	for what, want := range map[string]int{"redis": 1, "nats": 3, "matchmaker": 2, "relay": 2} {
		if counts[what] != want {
			t.Errorf("compose.yaml runs %d %s, want %d", counts[what], what, want)
		}
	}
	for _, qr := range queueRegions {
		for _, region := range relayRegions {
			if !slices.Contains(qr, region) {
				t.Errorf("relays serve region %q, but a matchmaker's queue-regions are %v: its WITH_QUEUE matches would find no relay", region, qr)
			}
		}
	}
	// A fleet created without Locations is homed in the matchmaker's region
	// (docs/gamesessions.md): without a relay there it never turns ACTIVE.
	for _, home := range homeRegions {
		if !slices.Contains(relayRegions, home) {
			t.Errorf("a matchmaker's region is %q, but relays serve %v: its fleets' home location would have no relay", home, relayRegions)
		}
	}
}

// checkPorts: every published TCP port is a listening address of the
// service, bound to every interface; UDP ports match a UDP flag when the
// binary has one; --public-port is the host side of the players' port.
func checkPorts(t *testing.T, name string, s service, r *resolved) {
	t.Helper()
	listening := map[int]string{}
	for flag, v := range r.values {
		if host, p := addrPort(v); p != 0 && !strings.Contains(v, "://") {
			listening[p] = flag
			if host != "" && host != "0.0.0.0" && host != "::" {
				for _, ps := range s.Ports {
					if pp, err := parsePort(ps); err == nil && pp.Container == p && pp.Proto == "tcp" {
						t.Errorf("%s: --%s listens on %s, unreachable from outside the container", name, flag, v)
					}
				}
			}
		}
	}
	// The fast path listens where a UDP address flag says, by default on the
	// WebSocket listener's port (relay.Options.UDPAddr).
	udpPort, udpFrom := 0, ""
	if r.cmd == "relay" {
		_, udpPort = addrPort(r.values["listen"])
		udpFrom = "--listen (the default UDP address)"
	}
	for flag, v := range r.values {
		if _, p := addrPort(v); p != 0 && strings.Contains(flag, "udp") {
			udpPort, udpFrom = p, "--"+flag
		}
	}
	if r.values["disable-udp"] == "true" {
		udpPort = 0
	}
	for _, ps := range s.Ports {
		pp, err := parsePort(ps)
		if err != nil {
			continue
		}
		switch pp.Proto {
		case "tcp":
			flag, ok := listening[pp.Container]
			if !ok {
				t.Errorf("%s publishes %s, but no setting listens on container port %d (listening: %v)", name, ps, pp.Container, listening)
				continue
			}
			if flag == r.listenFlag() && r.values["public-port"] != "" && r.values["public-port"] != "0" && r.values["public-port"] != strconv.Itoa(pp.Host) {
				t.Errorf("%s: players are told port %s, but --%s is published on host port %d", name, r.values["public-port"], flag, pp.Host)
			}
		case "udp":
			if r.cmd != "relay" {
				t.Errorf("%s publishes UDP port %s, but only relays take UDP", name, ps)
			}
			if udpPort == 0 || pp.Container != udpPort {
				t.Errorf("%s publishes %s, but the fast path listens on UDP port %d (%s)", name, ps, udpPort, udpFrom)
			}
			if pub := r.values["public-udp-port"]; pub != "" && pub != "0" && pub != strconv.Itoa(pp.Host) {
				t.Errorf("%s: players are told UDP port %s, but it is published on host port %d", name, pub, pp.Host)
			}
		}
	}
	if lf := r.listenFlag(); lf != "" {
		_, p := addrPort(r.values[lf])
		published := false
		for _, ps := range s.Ports {
			if pp, err := parsePort(ps); err == nil && pp.Proto == "tcp" && pp.Container == p {
				published = true
			}
		}
		if !published {
			t.Errorf("%s: --%s (%s) is not published", name, lf, r.values[lf])
		}
	}
}

// listenFlag is the flag of the address clients reach the service on.
func (r *resolved) listenFlag() string {
	switch r.cmd {
	case "relay":
		return "listen"
	case "matchmaker", "dev":
		return "http-addr"
	}
	return ""
}

// checkHealth: the healthcheck GETs /healthz or /readyz on a port the service
// listens on, and that flag's --help says it serves that path.
func checkHealth(t *testing.T, name string, s service, r *resolved) {
	t.Helper()
	if s.Healthcheck == nil {
		return
	}
	test := s.Healthcheck.Test
	if len(test) != 3 || test[0] != "CMD" || test[1] != "/healthcheck" {
		t.Errorf("%s: healthcheck %v: want [CMD /healthcheck URL] (the image has no shell)", name, test)
		return
	}
	u, err := url.Parse(test[2])
	if err != nil || u.Scheme != "http" {
		t.Errorf("%s: healthcheck URL %q", name, test[2])
		return
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" {
		t.Errorf("%s: healthcheck probes %s, want the container itself", name, h)
	}
	p, _ := strconv.Atoi(u.Port())
	if u.Path != "/healthz" && u.Path != "/readyz" {
		t.Errorf("%s: healthcheck path %s, want /healthz or /readyz", name, u.Path)
	}
	for flag, v := range r.values {
		if _, fp := addrPort(v); fp == p && !strings.Contains(v, "://") {
			if !strings.Contains(r.flags[flag].Usage, u.Path) {
				t.Errorf("%s: healthcheck GETs %s on --%s, whose help does not say it serves it: %q", name, u.Path, flag, r.flags[flag].Usage)
			}
			return
		}
	}
	t.Errorf("%s: healthcheck port %d is not one the service listens on", name, p)
}

func TestComposeStopGracePeriodCoversDrain(t *testing.T) {
	c := readCompose(t)
	cmds := subcommands(t)
	for name, s := range c.Services {
		if !strings.HasPrefix(s.Image, "matchpoint:") {
			continue
		}
		r := resolve(t, name, s, cmds)
		if r == nil {
			continue
		}
		grace, err := time.ParseDuration(s.StopGracePeriod)
		if err != nil {
			t.Errorf("%s: stop_grace_period %q: %v", name, s.StopGracePeriod, err)
			continue
		}
		drain, _ := time.ParseDuration(r.values["drain-timeout"])
		if grace <= drain {
			t.Errorf("%s: stop_grace_period %v does not exceed --drain-timeout %v: SIGKILL would cut the drain", name, grace, drain)
		}
	}
}

func TestConfigExamples(t *testing.T) {
	for file, cmd := range map[string]string{"deploy/matchmaker.yaml": "matchmaker", "deploy/relay.yaml": "relay"} {
		fl := flags(t, cmd)
		keys := configKeys(t, filepath.Join(root, file))
		if len(keys) == 0 {
			t.Errorf("%s: empty", file)
		}
		for k, v := range keys {
			f, ok := fl[k]
			if !ok || k == "config" {
				t.Errorf("%s: %q is not a flag of matchpoint %s", file, k, cmd)
				continue
			}
			if err := checkValue(f.Type, v); err != nil {
				t.Errorf("%s: %s: %q: %v", file, k, v, err)
			}
			if k == "api-key" || k == "webhook-secret" || k == "redis-password" {
				t.Errorf("%s: holds the secret %s; give it by the environment", file, k)
			}
		}
	}
}

// dockerfile is the Dockerfile as instructions, continuation lines joined.
func dockerfile(t *testing.T) [][2]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var out [][2]string
	var cur string
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur += strings.TrimSuffix(trimmed, "\\") + " "
			continue
		}
		cur += trimmed
		ins, rest, _ := strings.Cut(cur, " ")
		out = append(out, [2]string{strings.ToUpper(ins), strings.TrimSpace(rest)})
		cur = ""
	}
	return out
}

func TestDockerfile(t *testing.T) {
	ins := dockerfile(t)
	var stages []int
	for i, in := range ins {
		if in[0] == "FROM" {
			stages = append(stages, i)
		}
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile: %d stage(s), want a multi-stage build", len(stages))
	}
	if !strings.HasPrefix(ins[stages[0]][1], "golang:1.26") {
		t.Errorf("Dockerfile: builder %q, want golang:1.26", ins[stages[0]][1])
	}
	final := ins[stages[len(stages)-1]:]
	base := final[0][1]
	if !strings.HasPrefix(base, "gcr.io/distroless/static") && base != "scratch" {
		t.Errorf("Dockerfile: final stage %q, want distroless static or scratch", base)
	}
	all := ""
	for _, in := range ins[:stages[len(stages)-1]] {
		all += in[0] + " " + in[1] + "\n"
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", `-ldflags "-s -w -X main.version=`, "./cmd/matchpoint", "./cmd/healthcheck"} {
		if !strings.Contains(all, want) {
			t.Errorf("Dockerfile: the build does not contain %q", want)
		}
	}
	user, entry, cmd := "", "", ""
	var copied []string
	exposed := map[string]bool{}
	for _, in := range final {
		switch in[0] {
		case "USER":
			user = in[1]
		case "ENTRYPOINT":
			entry = in[1]
		case "CMD":
			cmd = in[1]
		case "COPY":
			f := strings.Fields(in[1])
			copied = append(copied, f[len(f)-1])
		case "EXPOSE":
			for _, p := range strings.Fields(in[1]) {
				exposed[p] = true
			}
		}
	}
	if u, _, _ := strings.Cut(user, ":"); user == "" || u == "root" || u == "0" {
		t.Errorf("Dockerfile: USER %q: the process must not run as root", user)
	}
	if entry != `["/matchpoint"]` {
		t.Errorf("Dockerfile: ENTRYPOINT %s, want [\"/matchpoint\"]", entry)
	}
	for _, want := range []string{"/matchpoint", "/healthcheck"} {
		if !slices.Contains(copied, want) {
			t.Errorf("Dockerfile: the final stage does not COPY %s (compose.yaml's healthchecks run it)", want)
		}
	}
	// The ports the binary listens on by default, and the UDP one compose publishes.
	mm, rl := flags(t, "matchmaker"), flags(t, "relay")
	for _, v := range []string{mm["http-addr"].Default, rl["listen"].Default, rl["admin-addr"].Default} {
		if _, p := addrPort(v); !exposed[fmt.Sprintf("%d/tcp", p)] && !exposed[strconv.Itoa(p)] {
			t.Errorf("Dockerfile: port %d (default %s) is not EXPOSEd (%v)", p, v, exposed)
		}
	}
	if _, p := addrPort(rl["listen"].Default); !exposed[fmt.Sprintf("%d/udp", p)] {
		t.Errorf("Dockerfile: the relays' UDP fast path, port %d/udp, is not EXPOSEd", p)
	}
	// The default command runs with real flags.
	var args []string
	if err := yaml.Unmarshal([]byte(cmd), &args); err != nil || len(args) == 0 {
		t.Fatalf("Dockerfile: CMD %s: %v", cmd, err)
	}
	if r := resolve(t, "Dockerfile CMD", service{Command: args}, subcommands(t)); r != nil {
		if host, _ := addrPort(r.values["http-addr"]); host != "0.0.0.0" {
			t.Errorf("Dockerfile: CMD listens on %s, unreachable from outside the container", r.values["http-addr"])
		}
	}
}

func TestDockerignoreKeepsTheBuildInputs(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	needed := []string{"go.mod", "go.sum", "cmd/matchpoint/main.go", "cmd/matchpoint/sample/duel-rules.json",
		"matchmaker/dashboard/static/index.html", "cmd/healthcheck/main.go", "matchmaker/store/store.go", "rules", "relay/server.go", "bus/conn.go", "cmd/internal/cliconfig"}
	for _, line := range strings.Split(string(data), "\n") {
		pat := strings.TrimSpace(line)
		if pat == "" || strings.HasPrefix(pat, "#") || strings.HasPrefix(pat, "!") {
			continue
		}
		pat = strings.TrimPrefix(strings.TrimPrefix(pat, "/"), "**/")
		for _, n := range needed {
			for p := n; p != "." && p != ""; p = path.Dir(p) {
				if ok, _ := path.Match(pat, p); ok {
					t.Errorf(".dockerignore: %q excludes %s, which the build needs", line, n)
				}
				if ok, _ := path.Match(pat, path.Base(p)); ok && strings.Contains(line, "**/") {
					t.Errorf(".dockerignore: %q excludes %s, which the build needs", line, n)
				}
			}
		}
	}
}
