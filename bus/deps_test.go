package bus_test

import (
	"os/exec"
	"strings"
	"testing"
)

// goList runs `go list` with args from this package's directory and returns its
// output lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return strings.Fields(string(out))
}

// TestOnlyBusImportsNATS: bus does not link the NATS server (bus/embedded
// does), and no package of the module outside bus imports a NATS package, in
// its code or its tests.
func TestOnlyBusImportsNATS(t *testing.T) {
	for _, dep := range goList(t, "-deps", ".") {
		if strings.HasPrefix(dep, "github.com/nats-io/nats-server") {
			t.Errorf("bus links %s", dep)
		}
	}
	const module = "github.com/matchpoint-dev/matchpoint/"
	for _, line := range goList(t, "-f", `{{range .Imports}}{{$.ImportPath}}>{{.}} {{end}}{{range .TestImports}}{{$.ImportPath}}>{{.}} {{end}}{{range .XTestImports}}{{$.ImportPath}}>{{.}} {{end}}`, "../...") {
		pkg, imp, _ := strings.Cut(line, ">")
		if !strings.HasPrefix(imp, "github.com/nats-io/") {
			continue
		}
		if pkg != module+"bus" && !strings.HasPrefix(pkg, module+"bus/") {
			t.Errorf("%s imports %s: only bus talks to NATS", pkg, imp)
		}
	}
}
