package bus

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Defaults of ScriptStoreOptions.
const (
	// DefaultScriptBucket is the JetStream object store holding script sources.
	DefaultScriptBucket = "matchpoint-scripts"
	// DefaultScriptIndexBucket is the JetStream key-value bucket holding one
	// entry (a ScriptVersion) per script version.
	DefaultScriptIndexBucket = "matchpoint-script-versions"
	// DefaultMaxScriptSize is the largest script Upload accepts.
	DefaultMaxScriptSize = 1 << 20
)

// uploadAttempts bounds the retries of Upload when concurrent uploads of one name
// race for the same version number.
const uploadAttempts = 16

// ScriptStoreOptions configure a ScriptStore. The zero value is usable.
type ScriptStoreOptions struct {
	// ObjectBucket and IndexBucket name the JetStream buckets; defaults
	// DefaultScriptBucket and DefaultScriptIndexBucket. They are created when
	// missing.
	ObjectBucket string
	IndexBucket  string
	// Replicas is the replication of both buckets in a NATS cluster. Default 1.
	Replicas int
	// MaxSize is the largest script accepted, in bytes. Default 1 MiB.
	MaxSize int
	// Check, when set, is called with every upload before anything is stored;
	// an error rejects the upload (a *ScriptRejectedError wrapping it). The
	// relay's script engine provides it (script.Check), so that this package
	// does not link the engine. Nil: any source within MaxSize is stored.
	Check func(name string, source []byte) error
}

// ScriptStore stores the versions of server scripts in NATS JetStream and
// announces each new one on the bus (ScriptVersion). Sources live in an object store under
// "<name token>/<sha256>"; an index bucket maps "<name token>.<version>" to the
// version's ScriptVersion, and its atomic create numbers the versions. It is
// safe for concurrent use, also by several processes.
type ScriptStore struct {
	conn *Conn
	obj  jetstream.ObjectStore
	kv   jetstream.KeyValue
	opts ScriptStoreOptions
}

// StoredScript is one stored script version with its source.
type StoredScript struct {
	ScriptVersion
	Source []byte
}

// NewScriptStore opens (creating when missing) the script buckets on conn's
// NATS server, which must have JetStream enabled.
func NewScriptStore(ctx context.Context, conn *Conn, opts ScriptStoreOptions) (*ScriptStore, error) {
	if opts.ObjectBucket == "" {
		opts.ObjectBucket = DefaultScriptBucket
	}
	if opts.IndexBucket == "" {
		opts.IndexBucket = DefaultScriptIndexBucket
	}
	if opts.Replicas == 0 {
		opts.Replicas = 1
	}
	if opts.MaxSize == 0 {
		opts.MaxSize = DefaultMaxScriptSize
	}
	js, err := jetstream.New(conn.nc)
	if err != nil {
		return nil, fmt.Errorf("script store: jetstream: %w", err)
	}
	obj, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      opts.ObjectBucket,
		Description: "Matchpoint server script sources",
		Replicas:    opts.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("script store: object store %s: %w", opts.ObjectBucket, err)
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      opts.IndexBucket,
		Description: "Matchpoint server script versions",
		Replicas:    opts.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("script store: key-value bucket %s: %w", opts.IndexBucket, err)
	}
	return &ScriptStore{conn: conn, obj: obj, kv: kv, opts: opts}, nil
}

// ScriptRejectedError is the error of an upload refused for its input, before
// anything is stored: a name that cannot be a bus token, a source larger than
// the store's MaxSize, or a script that fails ScriptStoreOptions.Check (Err:
// the check's error, e.g. the script engine's syntax error with line and
// column). Callers such as matchmaker/api recognise it by its Rejected method.
type ScriptRejectedError struct {
	Name string
	Err  error
}

// Error returns "script NAME rejected: " and the reason.
func (e *ScriptRejectedError) Error() string {
	return fmt.Sprintf("script %s rejected: %v", e.Name, e.Err)
}

// Unwrap returns the reason.
func (e *ScriptRejectedError) Unwrap() error { return e.Err }

