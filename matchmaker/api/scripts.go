package api

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker"
)

// Scripts stores server scripts (GameLift Realtime JavaScript) by name and
// version for the script routes and the GameLift script actions;
// *bus.ScriptStore implements it. The API package stays free of the
// JavaScript engine: checking a script is the implementation's job (cmd gives
// the store relay/script's Check).
type Scripts interface {
	// UploadLabeled checks that source loads as a script, stores it as the
	// next version of name with label (GameLift's Version string; "" for
	// none) and returns that version. An error with a method Rejected() bool
	// that answers true refuses the input and nothing is stored; its Unwrap
	// gives the reason (a syntax error names the line and column). A version
	// returned with an error (Version > 0) is stored but not announced to the
	// relays, which find it later by themselves.
	UploadLabeled(ctx context.Context, name, label string, source []byte) (bus.ScriptVersion, error)
	// Delete deletes every version of name and returns how many; an unknown
	// name is an error wrapping bus.ErrScriptNotFound.
	Delete(ctx context.Context, name string) (int, error)
	// List returns the newest version of every script, by name.
	List(ctx context.Context) ([]bus.ScriptVersion, error)
	// Versions returns every version of name, oldest first; none for an
	// unknown name.
	Versions(ctx context.Context, name string) ([]bus.ScriptVersion, error)
	// MaxSize is the largest source accepted, in bytes.
	MaxSize() int
}

// WithScripts serves the script routes (/v1/scripts) and the GameLift script
// actions (CreateScript, UpdateScript, DescribeScript, ListScripts,
// DeleteScript) from s.
// Without it they answer that scripts need NATS JetStream.
func WithScripts(s Scripts) Option { return func(h *Handler) { h.scripts = s } }

// Script ids and the messages of the script faces.
const (
	// notImplemented is the REST error type of the script routes of a
	// matchmaker without a script registry.
	notImplemented = "NotImplementedException"
	noScripts      = "scripts: this matchmaker has no script store (server scripts need NATS with JetStream; docs/scripts.md)"
	// maxScriptsPage is the largest ListScripts page (and its default).
	maxScriptsPage = 100
	// maxTags and maxLabel are GameLift's limits of Tags and Version.
	maxTags  = 200
	maxLabel = 1024
)

// restScript is one script version as the REST face shows it.
type restScript struct {
	Name         string                `json:"Name"`
	Version      int64                 `json:"Version"`
	Label        string                `json:"Label,omitempty"`
	SHA256       string                `json:"SHA256"`
	Size         int64                 `json:"Size"`
	CreationTime *matchmaker.Timestamp `json:"CreationTime"`
}

func restScriptOf(sv bus.ScriptVersion) restScript {
	return restScript{Name: sv.Name, Version: sv.Version, Label: sv.Label, SHA256: sv.SHA256, Size: sv.Size, CreationTime: &matchmaker.Timestamp{Time: sv.CreatedAt}}
}

// scriptRoutes registers the REST script routes.
func (h *Handler) scriptRoutes() {
	if h.scripts == nil {
		h.mux.HandleFunc("/v1/scripts", h.scriptsUnavailable)
		h.mux.HandleFunc("/v1/scripts/", h.scriptsUnavailable)
		return
	}
	h.mux.HandleFunc("POST /v1/scripts/{name}", h.uploadScript)
	h.mux.Handle("GET /v1/scripts", h.rest(func(ctx context.Context, _ *http.Request, _ []byte) (int, any, error) {
		list, err := h.scripts.List(ctx)
		if err != nil {
			return 0, nil, fmt.Errorf("list scripts: %w", err)
		}
		out := make([]restScript, len(list))
		for i, sv := range list {
			out[i] = restScriptOf(sv)
		}
		return http.StatusOK, map[string][]restScript{"Scripts": out}, nil
	}))
	h.mux.Handle("GET /v1/scripts/{name}", h.rest(func(ctx context.Context, r *http.Request, _ []byte) (int, any, error) {
		name, versions, err := h.scriptVersions(ctx, "name", r.PathValue("name"))
		if err != nil {
			return 0, nil, err
		}
		sv := versions[len(versions)-1]
		if q := r.URL.Query().Get("version"); q != "" {
			n, err := strconv.ParseInt(q, 10, 64)
			if err != nil || n < 1 {
				return 0, nil, bad("version: want a positive integer, got " + strconv.Quote(q))
			}
			i := slices.IndexFunc(versions, func(v bus.ScriptVersion) bool { return v.Version == n })
			if i < 0 {
				return 0, nil, &matchmaker.Error{Type: matchmaker.NotFound, Message: fmt.Sprintf("version: script %q has no version %d (newest %d)", name, n, sv.Version)}
			}
			sv = versions[i]
		}
		return http.StatusOK, map[string]restScript{"Script": restScriptOf(sv)}, nil
	}))
	h.mux.Handle("DELETE /v1/scripts/{name}", h.rest(func(ctx context.Context, r *http.Request, _ []byte) (int, any, error) {
		n, err := h.deleteScriptNamed(ctx, "name", r.PathValue("name"))
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, map[string]int{"DeletedVersions": n}, nil
	}))
	h.mux.Handle("GET /v1/scripts/{name}/versions", h.rest(func(ctx context.Context, r *http.Request, _ []byte) (int, any, error) {
		_, versions, err := h.scriptVersions(ctx, "name", r.PathValue("name"))
		if err != nil {
			return 0, nil, err
		}
		out := make([]restScript, len(versions))
		for i, sv := range versions {
			out[i] = restScriptOf(sv)
		}
		return http.StatusOK, map[string][]restScript{"Scripts": out}, nil
	}))
}

