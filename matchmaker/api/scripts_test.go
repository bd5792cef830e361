package api

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/relay/script"
)

var _ Scripts = (*bus.ScriptStore)(nil)

const (
	goodScript   = "exports.ssExports = {\n  init: function (s) {},\n};\n"
	syntaxScript = "exports.ssExports = {\n  onMessage: function (m) {\n    if (m.opCode === ) {}\n  }\n};"
)

// scriptServer serves the API with a script registry on an embedded NATS
// server with JetStream, which the service's ScriptExists reads as cmd wires
// it.
func scriptServer(t *testing.T) *server {
	t.Helper()
	nats := bustest.RunJetStreamServer(t)
	conn := bustest.Connect(t, nats, bus.Options{})
	reg, err := bus.NewScriptStore(t.Context(), conn, bus.ScriptStoreOptions{Check: script.Check})
	if err != nil {
		t.Fatal(err)
	}
	st := store.NewMemory(store.Options{})
	svc, err := matchmaker.New(matchmaker.Options{Store: st, Logger: quiet(), Region: "us-east-1", AccountID: "123456789012",
		ScriptExists: reg.Exists})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	srv := httptest.NewServer(New(svc, map[string]string{keyID: keySecret}, quiet(), WithScripts(reg)))
	t.Cleanup(srv.Close)
	return &server{Server: srv, svc: svc, st: st}
}

// upload POSTs body to /v1/scripts/{name} with contentType.
func (s *server) upload(t *testing.T, name, contentType string, body []byte) (int, []byte) {
	t.Helper()
	return s.doType(t, "POST", "/v1/scripts/"+name, contentType, body)
}

type scriptJSON struct {
	Name         string
	Version      int64
	Label        string
	SHA256       string
	Size         int64
	CreationTime float64
}

func decodeScript(t *testing.T, b []byte) scriptJSON {
	t.Helper()
	var out struct{ Script scriptJSON }
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return out.Script
}

