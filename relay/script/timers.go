package script

import (
	"time"

	"github.com/dop251/goja"
)

// jsTimer is one setTimeout, setInterval or setImmediate.
type jsTimer struct {
	id     int64
	fn     goja.Callable
	args   []goja.Value
	delay  time.Duration
	repeat bool
	stop   func() bool
}

// setTimer returns setTimeout (repeat false) or setInterval (repeat true):
// (fn, delayMs, ...args) -> id.
func (in *Instance) setTimer(repeat bool) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		fn, ok := goja.AssertFunction(call.Argument(0))
		if !ok {
			panic(in.vm.NewTypeError("setTimeout/setInterval: the callback must be a function"))
		}
		delay := time.Duration(call.Argument(1).ToFloat() * float64(time.Millisecond))
		return in.addTimer(fn, delay, repeat, call.Arguments)
	}
}

// setImmediate is setTimeout(fn, 0, ...args).
func (in *Instance) setImmediate(call goja.FunctionCall) goja.Value {
	fn, ok := goja.AssertFunction(call.Argument(0))
	if !ok {
		panic(in.vm.NewTypeError("setImmediate: the callback must be a function"))
	}
	var args []goja.Value
	if len(call.Arguments) > 1 {
		args = append([]goja.Value{call.Arguments[0], goja.Undefined()}, call.Arguments[1:]...)
	}
	return in.addTimer(fn, 0, false, args)
}

// addTimer registers a timer; arguments after the second of call are passed to
// fn. Before the game session exists the timer waits for it.
func (in *Instance) addTimer(fn goja.Callable, delay time.Duration, repeat bool, callArgs []goja.Value) goja.Value {
	if delay < MinTimerDelay {
		delay = MinTimerDelay
	}
	in.nextID++
	t := &jsTimer{id: in.nextID, fn: fn, delay: delay, repeat: repeat}
	if len(callArgs) > 2 {
		t.args = append([]goja.Value(nil), callArgs[2:]...)
	}
	if in.exited {
		return in.vm.ToValue(t.id)
	}
	in.timers[t.id] = t
	if in.session == nil {
		in.pending = append(in.pending, t)
	} else {
		in.arm(t)
	}
	return in.vm.ToValue(t.id)
}

func (in *Instance) arm(t *jsTimer) {
	t.stop = in.session.AfterFunc(t.delay, func() { in.fire(t) })
}

// fire runs a timer on the session's goroutine.
func (in *Instance) fire(t *jsTimer) {
	if in.timers[t.id] != t {
		return
	}
	if !t.repeat {
		delete(in.timers, t.id)
	}
	_, _ = in.call(cbTimer, t.fn, t.args...)
	if t.repeat && in.timers[t.id] == t {
		in.arm(t)
	}
}

// clearTimer is clearTimeout, clearInterval and clearImmediate.
func (in *Instance) clearTimer(call goja.FunctionCall) goja.Value {
	id := call.Argument(0).ToInteger()
	if t, ok := in.timers[id]; ok {
		delete(in.timers, id)
		if t.stop != nil {
			t.stop()
		}
	}
	return goja.Undefined()
}

// clearTimers stops every timer of the instance.
func (in *Instance) clearTimers() {
	for id, t := range in.timers {
		delete(in.timers, id)
		if t.stop != nil {
			t.stop()
		}
	}
	in.pending = nil
}