// restAuth checks the bearer secret and answers the refusal; false when it did.
func (h *Handler) restAuth(w http.ResponseWriter, r *http.Request) bool {
	status, msg := h.bearer(r)
	switch status {
	case 0:
		return true
	case http.StatusForbidden:
		restFail(w, status, "AccessDeniedException", msg)
	default:
		restFail(w, status, "UnauthorizedException", msg)
	}
	return false
}

// scriptsUnavailable answers every script route of a matchmaker without a
// script store: 501.
func (h *Handler) scriptsUnavailable(w http.ResponseWriter, r *http.Request) {
	if h.restAuth(w, r) {
		restFail(w, http.StatusNotImplemented, notImplemented, noScripts)
	}
}

// uploadScript serves POST /v1/scripts/{name}: the body is the JavaScript
// source, or with Content-Type application/json {"Source": "..."}. It reads
// the body itself, against the store's size limit rather than MaxBody.
func (h *Handler) uploadScript(w http.ResponseWriter, r *http.Request) {
	if !h.restAuth(w, r) {
		return
	}
	name, err := matchmaker.ScriptName("name", r.PathValue("name"))
	if err != nil {
		h.restError(w, r, err)
		return
	}
	maxSize := h.scripts.MaxSize()
	isJSON := false
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == "application/json" {
		isJSON = true
	}
	// A JSON string escapes its newlines and quotes: twice the source's limit
	// leaves room for them.
	limit := int64(maxSize)
	if isJSON {
		limit = 2*limit + 1024
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			msg := fmt.Sprintf("body: larger than %d bytes, the largest script accepted", maxSize)
			if isJSON {
				msg = fmt.Sprintf("body: larger than %d bytes (a script is at most %d bytes)", limit, maxSize)
			}
			restFail(w, http.StatusRequestEntityTooLarge, string(matchmaker.InvalidRequest), msg)
			return
		}
		restFail(w, http.StatusBadRequest, string(matchmaker.InvalidRequest), "body: "+err.Error())
		return
	}
	source := body
	if isJSON {
		var in struct {
			Source string `json:"Source"`
		}
		if err := decode(body, &in); err != nil {
			h.restError(w, r, err)
			return
		}
		if len(in.Source) > maxSize {
			restFail(w, http.StatusRequestEntityTooLarge, string(matchmaker.InvalidRequest), fmt.Sprintf("Source: %d bytes, more than %d, the largest script accepted", len(in.Source), maxSize))
			return
		}
		source = []byte(in.Source)
	}
	if len(bytes.TrimSpace(source)) == 0 {
		field := "body"
		if isJSON {
			field = "Source"
		}
		restFail(w, http.StatusBadRequest, string(matchmaker.InvalidRequest), field+": empty; want the script's JavaScript source")
		return
	}
	sv, err := h.uploadVersion(r.Context(), name, "", "", source)
	if err != nil {
		h.restError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]restScript{"Script": restScriptOf(sv)})
}

// restError answers a service error on the REST face.
func (h *Handler) restError(w http.ResponseWriter, r *http.Request, err error) {
	e := matchmaker.AsError(err)
	h.logError(r, e)
	restFail(w, statusOf(e), string(e.Type), e.Message)
}