func decodeScripts(t *testing.T, b []byte) []scriptJSON {
	t.Helper()
	var out struct{ Scripts []scriptJSON }
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return out.Scripts
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestScriptsREST(t *testing.T) {
	s := scriptServer(t)
	v2 := goodScript + "// two\n"
	v3 := goodScript + "// three\n"
	for i, up := range []struct{ contentType, body, source string }{
		{"application/javascript", goodScript, goodScript},
		{"application/json; charset=utf-8", `{"Source": ` + jsonString(v2) + `}`, v2},
		{"application/x-www-form-urlencoded", v3, v3}, // curl --data-binary's default
	} {
		status, b := s.upload(t, "ctf", up.contentType, []byte(up.body))
		if status != http.StatusCreated {
			t.Fatalf("upload %d (%s): %d %s", i+1, up.contentType, status, b)
		}
		got := decodeScript(t, b)
		if got.Name != "ctf" || got.Version != int64(i+1) || got.SHA256 != sha(up.source) || got.Size != int64(len(up.source)) ||
			time.Since(time.UnixMilli(int64(got.CreationTime*1000))) > time.Minute {
			t.Fatalf("upload %d: %+v", i+1, got)
		}
	}
	if status, b := s.upload(t, "dm", "text/plain", []byte(goodScript)); status != http.StatusCreated {
		t.Fatalf("upload dm: %d %s", status, b)
	}

	list := decodeScripts(t, s.must(t, "GET", "/v1/scripts", "", http.StatusOK))
	if len(list) != 2 || list[0].Name != "ctf" || list[0].Version != 3 || list[0].SHA256 != sha(v3) || list[1].Name != "dm" || list[1].Version != 1 {
		t.Fatalf("list %+v", list)
	}
	if got := decodeScript(t, s.must(t, "GET", "/v1/scripts/ctf", "", http.StatusOK)); got.Version != 3 || got.SHA256 != sha(v3) {
		t.Fatalf("newest ctf %+v", got)
	}
	if got := decodeScript(t, s.must(t, "GET", "/v1/scripts/ctf?version=2", "", http.StatusOK)); got.Version != 2 || got.SHA256 != sha(v2) {
		t.Fatalf("ctf version 2 %+v", got)
	}
	versions := decodeScripts(t, s.must(t, "GET", "/v1/scripts/ctf/versions", "", http.StatusOK))
	if len(versions) != 3 || versions[0].Version != 1 || versions[2].Version != 3 || versions[0].SHA256 != sha(goodScript) {
		t.Fatalf("versions %+v", versions)
	}
	for _, c := range []struct {
		path   string
		status int
		msg    string
	}{
		{"/v1/scripts/nope", http.StatusNotFound, `name: script "nope" does not exist`},
		{"/v1/scripts/nope/versions", http.StatusNotFound, `name: script "nope" does not exist`},
		{"/v1/scripts/ctf?version=7", http.StatusNotFound, `version: script "ctf" has no version 7 (newest 3)`},
		{"/v1/scripts/ctf?version=x", http.StatusBadRequest, `version: want a positive integer, got "x"`},
		{"/v1/scripts/ctf?version=0", http.StatusBadRequest, `version: want a positive integer, got "0"`},
	} {
		status, b := s.do(t, "GET", c.path, "")
		var e restError
		if err := json.Unmarshal(b, &e); err != nil || status != c.status || e.Error.Message != c.msg {
			t.Errorf("GET %s: %d %s, want %d %q", c.path, status, b, c.status, c.msg)
		}
	}
}

// TestScriptsRESTNamesAndDelete: the REST routes take a script's name, id or
// ARN; DELETE removes every version, refused while a configuration or fleet
// uses the script.
func TestScriptsRESTNamesAndDelete(t *testing.T) {
	s := scriptServer(t)
	if status, b := s.upload(t, "ctf", "application/javascript", []byte(goodScript)); status != http.StatusCreated {
		t.Fatalf("upload: %d %s", status, b)
	}
	// An upload to the id adds a version of the name.
	status, b := s.upload(t, "script-ctf", "application/javascript", []byte(goodScript+"//2"))
	if got := decodeScript(t, b); status != http.StatusCreated || got.Name != "ctf" || got.Version != 2 {
		t.Fatalf("upload to the id: %d %+v", status, got)
	}
	arn := url.PathEscape("arn:aws:gamelift:us-east-1:123456789012:script/script-ctf")
	for _, p := range []string{"ctf", "script-ctf", arn} {
		if got := decodeScript(t, s.must(t, "GET", "/v1/scripts/"+p, "", http.StatusOK)); got.Name != "ctf" || got.Version != 2 {
			t.Fatalf("GET %s: %+v", p, got)
		}
	}
	s.must(t, "POST", "/v1/rulesets", `{"Name":"rs","RuleSetBody":`+jsonString(ruleSet)+`}`, http.StatusCreated)
	cfg := `{"Name":"c","RuleSetName":"rs","RequestTimeoutSeconds":60,"AcceptanceRequired":false,"FlexMatchMode":"STANDALONE",
		"GameProperties":[{"Key":"matchpoint:script","Value":"script-ctf"}]}`
	s.must(t, "POST", "/v1/configurations", cfg, http.StatusCreated)
	status, b = s.do(t, "DELETE", "/v1/scripts/ctf", "")
	if e := restErrorOf(t, b); status != http.StatusConflict || e.Message != `name: script "ctf" is used by matchmaking configuration "c"; make them name another script first` {
		t.Fatalf("DELETE of a script in use: %d %s", status, b)
	}
	s.must(t, "DELETE", "/v1/configurations/c", "", http.StatusNoContent)
	if b := s.must(t, "DELETE", "/v1/scripts/"+arn, "", http.StatusOK); string(bytes.TrimSpace(b)) != `{"DeletedVersions":2}` {
		t.Fatalf("DELETE: %s", b)
	}
	status, b = s.do(t, "DELETE", "/v1/scripts/ctf", "")
	if e := restErrorOf(t, b); status != http.StatusNotFound || e.Message != `name: script "ctf" does not exist` {
		t.Fatalf("DELETE again: %d %s", status, b)
	}
	// A configuration naming the deleted script is refused with its name.
	status, b = s.do(t, "POST", "/v1/configurations", cfg)
	if e := restErrorOf(t, b); status != http.StatusNotFound || e.Message != `GameProperties[0].Value: script "ctf" does not exist` {
		t.Fatalf("configuration of a deleted script: %d %s", status, b)
	}
}

func TestScriptsRESTRejects(t *testing.T) {
	s := scriptServer(t)
	const limit = bus.DefaultMaxScriptSize
	big := strings.Repeat("/", limit+1)
	for _, c := range []struct {
		name, path, contentType, body string
		status                        int
		msg                           string
	}{
		{"empty body", "bad", "application/javascript", "", http.StatusBadRequest, "body: empty; want the script's JavaScript source"},
		{"blank body", "bad", "text/plain", " \n\t", http.StatusBadRequest, "body: empty; want the script's JavaScript source"},
		{"empty JSON source", "bad", "application/json", `{}`, http.StatusBadRequest, "Source: empty; want the script's JavaScript source"},
		{"JSON source not a string", "bad", "application/json", `{"Source": 1}`, http.StatusBadRequest, "field Source: expected string, got number"},
		{"unknown JSON field", "bad", "application/json", `{"Src": "x"}`, http.StatusBadRequest, "field Src: unknown field"},
		{"malformed JSON", "bad", "application/json", `{"Source": "x`, http.StatusBadRequest, "body: truncated JSON"},
		{"too large", "bad", "application/javascript", big, http.StatusRequestEntityTooLarge, "body: larger than 1048576 bytes, the largest script accepted"},
		{"too large in JSON", "bad", "application/json", `{"Source": "` + big + `"}`, http.StatusRequestEntityTooLarge, "Source: 1048577 bytes, more than 1048576, the largest script accepted"},
		{"syntax error", "bad", "application/javascript", syntaxScript, http.StatusBadRequest, "script bad: syntax error at line 3, column 22: Unexpected token )"},
		{"syntax error in JSON", "bad", "application/json", `{"Source": ` + jsonString(syntaxScript) + `}`, http.StatusBadRequest, "script bad: syntax error at line 3, column 22"},
		{"no ssExports", "bad", "application/javascript", "var nothing = 1;", http.StatusBadRequest, "does not set exports.ssExports"},
		{"throws at load", "bad", "application/javascript", "throw new Error('boom');", http.StatusBadRequest, "boom"},
		{"bad configuration", "bad", "application/javascript", "exports.ssExports = {configuration: {maxPlayers: -1}};", http.StatusBadRequest, "ssExports.configuration.maxPlayers: want a positive integer"},
		{"name too long", strings.Repeat("n", bus.MaxNameLen+1), "application/javascript", goodScript, http.StatusBadRequest, "name: must be 1 to 128 characters, got 129"},
		{"name not UTF-8", "%FF", "application/javascript", goodScript, http.StatusBadRequest, "name: must be valid UTF-8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, b := s.upload(t, c.path, c.contentType, []byte(c.body))
			var e restError
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatalf("%d %s: %v", status, b, err)
			}
			if status != c.status || e.Error.Type != "InvalidRequestException" || !strings.Contains(e.Error.Message, c.msg) {
				t.Fatalf("%d %+v, want %d %q", status, e.Error, c.status, c.msg)
			}
		})
	}
	// Nothing was stored.
	if list := decodeScripts(t, s.must(t, "GET", "/v1/scripts", "", http.StatusOK)); len(list) != 0 {
		t.Fatalf("after rejected uploads: %+v", list)
	}
	s.must(t, "GET", "/v1/scripts/bad", "", http.StatusNotFound)

	// A script of exactly the limit is not too large.
	exact := goodScript + strings.Repeat("/", limit-len(goodScript))
	if status, b := s.upload(t, "exact", "application/javascript", []byte(exact)); status != http.StatusCreated {
		t.Fatalf("upload of %d bytes: %d %.200s", limit, status, b)
	}
}

