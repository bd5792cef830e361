package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocumentationExamplesValidate checks that every rule set published in
// the FlexMatch documentation parses and compiles unchanged.
func TestDocumentationExamplesValidate(t *testing.T) {
	files, err := filepath.Glob("testdata/examples/*.json")
	if err != nil || len(files) < 12 {
		t.Fatalf("want the 12 documentation examples in testdata/examples, found %d (%v)", len(files), err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			rs, err := CompileJSON(src)
			if strings.Contains(f, "duplicate-keys") {
				if err == nil || !strings.Contains(err.Error(), "duplicate key") {
					t.Fatalf("want a duplicate key error, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("does not validate:\n%v", err)
			}
			if len(rs.Teams()) == 0 {
				t.Fatal("no teams")
			}
		})
	}
}