// Rejected reports true: the input is at fault, and sending it again fails again.
func (e *ScriptRejectedError) Rejected() bool { return true }

// MaxSize returns the largest script source Upload accepts, in bytes.
func (r *ScriptStore) MaxSize() int { return r.opts.MaxSize }

// Upload is UploadVersion returning only the new version number (1 for the
// first).
func (r *ScriptStore) Upload(ctx context.Context, name string, source []byte) (int, error) {
	sv, err := r.UploadVersion(ctx, name, source)
	return int(sv.Version), err
}

// UploadVersion checks source (when the name or size is invalid, or Check
// refuses it, the error is a *ScriptRejectedError and nothing is stored),
// stores it as the next version of name, announces it with
// PublishScriptVersion and returns the stored version. When only the
// announcement fails, the version is stored (relays find it at their next
// resync): the stored version comes back with the error, which says so.
func (r *ScriptStore) UploadVersion(ctx context.Context, name string, source []byte) (ScriptVersion, error) {
	return r.UploadLabeled(ctx, name, "", source)
}

// UploadLabeled is UploadVersion keeping label with the version
// (ScriptVersion.Label, e.g. GameLift's Version string).
func (r *ScriptStore) UploadLabeled(ctx context.Context, name, label string, source []byte) (ScriptVersion, error) {
	tok, err := Token(name)
	if err != nil {
		return ScriptVersion{}, &ScriptRejectedError{Name: name, Err: fmt.Errorf("name: %w", err)}
	}
	if len(source) > r.opts.MaxSize {
		return ScriptVersion{}, &ScriptRejectedError{Name: name, Err: fmt.Errorf("%d bytes, more than the %d allowed", len(source), r.opts.MaxSize)}
	}
	if r.opts.Check != nil {
		if err := r.opts.Check(name, source); err != nil {
			return ScriptVersion{}, &ScriptRejectedError{Name: name, Err: err}
		}
	}
	sum := sha256.Sum256(source)
	digest := hex.EncodeToString(sum[:])
	object := tok + "/" + digest
	if _, err := r.obj.PutBytes(ctx, object, source); err != nil {
		return ScriptVersion{}, fmt.Errorf("script %s: store source: %w", name, err)
	}
	for range uploadAttempts {
		next, err := r.nextVersion(ctx, tok)
		if err != nil {
			return ScriptVersion{}, fmt.Errorf("script %s: %w", name, err)
		}
		sv := ScriptVersion{
			Name:      name,
			Version:   int64(next),
			SHA256:    digest,
			Size:      int64(len(source)),
			Bucket:    r.opts.ObjectBucket,
			Object:    object,
			CreatedAt: time.Now().UTC(),
			Label:     label,
		}
		data, err := sv.Encode()
		if err != nil {
			return ScriptVersion{}, fmt.Errorf("script %s: %w", name, err)
		}
		if _, err := r.kv.Create(ctx, indexKey(tok, next), data); err != nil {
			if errors.Is(err, jetstream.ErrKeyExists) {
				continue
			}
			return ScriptVersion{}, fmt.Errorf("script %s: store version %d: %w", name, next, err)
		}
		if err := r.conn.PublishScriptVersion(ctx, sv); err != nil {
			return sv, fmt.Errorf("script %s: version %d stored but not announced (relays find it at their next resync): %w", name, next, err)
		}
		return sv, nil
	}
	return ScriptVersion{}, fmt.Errorf("script %s: too many concurrent uploads, try again", name)
}

func indexKey(tok string, version int) string { return tok + "." + strconv.Itoa(version) }

// deletedKey is the index key recording the last version of a deleted
// script, so that the versions of a script created again under its name
// continue after it (relays holding the old version then load the new one).
// It is no version key (parseKey refuses it).
func deletedKey(tok string) string { return tok + ".deleted" }

