package script

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dop251/goja"

	"github.com/matchpoint-dev/matchpoint/relay"
)

// callback names a script callback (and the metrics label of its failures).
type callback int

const (
	cbInit callback = iota
	cbProcessStarted
	cbStartGameSession
	cbProcessTerminate
	cbHealthCheck
	cbPlayerConnect
	cbPlayerAccepted
	cbPlayerDisconnect
	cbPlayerJoinGroup
	cbPlayerLeaveGroup
	cbSendToPlayer
	cbSendToGroup
	cbMessage
	numCallbacks
	// cbLoad and cbTimer label the top-level code and timer functions.
	cbLoad  = numCallbacks
	cbTimer = numCallbacks + 1
)

func (c callback) String() string {
	switch c {
	case cbInit:
		return "init"
	case cbProcessStarted:
		return "onProcessStarted"
	case cbStartGameSession:
		return "onStartGameSession"
	case cbProcessTerminate:
		return "onProcessTerminate"
	case cbHealthCheck:
		return "onHealthCheck"
	case cbPlayerConnect:
		return "onPlayerConnect"
	case cbPlayerAccepted:
		return "onPlayerAccepted"
	case cbPlayerDisconnect:
		return "onPlayerDisconnect"
	case cbPlayerJoinGroup:
		return "onPlayerJoinGroup"
	case cbPlayerLeaveGroup:
		return "onPlayerLeaveGroup"
	case cbSendToPlayer:
		return "onSendToPlayer"
	case cbSendToGroup:
		return "onSendToGroup"
	case cbMessage:
		return "onMessage"
	case cbLoad:
		return "load"
	case cbTimer:
		return "timer"
	}
	return fmt.Sprintf("callback(%d)", int(c))
}

// errBudget is the interrupt value of a callback that ran past its budget.
var errBudget = errors.New("script: callback ran past its time budget")

// exitRequest is the interrupt value of process.exit.
type exitRequest struct{ code int64 }

// Instance is the script of one game session: its own goja runtime, its timers and
// its players. It implements relay.Script. The relay calls it from the session's
// goroutine only, which is also where its timers run.
type Instance struct {
	f         *Factory
	vm        *goja.Runtime
	info      relay.GameSessionInfo
	session   relay.Session
	exports   *goja.Object
	rtSession *goja.Object
	callbacks [numCallbacks]goja.Callable

	dog     watchdog
	timers  map[int64]*jsTimer
	pending []*jsTimer // set before the session was bound
	nextID  int64

	players map[int32]*goja.Object
	exited  bool
	ending  bool

	uint8Array    goja.Value
	newMap        goja.Value
	jsonParse     goja.Callable
	payloadAsText goja.Value
}

var _ relay.Script = (*Instance)(nil)

// instantiate creates a runtime, installs the globals and runs the script's
// top-level code.
func (f *Factory) instantiate(info relay.GameSessionInfo) (*Instance, error) {
	vm := goja.New()
	vm.SetMaxCallStackSize(f.opts.MaxCallStackSize)
	in := &Instance{
		f:       f,
		vm:      vm,
		info:    info,
		timers:  make(map[int64]*jsTimer),
		players: make(map[int32]*goja.Object),
	}
	in.dog.init(vm, f.opts.CallbackBudget)
	if err := in.installGlobals(); err != nil {
		return nil, fmt.Errorf("script %s: %w", f.name, err)
	}
	if _, err := vm.RunProgram(f.prelude); err != nil {
		return nil, fmt.Errorf("script %s: prelude: %w", f.name, err)
	}
	in.dog.arm()
	_, err := vm.RunProgram(f.program)
	in.dog.disarm()
	if err != nil && in.exited {
		return nil, fmt.Errorf("script %s: top-level code called process.exit", f.name)
	}
	if err != nil {
		in.fail(cbLoad, err)
		return nil, fmt.Errorf("script %s: top-level code: %w", f.name, describe(err))
	}
	exports, err := in.findExports()
	if err != nil {
		return nil, fmt.Errorf("script %s: %w", f.name, err)
	}
	in.exports = exports
	for c := range numCallbacks {
		v := exports.Get(c.String())
		if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
			continue
		}
		fn, ok := goja.AssertFunction(v)
		if !ok {
			return nil, fmt.Errorf("script %s: ssExports.%s: want a function", f.name, c)
		}
		in.callbacks[c] = fn
	}
	in.rtSession = in.newSessionObject()
	return in, nil
}

// findExports returns exports.ssExports or module.exports.ssExports.
func (in *Instance) findExports() (*goja.Object, error) {
	for _, path := range [][2]string{{"module", "exports"}, {"exports", ""}} {
		v := in.vm.Get(path[0])
		if path[1] != "" {
			obj, ok := v.(*goja.Object)
			if !ok {
				continue
			}
			v = obj.Get(path[1])
		}
		obj, ok := v.(*goja.Object)
		if !ok {
			continue
		}
		if ss, ok := obj.Get("ssExports").(*goja.Object); ok {
			return ss, nil
		}
	}
	return nil, errors.New("the script does not set exports.ssExports to an object")
}

