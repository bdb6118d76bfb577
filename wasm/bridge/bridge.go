//go:build js && wasm

// Package bridge is what the browser's two WebAssembly builds share: the
// simulator (wasm/) and the file tools loaded on first use (wasm/files/).
// It turns Go functions into JavaScript ones that never throw.
package bridge

import (
	"fmt"
	"runtime/debug"
	"syscall/js"
)

// Func is one function of a bridge: it reads its JavaScript arguments and
// returns a value for the page or an error.
type Func func(args []js.Value) (any, error)

// Register sets global[name] to an object whose functions are fns, each
// wrapped by Wrap. onPanic, when not nil, adds to a panic's result (the
// simulator adds the seed and the recording).
func Register(name string, fns map[string]Func, onPanic func(res map[string]any)) {
	api := js.Global().Get("Object").New()
	for fname, fn := range fns {
		api.Set(fname, js.FuncOf(Wrap(fname, fn, onPanic)))
	}
	js.Global().Set(name, api)
}

// Wrap turns fn into a JavaScript function that returns {ok, value} or
// {ok: false, error}; a panic inside Go comes back as {ok: false, panic:
// true, error} with the stack, so the page can show it.
func Wrap(name string, fn Func, onPanic func(res map[string]any)) func(js.Value, []js.Value) any {
	return func(_ js.Value, args []js.Value) (out any) {
		defer func() {
			if p := recover(); p != nil {
				res := Result(nil, fmt.Errorf("internal error in %s: %v\n%s", name, p, debug.Stack()))
				res["panic"] = true
				if onPanic != nil {
					onPanic(res)
				}
				out = res
			}
		}()
		v, err := fn(args)
		return Result(v, err)
	}
}

// Result is the object every bridge function returns.
func Result(v any, err error) map[string]any {
	if err != nil {
		return map[string]any{"ok": false, "error": err.Error()}
	}
	return map[string]any{"ok": true, "value": v}
}

// Need fails with the usage when fewer than n arguments came.
func Need(args []js.Value, n int, usage string) error {
	if len(args) < n {
		return fmt.Errorf("usage: %s", usage)
	}
	return nil
}

// Bytes copies a Uint8Array argument into Go, refusing one over max bytes;
// what names it in the error.
func Bytes(v js.Value, max int, what string) ([]byte, error) {
	n := v.Get("length").Int()
	if n > max {
		return nil, fmt.Errorf("%s: the file is %d bytes, over the limit of %d", what, n, max)
	}
	data := make([]byte, n)
	js.CopyBytesToGo(data, v)
	return data, nil
}

// Uint8Array copies b into a new JavaScript Uint8Array.
func Uint8Array(b []byte) js.Value {
	out := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(out, b)
	return out
}