// nextVersion returns the number of the next version of a name token: one
// more than its newest, or than the last version of a deleted script of
// that name; 1 for a new name.
func (r *ScriptStore) nextVersion(ctx context.Context, tok string) (int, error) {
	versions, err := r.versionNumbers(ctx, tok)
	if err != nil {
		return 0, err
	}
	if len(versions) > 0 {
		return versions[len(versions)-1] + 1, nil
	}
	e, err := r.kv.Get(ctx, deletedKey(tok))
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return 1, nil
	case err != nil:
		return 0, fmt.Errorf("read the last deleted version: %w", err)
	}
	last, err := strconv.Atoi(string(e.Value()))
	if err != nil || last < 0 {
		return 0, fmt.Errorf("last deleted version %q: not a version number", e.Value())
	}
	return last + 1, nil
}

// parseKey splits an index key into name token and version.
func parseKey(key string) (string, int, bool) {
	i := strings.LastIndexByte(key, '.')
	if i <= 0 {
		return "", 0, false
	}
	v, err := strconv.Atoi(key[i+1:])
	if err != nil || v <= 0 {
		return "", 0, false
	}
	return key[:i], v, true
}

// keys lists the index keys matching filter.
func (r *ScriptStore) keys(ctx context.Context, filter string) ([]string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lister, err := r.kv.ListKeysFiltered(ctx, filter)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("list versions: %w", err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list versions: %w", err)
	}
	return keys, nil
}

// versionNumbers returns the stored versions of a name token, ascending.
func (r *ScriptStore) versionNumbers(ctx context.Context, tok string) ([]int, error) {
	keys, err := r.keys(ctx, tok+".*")
	if err != nil {
		return nil, err
	}
	var versions []int
	for _, k := range keys {
		if t, v, ok := parseKey(k); ok && t == tok {
			versions = append(versions, v)
		}
	}
	slices.Sort(versions)
	return slices.Compact(versions), nil
}

// entry reads the index entry of one version.
func (r *ScriptStore) entry(ctx context.Context, tok string, version int) (ScriptVersion, error) {
	e, err := r.kv.Get(ctx, indexKey(tok, version))
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return ScriptVersion{}, ErrScriptNotFound
		}
		return ScriptVersion{}, fmt.Errorf("read version %d: %w", version, err)
	}
	sv, err := DecodeScriptVersion(e.Value())
	if err != nil {
		return ScriptVersion{}, fmt.Errorf("version %d: %w", version, err)
	}
	return sv, nil
}

