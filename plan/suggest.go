package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/plexform/plexform/internal/suggest"
)

// didYouMean names the known word closest to a misspelt one (at most two edits away),
// as ", did you mean \"absent\"?", or returns "".
func didYouMean(word string, known []string) string {
	best := suggest.Closest(word, known, 2)
	if best == "" {
		return ""
	}
	return ", did you mean \"" + best + "\"?"
}

// nearMiss returns the name of known that word is most likely a typo of: a small edit
// away ignoring case (one edit for short names, two for longer ones), but not the same
// name in another case, which is a match. "" when there is none.
func nearMiss(word string, known []string) string {
	lower := strings.ToLower(word)
	limit := 2
	switch n := len([]rune(word)); {
	case n < 4:
		return ""
	case n < 8:
		limit = 1
	}
	best, bestDist := "", limit+1
	for _, k := range known {
		d := suggest.Distance(lower, strings.ToLower(k))
		if d == 0 {
			return "" // the name is there, in some case
		}
		if d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// Warning is something in a plan that is probably not what was meant, at its place.
type Warning struct {
	File string
	Pos  Pos
	Msg  string
}

func (w Warning) String() string { return (&Error{File: w.File, Pos: w.Pos, Msg: w.Msg}).Error() }

// nearMisses warns about each name under absent: or set: that is not among have (the
// store's names; nil when there is no store to look at, as in validate) nor a sign-in
// name, but is a typo away from one of them: `absent: [PlexOnlineTokne]` would
// otherwise plan "nothing to remove" and leave the token in place.
func (r *Resource) nearMisses(have []string) []Warning {
	known := append(slices.Clone(have), SignInValues...)
	where := "one of Plex's sign-in names"
	if have != nil {
		where = "in the store"
	}
	var out []Warning
	check := func(field, name string, at Pos) {
		if len(lookupNames(have, name)) > 0 {
			return
		}
		if s := nearMiss(name, known); s != "" {
			out = append(out, Warning{Pos: at, Msg: fmt.Sprintf("%s: %s: %q is not %s; did you mean %q?", r.Name, field, name, where, s)})
		}
	}
	for i, name := range r.Absent {
		at := r.fieldPos["absent"]
		if i < len(r.absentPos) {
			at = r.absentPos[i]
		}
		check("absent", name, at)
	}
	for _, s := range r.Set {
		check("set", s.Name, s.Pos)
	}
	return out
}

// lookupNames returns the names equal to name ignoring case.
func lookupNames(names []string, name string) []string {
	var out []string
	for _, n := range names {
		if strings.EqualFold(n, name) {
			out = append(out, n)
		}
	}
	return out
}