// uploadVersion stores source as the next version of name with label. A
// rejection is an InvalidRequestException whose message starts with field
// (the field or file the source came from, "" for the REST body) and gives
// the reason.
func (h *Handler) uploadVersion(ctx context.Context, name, label, field string, source []byte) (bus.ScriptVersion, error) {
	sv, err := h.scripts.UploadLabeled(ctx, name, label, source)
	if err == nil {
		return sv, nil
	}
	if sv.Version > 0 {
		h.log.Warn("script stored but not announced", "script", name, "version", sv.Version, "err", err)
		return sv, nil
	}
	var rej interface {
		Rejected() bool
		Unwrap() error
	}
	if errors.As(err, &rej) && rej.Rejected() {
		msg := rej.Unwrap().Error()
		if field != "" {
			msg = field + ": " + msg
		}
		return bus.ScriptVersion{}, bad(msg)
	}
	return bus.ScriptVersion{}, fmt.Errorf("upload script %s: %w", name, err)
}

// scriptVersions returns the name of the script v names (a name, ScriptId
// or ARN; matchmaker.ScriptName) and its versions, oldest first; an unknown
// script is a NotFoundException naming field.
func (h *Handler) scriptVersions(ctx context.Context, field, v string) (string, []bus.ScriptVersion, error) {
	name, err := matchmaker.ScriptName(field, v)
	if err != nil {
		return "", nil, err
	}
	versions, err := h.scripts.Versions(ctx, name)
	if err != nil {
		return "", nil, fmt.Errorf("versions of script %s: %w", name, err)
	}
	if len(versions) == 0 {
		return "", nil, &matchmaker.Error{Type: matchmaker.NotFound, Message: fmt.Sprintf("%s: script %q does not exist", field, name)}
	}
	return name, versions, nil
}

// deleteScriptNamed deletes every version of the script v names and returns
// how many. A script that a matchmaking configuration or fleet uses is
// refused (InvalidRequestException, 409 on REST) naming them.
func (h *Handler) deleteScriptNamed(ctx context.Context, field, v string) (int, error) {
	name, _, err := h.scriptVersions(ctx, field, v)
	if err != nil {
		return 0, err
	}
	users, err := h.svc.ScriptUsers(ctx, name)
	if err != nil {
		return 0, err
	}
	if len(users) > 0 {
		return 0, &matchmaker.Error{Type: matchmaker.InvalidRequest, Conflict: true,
			Message: fmt.Sprintf("%s: script %q is used by %s; make them name another script first", field, name, strings.Join(users, ", "))}
	}
	n, err := h.scripts.Delete(ctx, name)
	if errors.Is(err, bus.ErrScriptNotFound) {
		return 0, &matchmaker.Error{Type: matchmaker.NotFound, Message: fmt.Sprintf("%s: script %q does not exist", field, name), Err: err}
	}
	if err != nil {
		return 0, fmt.Errorf("delete script %s: %w", name, err)
	}
	h.log.Info("script deleted", "script", name, "versions", n)
	return n, nil
}

// GameLift script actions.

// gameliftScript is GameLift's Script. StorageLocation is never set (scripts
// are not on S3) and NodeJsVersion neither (the runtime is not Node.js).
// Version is the label given to CreateScript or UpdateScript, or without one
// Matchpoint's version number.
type gameliftScript struct {
	ScriptID     string                `json:"ScriptId"`
	ScriptArn    string                `json:"ScriptArn"`
	Name         string                `json:"Name"`
	Version      string                `json:"Version"`
	SizeOnDisk   int64                 `json:"SizeOnDisk"`
	CreationTime *matchmaker.Timestamp `json:"CreationTime"`
}

type scriptOutput struct {
	Script gameliftScript `json:"Script"`
}

type createScriptInput struct {
	Name            string           `json:"Name"`
	Version         string           `json:"Version"`
	ZipFile         []byte           `json:"ZipFile"`
	StorageLocation json.RawMessage  `json:"StorageLocation"`
	NodeJsVersion   string           `json:"NodeJsVersion"`
	Tags            []matchmaker.Tag `json:"Tags"`
}

type updateScriptInput struct {
	ScriptID        string          `json:"ScriptId"`
	Name            string          `json:"Name"`
	Version         string          `json:"Version"`
	ZipFile         []byte          `json:"ZipFile"`
	StorageLocation json.RawMessage `json:"StorageLocation"`
}

type describeScriptInput struct {
	ScriptID string `json:"ScriptId"`
}

type deleteScriptInput struct {
	ScriptID string `json:"ScriptId"`
}

type deleteScriptOutput struct{}

type listScriptsInput struct {
	Limit     int    `json:"Limit"`
	NextToken string `json:"NextToken"`
}

type listScriptsOutput struct {
	Scripts   []gameliftScript `json:"Scripts"`
	NextToken string           `json:"NextToken,omitempty"`
}

