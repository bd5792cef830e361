package script

import (
	"slices"

	"github.com/dop251/goja"
)

// methodTable is an object's methods (or other properties) by name, each
// made for an instance the first time its script reads it (lazyObject). A
// table is built once per kind of object and never changed.
type methodTable struct {
	names []string // sorted: the order Object.keys lists them in
	make  map[string]func(in *Instance) any
}

func newMethodTable(makers map[string]func(in *Instance) any) *methodTable {
	t := &methodTable{make: makers}
	for name := range makers {
		t.names = append(t.names, name)
	}
	slices.Sort(t.names)
	return t
}

// lazyObject is a goja.DynamicObject whose methods are made when the script
// first reads them rather than with the object: a session's runtime holds
// only the functions its script uses. Made eagerly, the methods of
// rtSession, its logger, console and process were nearly a third of the
// memory of a session's runtime, which the relay keeps for every session it
// hosts (docs/scripts.md, BenchmarkNewSession). What the script sets or
// deletes behaves as on a plain object: a method it deletes stays deleted,
// a property it adds is listed after the methods, in the order added. As
// every goja DynamicObject, it cannot be frozen, sealed or made
// non-extensible: Object.freeze throws a TypeError.
type lazyObject struct {
	in      *Instance
	table   *methodTable
	own     map[string]goja.Value // methods made, and what the script set
	added   []string              // keys the script added, in order
	deleted map[string]bool       // methods the script deleted
}

func (in *Instance) newLazyObject(t *methodTable) *goja.Object {
	return in.vm.NewDynamicObject(&lazyObject{in: in, table: t})
}

func (o *lazyObject) method(key string) bool {
	_, ok := o.table.make[key]
	return ok && !o.deleted[key]
}

// Get implements goja.DynamicObject.
func (o *lazyObject) Get(key string) goja.Value {
	if v, ok := o.own[key]; ok {
		return v
	}
	if !o.method(key) {
		return nil
	}
	v := o.in.vm.ToValue(o.table.make[key](o.in))
	if o.own == nil {
		o.own = make(map[string]goja.Value)
	}
	o.own[key] = v
	return v
}

// Set implements goja.DynamicObject.
func (o *lazyObject) Set(key string, val goja.Value) bool {
	if _, ok := o.own[key]; !ok && !o.method(key) {
		o.added = append(o.added, key)
	}
	if o.own == nil {
		o.own = make(map[string]goja.Value)
	}
	o.own[key] = val
	return true
}

// Has implements goja.DynamicObject.
func (o *lazyObject) Has(key string) bool {
	_, ok := o.own[key]
	return ok || o.method(key)
}

// Delete implements goja.DynamicObject.
func (o *lazyObject) Delete(key string) bool {
	if o.method(key) {
		if o.deleted == nil {
			o.deleted = make(map[string]bool)
		}
		o.deleted[key] = true
	} else {
		o.added = slices.DeleteFunc(o.added, func(k string) bool { return k == key })
	}
	delete(o.own, key)
	return true
}

// Keys implements goja.DynamicObject.
func (o *lazyObject) Keys() []string {
	keys := make([]string, 0, len(o.table.names)+len(o.added))
	for _, k := range o.table.names {
		if !o.deleted[k] {
			keys = append(keys, k)
		}
	}
	return append(keys, o.added...)
}
