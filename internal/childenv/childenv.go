// Package childenv is the one rule for the environment of every command plexform runs
// (systemctl, s6-svc, launchctl, defaults, a plan's own exec commands...): it is this
// process's environment minus the variables registered with Hide.
//
// A plan may take a secret from the environment ({env: PLEX_CLAIM}); the caller that
// resolves such a value registers its name, and from then on no child process sees it
// (a child's environment is readable by its user, in /proc/PID/environ, and often ends up
// in logs). Every exec site in plexform builds its command's environment with Environ or
// Apply, so one registration covers all of them.
package childenv

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
)

var (
	mu     sync.RWMutex
	hidden = map[string]bool{}
)

// Hide registers variable names that no child process may see, for the rest of this
// process's life. Names match as the OS matches them (ignoring case on Windows).
func Hide(names ...string) {
	mu.Lock()
	defer mu.Unlock()
	for _, n := range names {
		if n != "" {
			hidden[key(n)] = true
		}
	}
}

// Hidden reports whether name is registered.
func Hidden(name string) bool {
	mu.RLock()
	defer mu.RUnlock()
	return hidden[key(name)]
}

// Environ returns this process's environment without the hidden variables: the
// environment a child process gets.
func Environ() []string { return Filter(os.Environ()) }

// Filter returns env ("NAME=value" entries) without the hidden variables.
func Filter(env []string) []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !hidden[key(nameOf(kv))] {
			out = append(out, kv)
		}
	}
	return out
}

// Apply gives cmd the environment Environ returns, or, when cmd.Env is set already,
// removes the hidden variables from it. Call it before cmd starts.
func Apply(cmd *exec.Cmd) {
	if cmd.Env == nil {
		cmd.Env = Environ()
		return
	}
	cmd.Env = Filter(cmd.Env)
}

// nameOf is the name part of "NAME=value". Windows keeps per-drive directories as
// "=C:=C:\dir", whose name starts with '='.
func nameOf(kv string) string {
	start := 0
	if strings.HasPrefix(kv, "=") {
		start = 1
	}
	if i := strings.IndexByte(kv[start:], '='); i >= 0 {
		return kv[:start+i]
	}
	return kv
}

func key(name string) string {
	if runtime.GOOS == "windows" {
		return strings.ToUpper(name)
	}
	return name
}