// scriptOperations are the GameLift script actions. Without a script store
// they refuse every request, saying why.
func (h *Handler) scriptOperations() map[string]operation {
	if h.scripts == nil {
		refuse := func(context.Context, []byte) (any, error) { return nil, bad(noScripts) }
		return map[string]operation{"CreateScript": refuse, "UpdateScript": refuse, "DescribeScript": refuse, "ListScripts": refuse, "DeleteScript": refuse}
	}
	return map[string]operation{
		"CreateScript":   op(h.createScript),
		"UpdateScript":   op(h.updateScript),
		"DescribeScript": op(h.describeScript),
		"ListScripts":    op(h.listScripts),
		"DeleteScript":   op(h.deleteScript),
	}
}

func (h *Handler) gameliftScriptOf(ctx context.Context, sv bus.ScriptVersion) gameliftScript {
	version := sv.Label
	if version == "" {
		version = strconv.FormatInt(sv.Version, 10)
	}
	return gameliftScript{
		ScriptID:     matchmaker.ScriptID(sv.Name),
		ScriptArn:    h.svc.ScriptArn(ctx, sv.Name),
		Name:         sv.Name,
		Version:      version,
		SizeOnDisk:   sv.Size,
		CreationTime: &matchmaker.Timestamp{Time: sv.CreatedAt},
	}
}

func (h *Handler) createScript(ctx context.Context, in *createScriptInput) (*scriptOutput, error) {
	if in.Name == "" {
		return nil, bad("Name: required (Matchpoint stores scripts by name)")
	}
	if err := matchmaker.CheckNewScriptName("Name", in.Name); err != nil {
		return nil, err
	}
	if err := checkScriptLabels(in.Version, in.StorageLocation); err != nil {
		return nil, err
	}
	if in.NodeJsVersion != "" && in.NodeJsVersion != "10.x" && in.NodeJsVersion != "24.x" {
		return nil, bad("NodeJsVersion: want 10.x or 24.x, got " + strconv.Quote(in.NodeJsVersion))
	}
	if len(in.Tags) > maxTags {
		return nil, bad(fmt.Sprintf("Tags: at most %d tags, got %d", maxTags, len(in.Tags)))
	}
	for i, t := range in.Tags {
		if n := utf8.RuneCountInString(t.Key); n < 1 || n > 128 {
			return nil, bad(fmt.Sprintf("Tags[%d].Key: must be 1 to 128 characters, got %d", i, n))
		}
		if n := utf8.RuneCountInString(t.Value); n > 256 {
			return nil, bad(fmt.Sprintf("Tags[%d].Value: must be at most 256 characters, got %d", i, n))
		}
	}
	sv, err := h.uploadZip(ctx, in.Name, in.Version, in.ZipFile)
	if err != nil {
		return nil, err
	}
	return &scriptOutput{Script: h.gameliftScriptOf(ctx, sv)}, nil
}

func (h *Handler) updateScript(ctx context.Context, in *updateScriptInput) (*scriptOutput, error) {
	name, err := matchmaker.ScriptName("ScriptId", in.ScriptID)
	if err != nil {
		return nil, err
	}
	if in.Name != "" && in.Name != name {
		return nil, bad(fmt.Sprintf("Name: scripts cannot be renamed (the script of %s is %q)", in.ScriptID, name))
	}
	if err := checkScriptLabels(in.Version, in.StorageLocation); err != nil {
		return nil, err
	}
	if _, _, err := h.scriptVersions(ctx, "ScriptId", name); err != nil {
		return nil, err
	}
	sv, err := h.uploadZip(ctx, name, in.Version, in.ZipFile)
	if err != nil {
		return nil, err
	}
	return &scriptOutput{Script: h.gameliftScriptOf(ctx, sv)}, nil
}

func (h *Handler) describeScript(ctx context.Context, in *describeScriptInput) (*scriptOutput, error) {
	_, versions, err := h.scriptVersions(ctx, "ScriptId", in.ScriptID)
	if err != nil {
		return nil, err
	}
	return &scriptOutput{Script: h.gameliftScriptOf(ctx, versions[len(versions)-1])}, nil
}

// deleteScript deletes every version of a script; refused while a
// configuration or fleet uses it.
func (h *Handler) deleteScript(ctx context.Context, in *deleteScriptInput) (*deleteScriptOutput, error) {
	if _, err := h.deleteScriptNamed(ctx, "ScriptId", in.ScriptID); err != nil {
		return nil, err
	}
	return &deleteScriptOutput{}, nil
}