func TestScriptsAuthAndUnavailable(t *testing.T) {
	s := scriptServer(t)
	none := newServer(t, nil)
	for _, srv := range []*server{s, none} {
		for _, c := range []struct {
			auth   string
			status int
		}{{"", http.StatusUnauthorized}, {"Bearer wrong", http.StatusForbidden}} {
			req, _ := http.NewRequest("POST", srv.URL+"/v1/scripts/ctf", strings.NewReader(goodScript))
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Errorf("auth %q: %d, want %d", c.auth, resp.StatusCode, c.status)
			}
		}
	}
	if list := decodeScripts(t, s.must(t, "GET", "/v1/scripts", "", http.StatusOK)); len(list) != 0 {
		t.Fatalf("unauthenticated uploads stored %+v", list)
	}

	for _, c := range []struct{ method, path, body string }{
		{"POST", "/v1/scripts/ctf", goodScript}, {"GET", "/v1/scripts", ""}, {"GET", "/v1/scripts/ctf", ""}, {"DELETE", "/v1/scripts/ctf", ""},
	} {
		status, b := none.do(t, c.method, c.path, c.body)
		if status != http.StatusNotImplemented || !strings.Contains(string(b), "NotImplementedException") || !strings.Contains(string(b), "NATS with JetStream") {
			t.Errorf("%s %s without scripts: %d %s", c.method, c.path, status, b)
		}
	}
	_, err := sdkClient(none.URL, keyID, keySecret).ListScripts(t.Context(), &gamelift.ListScriptsInput{})
	var ire *types.InvalidRequestException
	if !errors.As(err, &ire) || !strings.Contains(ire.ErrorMessage(), "NATS with JetStream") {
		t.Fatalf("ListScripts without scripts: %v", err)
	}
	_, err = sdkClient(none.URL, keyID, keySecret).DeleteScript(t.Context(), &gamelift.DeleteScriptInput{ScriptId: aws.String("script-ctf")})
	if !errors.As(err, &ire) || !strings.Contains(ire.ErrorMessage(), "NATS with JetStream") {
		t.Fatalf("DeleteScript without scripts: %v", err)
	}
}