// bind records the session the relay passes to every callback.
func (in *Instance) bind(s relay.Session) {
	if in.session != nil || s == nil {
		return
	}
	in.session = s
	pending := in.pending
	in.pending = nil
	for _, t := range pending {
		if _, live := in.timers[t.id]; live {
			in.arm(t)
		}
	}
}

// logger returns the session's logger, or the factory's before there is one.
func (in *Instance) logger() *slog.Logger {
	var l *slog.Logger
	if in.session != nil {
		l = in.session.Logger()
	}
	if l == nil {
		l = in.f.opts.Logger.With("gameSessionId", in.info.GameSessionID)
	}
	return l.With("script", in.f.name, "script_version", in.f.version)
}

// call runs fn under the callback budget with this = ssExports. A returned
// promise that has settled stands for its value. The error is logged and counted
// (or nil after process.exit).
func (in *Instance) call(c callback, fn goja.Callable, args ...goja.Value) (goja.Value, error) {
	if in.exited {
		return nil, errExited
	}
	this := goja.Value(in.exports)
	if in.exports == nil {
		this = goja.Undefined()
	}
	v, err := in.run(fn, this, args)
	if err != nil {
		in.fail(c, err)
		return nil, err
	}
	if p, ok := v.Export().(*goja.Promise); ok {
		switch p.State() {
		case goja.PromiseStateFulfilled:
			v = p.Result()
		case goja.PromiseStateRejected:
			err := fmt.Errorf("promise rejected: %s", p.Result().String())
			in.fail(c, err)
			return nil, err
		default:
			v = goja.Undefined()
		}
	}
	return v, nil
}

// run calls fn with the watchdog armed.
func (in *Instance) run(fn goja.Callable, this goja.Value, args []goja.Value) (goja.Value, error) {
	in.dog.arm()
	defer in.dog.disarm()
	return fn(this, args...)
}

// errExited is the result of calling a script that called process.exit.
var errExited = errors.New("script: the script exited")

// fail logs and counts a callback's failure.
func (in *Instance) fail(c callback, err error) {
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		if _, ok := ie.Value().(exitRequest); ok {
			return
		}
		in.f.metrics.interrupts.WithLabelValues(in.f.name, c.String()).Inc()
		in.logger().Error("script callback interrupted: it ran past its time budget",
			"callback", c.String(), "budget", in.f.opts.CallbackBudget, "stack", ie.String())
		return
	}
	in.f.metrics.errors.WithLabelValues(in.f.name, c.String()).Inc()
	in.logger().Error("script callback failed", "callback", c.String(), "error", describe(err).Error())
}

// describe returns err with the JavaScript stack when it has one.
func describe(err error) error {
	var ex *goja.Exception
	if errors.As(err, &ex) {
		return errors.New(ex.String())
	}
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		return errors.New(ie.String())
	}
	return err
}

// exit handles process.exit: the session ends, the script runs no more.
func (in *Instance) exit(code int64) {
	in.exited = true
	in.clearTimers()
	in.processEnding()
	in.vm.Interrupt(exitRequest{code: code})
}

func (in *Instance) processEnding() {
	if in.ending || in.session == nil {
		return
	}
	in.ending = true
	in.session.ProcessEnding()
}

// isFalse reports whether v is the boolean false: the only refusal.
func isFalse(v goja.Value) bool {
	if v == nil {
		return false
	}
	b, ok := v.Export().(bool)
	return ok && !b
}

// allow runs a callback that may refuse; anything but a returned false (missing
// callback, error, interrupt, other value) allows.
func (in *Instance) allow(c callback, args ...goja.Value) bool {
	v, err := in.call(c, in.callbacks[c], args...)
	return err != nil || !isFalse(v)
}

// OnStartGameSession calls onStartGameSession(gameSession) and starts the timers
// set before the session existed.
func (in *Instance) OnStartGameSession(s relay.Session) {
	in.bind(s)
	if fn := in.callbacks[cbStartGameSession]; fn != nil {
		_, _ = in.call(cbStartGameSession, fn, in.gameSessionObject())
	}
}

// OnPlayerConnect calls onPlayerConnect(connectMsg); false refuses the player.
func (in *Instance) OnPlayerConnect(s relay.Session, p relay.Player, connectPayload []byte) bool {
	in.bind(s)
	if in.callbacks[cbPlayerConnect] == nil {
		return true
	}
	player := in.player(p)
	msg := in.newMessage(0, p.PeerID, true, connectPayload)
	msg.extra = map[string]goja.Value{
		"player":          player,
		"peerId":          in.vm.ToValue(p.PeerID),
		"playerSessionId": in.vm.ToValue(p.PlayerSessionID),
	}
	ok := in.allow(cbPlayerConnect, in.vm.NewDynamicObject(msg))
	if !ok {
		delete(in.players, p.PeerID)
	}
	return ok
}

// OnPlayerAccepted calls onPlayerAccepted(player).
func (in *Instance) OnPlayerAccepted(s relay.Session, p relay.Player) {
	in.bind(s)
	if fn := in.callbacks[cbPlayerAccepted]; fn != nil {
		_, _ = in.call(cbPlayerAccepted, fn, in.player(p))
	}
}