// listScripts lists the newest version of every script by name, Limit
// (1-100, default 100) at a time; NextToken is the last name of the
// previous page.
func (h *Handler) listScripts(ctx context.Context, in *listScriptsInput) (*listScriptsOutput, error) {
	limit := in.Limit
	switch {
	case limit == 0:
		limit = maxScriptsPage
	case limit < 1 || limit > maxScriptsPage:
		return nil, bad(fmt.Sprintf("Limit: must be 1 to %d, got %d", maxScriptsPage, limit))
	}
	list, err := h.scripts.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list scripts: %w", err)
	}
	start := 0
	if in.NextToken != "" {
		start, _ = slices.BinarySearchFunc(list, in.NextToken, func(sv bus.ScriptVersion, token string) int { return strings.Compare(sv.Name, token) })
		if start < len(list) && list[start].Name == in.NextToken {
			start++
		}
	}
	end := min(start+limit, len(list))
	out := &listScriptsOutput{Scripts: make([]gameliftScript, 0, end-start)}
	for _, sv := range list[start:end] {
		out.Scripts = append(out.Scripts, h.gameliftScriptOf(ctx, sv))
	}
	if end < len(list) {
		out.NextToken = list[end-1].Name
	}
	return out, nil
}

// checkScriptLabels refuses an S3 StorageLocation and checks the Version
// label, which is kept with the version.
func checkScriptLabels(version string, storage json.RawMessage) error {
	if len(storage) > 0 && !bytes.Equal(storage, []byte("null")) {
		return bad("StorageLocation: S3 is not supported; send the zipped script as ZipFile")
	}
	if n := utf8.RuneCountInString(version); n > maxLabel {
		return bad(fmt.Sprintf("Version: must be at most %d characters, got %d", maxLabel, n))
	}
	return nil
}

// uploadZip stores the script of a GameLift script archive as the next
// version of name with label.
func (h *Handler) uploadZip(ctx context.Context, name, label string, zipFile []byte) (bus.ScriptVersion, error) {
	file, source, err := scriptFromZip(zipFile, h.scripts.MaxSize())
	if err != nil {
		return bus.ScriptVersion{}, err
	}
	return h.uploadVersion(ctx, name, label, "ZipFile: "+file, source)
}

// scriptFromZip returns the script of a GameLift script archive (a zip of .js
// files and maybe others): its only .js file, or, when it has several, the
// index.js at its root. The store keeps one file per script, so a main file
// that requires the others must be bundled first. Directories and macOS
// metadata (__MACOSX/, ._*) are skipped, other files ignored. A file whose
// header says it is larger than maxSize is refused before it is inflated, and
// one that inflates to more than its header says is refused as malformed.
func scriptFromZip(data []byte, maxSize int) (string, []byte, error) {
	if len(data) == 0 {
		return "", nil, bad("ZipFile: required: a zip archive of the script (base64 in JSON)")
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", nil, bad("ZipFile: not a zip archive: " + err.Error())
	}
	var scripts []*zip.File
	for _, f := range zr.File {
		base := path.Base(f.Name)
		if f.FileInfo().IsDir() || strings.HasPrefix(f.Name, "__MACOSX/") || strings.HasPrefix(base, "._") {
			continue
		}
		if strings.HasSuffix(strings.ToLower(base), ".js") {
			scripts = append(scripts, f)
		}
	}
	var main *zip.File
	switch len(scripts) {
	case 0:
		return "", nil, bad("ZipFile: the archive holds no .js file")
	case 1:
		main = scripts[0]
	default:
		i := slices.IndexFunc(scripts, func(f *zip.File) bool { return f.Name == "index.js" })
		if i < 0 {
			names := make([]string, len(scripts))
			for j, f := range scripts {
				names[j] = f.Name
			}
			return "", nil, bad(fmt.Sprintf("ZipFile: %d .js files (%s) and no index.js at the root: name the main file index.js, or bundle the script into one file", len(scripts), strings.Join(names, ", ")))
		}
		main = scripts[i]
	}
	if main.UncompressedSize64 > uint64(maxSize) {
		return "", nil, bad(fmt.Sprintf("ZipFile: %s: larger than %d bytes uncompressed, the largest script accepted", main.Name, maxSize))
	}
	rc, err := main.Open()
	if err != nil {
		return "", nil, bad(fmt.Sprintf("ZipFile: %s: %v", main.Name, err))
	}
	defer rc.Close()
	// archive/zip stops with zip.ErrFormat past the header's size.
	source, err := io.ReadAll(rc)
	if err != nil {
		return "", nil, bad(fmt.Sprintf("ZipFile: %s: %v", main.Name, err))
	}
	if len(bytes.TrimSpace(source)) == 0 {
		return "", nil, bad(fmt.Sprintf("ZipFile: %s: empty; want the script's JavaScript source", main.Name))
	}
	return main.Name, source, nil
}
