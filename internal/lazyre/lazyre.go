// Package lazyre holds regular expressions that are compiled the first time they are
// used, not when the program starts. Compiled at package init, plexform's patterns cost
// every command about a millisecond of start-up (issue 11: the e-mail pattern of redact
// alone is most of it), though each command uses a few of them at most.
//
// A Regexp has the methods of *regexp.Regexp that plexform calls, so a package-level
// `var x = regexp.MustCompile(expr)` becomes `var x = lazyre.New(expr)` and its call
// sites stay as they are. A bad pattern panics on first use, as MustCompile would at
// init; every pattern is a constant that the package's own tests exercise.
package lazyre

import (
	"regexp"
	"sync"
)

// Regexp is a regular expression compiled on first use; it is safe for concurrent use.
type Regexp struct {
	compiled func() *regexp.Regexp
}

// New returns expr, to be compiled with regexp.MustCompile when first used.
func New(expr string) *Regexp {
	return &Regexp{compiled: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })}
}

// Regexp is the compiled expression, for methods not forwarded here.
func (r *Regexp) Regexp() *regexp.Regexp { return r.compiled() }

// String is the source text.
func (r *Regexp) String() string { return r.compiled().String() }

// Match is regexp.Regexp.Match.
func (r *Regexp) Match(b []byte) bool { return r.compiled().Match(b) }

// MatchString is regexp.Regexp.MatchString.
func (r *Regexp) MatchString(s string) bool { return r.compiled().MatchString(s) }

// FindString is regexp.Regexp.FindString.
func (r *Regexp) FindString(s string) string { return r.compiled().FindString(s) }

// FindSubmatch is regexp.Regexp.FindSubmatch.
func (r *Regexp) FindSubmatch(b []byte) [][]byte { return r.compiled().FindSubmatch(b) }

// FindStringSubmatch is regexp.Regexp.FindStringSubmatch.
func (r *Regexp) FindStringSubmatch(s string) []string { return r.compiled().FindStringSubmatch(s) }

// ReplaceAllString is regexp.Regexp.ReplaceAllString.
func (r *Regexp) ReplaceAllString(src, repl string) string {
	return r.compiled().ReplaceAllString(src, repl)
}

// ReplaceAllStringFunc is regexp.Regexp.ReplaceAllStringFunc.
func (r *Regexp) ReplaceAllStringFunc(src string, repl func(string) string) string {
	return r.compiled().ReplaceAllStringFunc(src, repl)
}