// List returns the newest version of every stored script, by name.
func (r *ScriptStore) List(ctx context.Context) ([]ScriptVersion, error) {
	keys, err := r.keys(ctx, ">")
	if err != nil {
		return nil, fmt.Errorf("script store: %w", err)
	}
	latest := make(map[string]int)
	for _, k := range keys {
		if tok, v, ok := parseKey(k); ok && v > latest[tok] {
			latest[tok] = v
		}
	}
	out := make([]ScriptVersion, 0, len(latest))
	for tok, v := range latest {
		sv, err := r.entry(ctx, tok, v)
		if err != nil {
			return nil, fmt.Errorf("script store: %s: %w", tok, err)
		}
		out = append(out, sv)
	}
	slices.SortFunc(out, func(a, b ScriptVersion) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// Versions returns every stored version of name, oldest first.
func (r *ScriptStore) Versions(ctx context.Context, name string) ([]ScriptVersion, error) {
	tok, err := Token(name)
	if err != nil {
		return nil, fmt.Errorf("script store: name: %w", err)
	}
	versions, err := r.versionNumbers(ctx, tok)
	if err != nil {
		return nil, fmt.Errorf("script %s: %w", name, err)
	}
	out := make([]ScriptVersion, 0, len(versions))
	for _, v := range versions {
		sv, err := r.entry(ctx, tok, v)
		if err != nil {
			return nil, fmt.Errorf("script %s: %w", name, err)
		}
		out = append(out, sv)
	}
	return out, nil
}

// Get returns one version of name with its source, checked against its SHA-256.
// A missing name or version is ErrScriptNotFound.
func (r *ScriptStore) Get(ctx context.Context, name string, version int) (StoredScript, error) {
	tok, err := Token(name)
	if err != nil {
		return StoredScript{}, fmt.Errorf("script store: name: %w", err)
	}
	sv, err := r.entry(ctx, tok, version)
	if err != nil {
		return StoredScript{}, fmt.Errorf("script %s version %d: %w", name, version, err)
	}
	source, err := r.obj.GetBytes(ctx, sv.Object)
	if err != nil {
		if errors.Is(err, jetstream.ErrObjectNotFound) {
			err = ErrScriptNotFound
		}
		return StoredScript{}, fmt.Errorf("script %s version %d: source %s: %w", name, version, sv.Object, err)
	}
	sum := sha256.Sum256(source)
	if hex.EncodeToString(sum[:]) != sv.SHA256 {
		return StoredScript{}, fmt.Errorf("script %s version %d: source does not match its sha256", name, version)
	}
	return StoredScript{ScriptVersion: sv, Source: source}, nil
}

// Latest returns the newest version of name with its source; ErrScriptNotFound when
// the name has none.
func (r *ScriptStore) Latest(ctx context.Context, name string) (StoredScript, error) {
	tok, err := Token(name)
	if err != nil {
		return StoredScript{}, fmt.Errorf("script store: name: %w", err)
	}
	versions, err := r.versionNumbers(ctx, tok)
	if err != nil {
		return StoredScript{}, fmt.Errorf("script %s: %w", name, err)
	}
	if len(versions) == 0 {
		return StoredScript{}, fmt.Errorf("script %s: %w", name, ErrScriptNotFound)
	}
	return r.Get(ctx, name, versions[len(versions)-1])
}

// Delete deletes every version of name: their index entries, then the
// sources no remaining version refers to (an upload racing the delete keeps
// its own). A script uploaded again under the name continues the version
// numbers. It returns the number of versions deleted; a name without
// versions is ErrScriptNotFound. Relays keep the version they hold for the
// sessions running it; new placements naming the script fail.
func (r *ScriptStore) Delete(ctx context.Context, name string) (int, error) {
	tok, err := Token(name)
	if err != nil {
		return 0, fmt.Errorf("script store: name: %w", err)
	}
	versions, err := r.versionNumbers(ctx, tok)
	if err != nil {
		return 0, fmt.Errorf("script %s: %w", name, err)
	}
	if len(versions) == 0 {
		return 0, fmt.Errorf("script %s: %w", name, ErrScriptNotFound)
	}
	if _, err := r.kv.Put(ctx, deletedKey(tok), []byte(strconv.Itoa(versions[len(versions)-1]))); err != nil {
		return 0, fmt.Errorf("script %s: record the last version: %w", name, err)
	}
	objects := map[string]bool{}
	for _, v := range versions {
		sv, err := r.entry(ctx, tok, v)
		switch {
		case errors.Is(err, ErrScriptNotFound):
			continue
		case err != nil:
			return 0, fmt.Errorf("script %s: %w", name, err)
		}
		objects[sv.Object] = true
		if err := r.kv.Purge(ctx, indexKey(tok, v)); err != nil {
			return 0, fmt.Errorf("script %s: delete version %d: %w", name, v, err)
		}
	}
	left, err := r.Versions(ctx, name)
	if err != nil {
		return 0, err
	}
	for _, sv := range left {
		delete(objects, sv.Object)
	}
	for object := range objects {
		if err := r.obj.Delete(ctx, object); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
			return 0, fmt.Errorf("script %s: delete source %s: %w", name, object, err)
		}
	}
	return len(versions), nil
}

// Exists reports whether name has a stored version (matchmaker
// Options.ScriptExists).
func (r *ScriptStore) Exists(ctx context.Context, name string) (bool, error) {
	tok, err := Token(name)
	if err != nil {
		return false, fmt.Errorf("script store: name: %w", err)
	}
	versions, err := r.versionNumbers(ctx, tok)
	if err != nil {
		return false, fmt.Errorf("script %s: %w", name, err)
	}
	return len(versions) > 0, nil
}
