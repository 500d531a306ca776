package plan

import (
	"fmt"
	"slices"
	"strings"
)

// didYouMean names the known word closest to a misspelt one (at most two edits away),
// as ", did you mean \"absent\"?", or returns "".
func didYouMean(word string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := editDistance(word, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return ", did you mean \"" + best + "\"?"
}

// editDistance is the Levenshtein distance, with a swap of two neighbours counting as
// one edit (the commonest typo: "absnet").
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// SignInNames are the values that hold Plex Media Server's sign-in.
var SignInNames = []string{"PlexOnlineToken", "PlexOnlineMail", "PlexOnlineUsername", "PlexOnlineHome"}

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
		d := editDistance(lower, strings.ToLower(k))
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
	known := append(slices.Clone(have), SignInNames...)
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