// OnPlayerDisconnect calls onPlayerDisconnect(peerId).
func (in *Instance) OnPlayerDisconnect(s relay.Session, peerID int32) {
	in.bind(s)
	if fn := in.callbacks[cbPlayerDisconnect]; fn != nil {
		_, _ = in.call(cbPlayerDisconnect, fn, in.vm.ToValue(peerID))
	}
	delete(in.players, peerID)
}

// OnPlayerJoinGroup calls onPlayerJoinGroup(groupId, peerId); false refuses.
func (in *Instance) OnPlayerJoinGroup(s relay.Session, groupID, peerID int32) bool {
	in.bind(s)
	if in.callbacks[cbPlayerJoinGroup] == nil {
		return true
	}
	return in.allow(cbPlayerJoinGroup, in.vm.ToValue(groupID), in.vm.ToValue(peerID))
}

// OnPlayerLeaveGroup calls onPlayerLeaveGroup(groupId, peerId); false refuses.
func (in *Instance) OnPlayerLeaveGroup(s relay.Session, groupID, peerID int32) bool {
	in.bind(s)
	if in.callbacks[cbPlayerLeaveGroup] == nil {
		return true
	}
	return in.allow(cbPlayerLeaveGroup, in.vm.ToValue(groupID), in.vm.ToValue(peerID))
}

// FiltersSendToPlayer reports whether the script defines onSendToPlayer; without
// it the relay delivers player messages without calling the script.
func (in *Instance) FiltersSendToPlayer() bool { return in.callbacks[cbSendToPlayer] != nil }

// FiltersSendToGroup reports whether the script defines onSendToGroup.
func (in *Instance) FiltersSendToGroup() bool { return in.callbacks[cbSendToGroup] != nil }

// OnSendToPlayer calls onSendToPlayer(gameMessage); false drops the message.
func (in *Instance) OnSendToPlayer(s relay.Session, m relay.Message) bool {
	in.bind(s)
	if in.callbacks[cbSendToPlayer] == nil {
		return true
	}
	return in.allow(cbSendToPlayer, in.messageValue(m))
}

// OnSendToGroup calls onSendToGroup(gameMessage); false drops the message.
func (in *Instance) OnSendToGroup(s relay.Session, m relay.Message) bool {
	in.bind(s)
	if in.callbacks[cbSendToGroup] == nil {
		return true
	}
	return in.allow(cbSendToGroup, in.messageValue(m))
}

// OnMessage calls onMessage(gameMessage).
func (in *Instance) OnMessage(s relay.Session, m relay.Message) {
	in.bind(s)
	if fn := in.callbacks[cbMessage]; fn != nil {
		_, _ = in.call(cbMessage, fn, in.messageValue(m))
	}
}

// OnHealthCheck calls onHealthCheck(); false reports the session unhealthy.
func (in *Instance) OnHealthCheck(s relay.Session) bool {
	in.bind(s)
	if in.callbacks[cbHealthCheck] == nil {
		return true
	}
	return in.allow(cbHealthCheck)
}

// OnProcessTerminate calls onProcessTerminate(); the script's timers stop.
func (in *Instance) OnProcessTerminate(s relay.Session) {
	in.bind(s)
	if fn := in.callbacks[cbProcessTerminate]; fn != nil {
		_, _ = in.call(cbProcessTerminate, fn)
	}
	in.clearTimers()
}

// MaxPlayers returns the script's configuration.maxPlayers (default 32).
func (in *Instance) MaxPlayers() int { return in.f.config.MaxPlayers }

// PingInterval returns the script's configuration.pingIntervalTime (default 3 s).
func (in *Instance) PingInterval() time.Duration { return in.f.config.PingInterval }

// Version returns the registry version of the script this instance runs (0 when
// it was not loaded from a Registry).
func (in *Instance) Version() int { return in.f.version }

// watchdog interrupts the runtime when a call runs past the budget. One timer is
// reused for every call; nested calls (a native function calling back into the
// script) share the outermost call's budget.
type watchdog struct {
	vm     *goja.Runtime
	budget time.Duration
	timer  *time.Timer
	fired  chan struct{}
	depth  int
}

func (w *watchdog) init(vm *goja.Runtime, budget time.Duration) {
	w.vm = vm
	w.budget = budget
	w.fired = make(chan struct{}, 1)
	w.timer = time.AfterFunc(time.Hour, func() {
		vm.Interrupt(errBudget)
		w.fired <- struct{}{}
	})
	w.timer.Stop()
}

func (w *watchdog) arm() {
	w.depth++
	if w.depth == 1 {
		w.timer.Reset(w.budget)
	}
}

// disarm stops the timer; when it has fired it waits for its function to finish
// and clears the interrupt so that the next call starts clean.
func (w *watchdog) disarm() {
	w.depth--
	if w.depth > 0 {
		return
	}
	if !w.timer.Stop() {
		<-w.fired
	}
	w.vm.ClearInterrupt()
}