// zipOf is a zip archive of the named files (name, content, name, ...).
func zipOf(t *testing.T, files ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i < len(files); i += 2 {
		w, err := zw.Create(files[i])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, files[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// lyingZip is a zip whose index.js header says 10 bytes but inflates to n.
func lyingZip(t *testing.T, n int) []byte {
	t.Helper()
	content := bytes.Repeat([]byte("/"), n)
	var deflated bytes.Buffer
	fw, _ := flate.NewWriter(&deflated, flate.BestCompression)
	fw.Write(content)
	fw.Close()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name: "index.js", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(content),
		CompressedSize64: uint64(deflated.Len()), UncompressedSize64: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(deflated.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestScriptsAWSSDK drives the GameLift script actions with the AWS SDK
// (RPC v2 CBOR) and one with JSON 1.1.
func TestScriptsAWSSDK(t *testing.T) {
	s := scriptServer(t)
	gl := sdkClient(s.URL, keyID, keySecret)
	ctx := t.Context()

	created, err := gl.CreateScript(ctx, &gamelift.CreateScriptInput{
		Name: aws.String("ctf"), Version: aws.String("1.0.0"), NodeJsVersion: aws.String("24.x"),
		ZipFile: zipOf(t, "README.md", "not a script", "ctf.js", goodScript),
		Tags:    []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	sc := created.Script
	if aws.ToString(sc.ScriptId) != "script-ctf" || aws.ToString(sc.ScriptArn) != "arn:aws:gamelift:us-east-1:123456789012:script/script-ctf" ||
		aws.ToString(sc.Name) != "ctf" || aws.ToString(sc.Version) != "1.0.0" || aws.ToInt64(sc.SizeOnDisk) != int64(len(goodScript)) ||
		sc.CreationTime == nil || time.Since(*sc.CreationTime) > time.Minute || sc.StorageLocation != nil {
		t.Fatalf("created %+v", sc)
	}

	// Several .js files: index.js at the root is the script.
	index := goodScript + "// index\n"
	updated, err := gl.UpdateScript(ctx, &gamelift.UpdateScriptInput{
		ScriptId: aws.String("script-ctf"),
		ZipFile:  zipOf(t, "lib/util.js", "var x = ;", "index.js", index, "other.js", "junk"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(updated.Script.Version) != "2" || aws.ToInt64(updated.Script.SizeOnDisk) != int64(len(index)) {
		t.Fatalf("updated %+v", updated.Script)
	}
	// The id, the ARN (any region) and the name name the script.
	for _, id := range []string{"script-ctf", "arn:aws:gamelift:us-east-1:123456789012:script/script-ctf", "arn:aws:gamelift:eu-west-1::script/script-ctf", "ctf"} {
		d, err := gl.DescribeScript(ctx, &gamelift.DescribeScriptInput{ScriptId: aws.String(id)})
		if err != nil || aws.ToString(d.Script.Version) != "2" || aws.ToString(d.Script.ScriptId) != "script-ctf" {
			t.Fatalf("describe %s: %+v %v", id, d, err)
		}
	}
	// The Version label given to UpdateScript is kept; the REST face shows it
	// beside the version number.
	labeled, err := gl.UpdateScript(ctx, &gamelift.UpdateScriptInput{ScriptId: aws.String("ctf"), Version: aws.String("1.1.0-beta"), ZipFile: zipOf(t, "index.js", index)})
	if err != nil || aws.ToString(labeled.Script.Version) != "1.1.0-beta" {
		t.Fatalf("UpdateScript with a label: %+v %v", labeled, err)
	}
	if d, err := gl.DescribeScript(ctx, &gamelift.DescribeScriptInput{ScriptId: aws.String("script-ctf")}); err != nil || aws.ToString(d.Script.Version) != "1.1.0-beta" {
		t.Fatalf("DescribeScript after a labeled update: %+v %v", d, err)
	}
	versions := decodeScripts(t, s.must(t, "GET", "/v1/scripts/ctf/versions", "", http.StatusOK))
	if len(versions) != 3 || versions[0].Label != "1.0.0" || versions[1].Label != "" || versions[2].Label != "1.1.0-beta" || versions[2].Version != 3 {
		t.Fatalf("REST versions: %+v", versions)
	}
	// ARNs carry the region the request was signed for.
	euClient := gamelift.New(gamelift.Options{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider(keyID, keySecret, ""), BaseEndpoint: aws.String(s.URL)})
	if d, err := euClient.DescribeScript(ctx, &gamelift.DescribeScriptInput{ScriptId: aws.String("script-ctf")}); err != nil ||
		aws.ToString(d.Script.ScriptArn) != "arn:aws:gamelift:eu-west-1:123456789012:script/script-ctf" {
		t.Fatalf("DescribeScript signed for eu-west-1: %+v %v", d, err)
	}
	// REST sees the same script.
	if got := decodeScript(t, s.must(t, "GET", "/v1/scripts/ctf", "", http.StatusOK)); got.Version != 3 || got.SHA256 != sha(index) {
		t.Fatalf("REST after UpdateScript: %+v", got)
	}

	// JSON 1.1: ZipFile is base64.
	body, _ := json.Marshal(map[string]string{"Name": "dm", "ZipFile": base64.StdEncoding.EncodeToString(zipOf(t, "dm.js", goodScript))})
	status, _, b := s.signed(t, "CreateScript", string(body), time.Now(), keySecret)
	if status != http.StatusOK || !strings.Contains(string(b), `"ScriptId":"script-dm"`) || !strings.Contains(string(b), `"Version":"1"`) {
		t.Fatalf("JSON 1.1 CreateScript: %d %s", status, b)
	}
	if _, err := gl.CreateScript(ctx, &gamelift.CreateScriptInput{Name: aws.String("koth"), ZipFile: zipOf(t, "k.js", goodScript)}); err != nil {
		t.Fatal(err)
	}

	var names []string
	var token *string
	for page := 0; ; page++ {
		out, err := gl.ListScripts(ctx, &gamelift.ListScriptsInput{Limit: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range out.Scripts {
			names = append(names, aws.ToString(sc.Name)+"@"+aws.ToString(sc.Version))
		}
		if token = out.NextToken; token == nil {
			break
		}
		if page > 2 {
			t.Fatal("ListScripts does not end")
		}
	}
	if strings.Join(names, " ") != "ctf@1.1.0-beta dm@1 koth@1" {
		t.Fatalf("ListScripts = %v", names)
	}

	var ire *types.InvalidRequestException
	var nfe *types.NotFoundException
	for _, c := range []struct {
		name string
		call func() error
		msg  string
	}{
		{"S3", func() error {
			_, err := gl.CreateScript(ctx, &gamelift.CreateScriptInput{Name: aws.String("bad"), StorageLocation: &types.S3Location{Bucket: aws.String("b"), Key: aws.String("k.zip")}})
			return err
		}, "StorageLocation: S3 is not supported; send the zipped script as ZipFile"},
		{"no name", func() error {
			_, err := gl.CreateScript(ctx, &gamelift.CreateScriptInput{ZipFile: zipOf(t, "a.js", goodScript)})
			return err
		}, "Name: required"},
		{"no zip", func() error {
			_, err := gl.CreateScript(ctx, &gamelift.CreateScriptInput{Name: aws.String("bad")})
			return err
		}, "ZipFile: required"},
		{"not a zip", func() error {
			_, err := gl.CreateScript(ctx, &gamelift.CreateScriptInput{Name: aws.String("bad"), ZipFile: []byte(goodScript)})
			return err
		}, "ZipFile: not a zip archive"},
		{"no .js", func() error {
			_, err := gl.CreateScript(ctx, &gamelift.CreateScriptInput{Name: aws.String("bad"), ZipFile: zipOf(t, "README.md", "x", "__MACOSX/._a.js", "x")})
			return err
		}, "ZipFile: the archive holds no .js file"},
		{"several .js, no index.js", func() error {
			_, err := gl.CreateScript(ctx, &gamelift.CreateScriptInput{Name: aws.String("bad"), ZipFile: zipOf(t, "a.js", goodScript, "src/index.js", goodScript)})
			return err
		}, "ZipFile: 2 .js files (a.js, src/index.js) and no index.js at the root"},
		{"syntax error", func() error {
			_, err := gl.CreateScript(ctx, &gamelift.CreateScriptInput{Name: aws.String("bad"), ZipFile: zipOf(t, "main.js", syntaxScript)})
			return err
		}, "ZipFile: main.js: script bad: syntax error at line 3, column 22: Unexpected token )"},
		{"empty script", func() error {
			_, err := gl.CreateScript(ctx, &gamelift.CreateScriptInput{Name: aws.String("bad"), ZipFile: zipOf(t, "main.js", "")})
			return err
		}, "ZipFile: main.js: empty"},
		{"zip bomb", func() error {
			bomb := zipOf(t, "index.js", strings.Repeat("/", bus.DefaultMaxScriptSize+1))
			if len(bomb) > 10_000 {
				t.Fatalf("bomb of %d bytes", len(bomb))
			}
			_, err := gl.CreateScript(ctx, &gamelift.CreateScriptInput{Name: aws.String("bad"), ZipFile: bomb})
			return err
		}, "ZipFile: index.js: larger than 1048576 bytes uncompressed, the largest script accepted"},
		{"zip bomb with a lying header", func() error {
			_, err := gl.CreateScript(ctx, &gamelift.CreateScriptInput{Name: aws.String("bad"), ZipFile: lyingZip(t, 2*bus.DefaultMaxScriptSize)})
			return err
		}, "ZipFile: index.js: zip: not a valid zip file"},
		{"bad NodeJsVersion", func() error {
			_, err := gl.CreateScript(ctx, &gamelift.CreateScriptInput{Name: aws.String("bad"), NodeJsVersion: aws.String("8.x"), ZipFile: zipOf(t, "a.js", goodScript)})
			return err
		}, `NodeJsVersion: want 10.x or 24.x, got "8.x"`},
		{"rename", func() error {
			_, err := gl.UpdateScript(ctx, &gamelift.UpdateScriptInput{ScriptId: aws.String("script-ctf"), Name: aws.String("other"), ZipFile: zipOf(t, "a.js", goodScript)})
			return err
		}, "Name: scripts cannot be renamed"},
		{"update with a syntax error", func() error {
			_, err := gl.UpdateScript(ctx, &gamelift.UpdateScriptInput{ScriptId: aws.String("script-ctf"), ZipFile: zipOf(t, "a.js", syntaxScript)})
			return err
		}, "ZipFile: a.js: script ctf: syntax error at line 3, column 22"},
		{"name as an id", func() error {
			_, err := gl.CreateScript(ctx, &gamelift.CreateScriptInput{Name: aws.String("script-x"), ZipFile: zipOf(t, "a.js", goodScript)})
			return err
		}, `Name: "script-x" starts with "script-"`},
		{"bad ARN", func() error {
			_, err := gl.DescribeScript(ctx, &gamelift.DescribeScriptInput{ScriptId: aws.String("arn:aws:gamelift:us-east-1::fleet/x")})
			return err
		}, "is not a script ARN"},
		{"Limit", func() error {
			_, err := gl.ListScripts(ctx, &gamelift.ListScriptsInput{Limit: aws.Int32(101)})
			return err
		}, "Limit: must be 1 to 100, got 101"},
	} {
		err := c.call()
		if !errors.As(err, &ire) || !strings.Contains(ire.ErrorMessage(), c.msg) {
			t.Errorf("%s: %v, want an InvalidRequestException with %q", c.name, err, c.msg)
		}
	}
	for _, id := range []string{"script-bad", "nope", "script-nope"} {
		_, err := gl.DescribeScript(ctx, &gamelift.DescribeScriptInput{ScriptId: aws.String(id)})
		if !errors.As(err, &nfe) || !strings.Contains(nfe.ErrorMessage(), "does not exist") {
			t.Errorf("DescribeScript %s: %v, want a NotFoundException", id, err)
		}
	}
	_, err = gl.UpdateScript(ctx, &gamelift.UpdateScriptInput{ScriptId: aws.String("script-nope"), ZipFile: zipOf(t, "a.js", goodScript)})
	if !errors.As(err, &nfe) {
		t.Errorf("UpdateScript of an unknown script: %v, want a NotFoundException", err)
	}
	// Nothing of the refused requests was stored.
	list := decodeScripts(t, s.must(t, "GET", "/v1/scripts", "", http.StatusOK))
	if len(list) != 3 || list[0].Name != "ctf" || list[0].Version != 3 {
		t.Fatalf("after refused requests: %+v", list)
	}

	// DeleteScript: refused while a configuration or fleet uses the script.
	if _, err := gl.CreateMatchmakingRuleSet(ctx, &gamelift.CreateMatchmakingRuleSetInput{Name: aws.String("rs"), RuleSetBody: aws.String(ruleSet)}); err != nil {
		t.Fatal(err)
	}
	_, err = gl.CreateMatchmakingConfiguration(ctx, &gamelift.CreateMatchmakingConfigurationInput{Name: aws.String("c"), RuleSetName: aws.String("rs"),
		RequestTimeoutSeconds: aws.Int32(60), AcceptanceRequired: aws.Bool(false), FlexMatchMode: types.FlexMatchModeStandalone,
		GameProperties: []types.GameProperty{{Key: aws.String("matchpoint:script"), Value: aws.String("script-nope")}}})
	if !errors.As(err, &nfe) || nfe.ErrorMessage() != `GameProperties[0].Value: script "nope" does not exist` {
		t.Fatalf("configuration of a missing script: %v", err)
	}
	cfg, err := gl.CreateMatchmakingConfiguration(ctx, &gamelift.CreateMatchmakingConfigurationInput{Name: aws.String("c"), RuleSetName: aws.String("rs"),
		RequestTimeoutSeconds: aws.Int32(60), AcceptanceRequired: aws.Bool(false), FlexMatchMode: types.FlexMatchModeStandalone,
		GameProperties: []types.GameProperty{{Key: aws.String("matchpoint:script"), Value: created.Script.ScriptArn}}})
	if err != nil || aws.ToString(cfg.Configuration.GameProperties[0].Value) != "ctf" {
		t.Fatalf("configuration of the script's ARN: %+v %v", cfg, err)
	}
	fleet, err := gl.CreateFleet(ctx, &gamelift.CreateFleetInput{Name: aws.String("f"), ScriptId: aws.String("dm")})
	if err != nil || aws.ToString(fleet.FleetAttributes.ScriptId) != "script-dm" {
		t.Fatalf("fleet of dm: %+v %v", fleet, err)
	}
	for id, msg := range map[string]string{
		"script-ctf": `ScriptId: script "ctf" is used by matchmaking configuration "c"`,
		"dm":         `ScriptId: script "dm" is used by fleet "` + aws.ToString(fleet.FleetAttributes.FleetId) + `"`,
	} {
		_, err := gl.DeleteScript(ctx, &gamelift.DeleteScriptInput{ScriptId: aws.String(id)})
		if !errors.As(err, &ire) || !strings.HasPrefix(ire.ErrorMessage(), msg) {
			t.Errorf("DeleteScript %s in use: %v, want an InvalidRequestException %q", id, err, msg)
		}
	}
	if _, err := gl.DeleteScript(ctx, &gamelift.DeleteScriptInput{ScriptId: aws.String("arn:aws:gamelift:us-east-1::script/script-koth")}); err != nil {
		t.Fatalf("DeleteScript koth: %v", err)
	}
	if _, err := gl.DescribeScript(ctx, &gamelift.DescribeScriptInput{ScriptId: aws.String("script-koth")}); !errors.As(err, &nfe) {
		t.Fatalf("DescribeScript after DeleteScript: %v, want a NotFoundException", err)
	}
	if _, err := gl.DeleteScript(ctx, &gamelift.DeleteScriptInput{ScriptId: aws.String("script-koth")}); !errors.As(err, &nfe) || nfe.ErrorMessage() != `ScriptId: script "koth" does not exist` {
		t.Fatalf("DeleteScript again: %v, want a NotFoundException", err)
	}
}

func TestScriptFromZipSkipsMetadata(t *testing.T) {
	name, src, err := scriptFromZip(zipOf(t, "__MACOSX/._game.js", "meta", "dir/._game.js", "meta", "dir/game.js", goodScript), 1<<20)
	if err != nil || name != "dir/game.js" || string(src) != goodScript {
		t.Fatalf("scriptFromZip = %q, %q, %v", name, src, err)
	}
}
