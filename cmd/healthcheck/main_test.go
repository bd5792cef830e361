package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.Error(w, "draining", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{srv.URL + "/readyz"}, 0, ""},
		{[]string{srv.URL + "/other"}, 1, "503"},
		{[]string{"http://127.0.0.1:1/readyz"}, 1, "healthcheck:"},
		{nil, 2, "usage"},
		{[]string{"a", "b"}, 2, "usage"},
		{[]string{"::bad"}, 2, "healthcheck:"},
	} {
		var stderr bytes.Buffer
		if code := run(tc.args, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: %d %q, want %d %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}
