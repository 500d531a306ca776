package plan

import (
	"fmt"
	"slices"
	"strings"
)

// KindPlexSignin is a kind whose desired state is a working sign-in: the server's
// stored token is accepted by the server and (with online: true) by plex.tv. When it is
// broken, apply resets the sign-in values of its store and re-links the server.
const KindPlexSignin = "plex_signin"

// SignInValues are the values PMS keeps its sign-in in; a plex_signin resets them all.
var SignInValues = []string{"PlexOnlineToken", "PlexOnlineMail", "PlexOnlineUsername", "PlexOnlineHome"}

// IsSignInValue reports whether a store's value name is one of the sign-in values, in
// any case (a store's spelling may differ from Plex's).
func IsSignInValue(name string) bool {
	return slices.ContainsFunc(SignInValues, func(v string) bool { return strings.EqualFold(v, name) })
}

// DefaultPlexTV is plex.tv, asked about tokens and for link codes.
const DefaultPlexTV = "https://plex.tv"

// Signin is what a plex_signin resource states beyond the common fields (its service:,
// url: and timeout: are the Resource's own).
type Signin struct {
	State  string // "working", the only state
	Store  string // the store resource holding the sign-in
	Online bool   // ask plex.tv too
	PlexTV string // plex.tv's base URL
	Relink Relink
	// Force resets and re-links the sign-in whatever its verdict: what `plexform reset
	// -relink` applies, where a person asked for the reset and the verdict is only shown.
	Force bool
}

// Relink says how apply links the server again after a reset: with a claim token from
// the environment or a file, with a link code a person enters at plex.tv/link, or not
// at all (the next steps then say how to sign in by hand).
type Relink struct {
	ClaimToken *Source
	LinkCode   bool
}

// Method names the relink for output: "claim_token", "link_code" or "".
func (r Relink) Method() string {
	switch {
	case r.ClaimToken != nil:
		return "claim_token"
	case r.LinkCode:
		return "link_code"
	}
	return ""
}

// Verdicts of a plex_signin.
const (
	SigninWorking = "working"
	SigninBroken  = "broken"
	SigninUnknown = "unknown"
)

// SigninChange is the verdict on one plex_signin and what apply will do about it. It
// never holds a token, an e-mail address or a user name.
type SigninChange struct {
	Address string `json:"address"`
	Store   string `json:"store"`
	Verdict string `json:"verdict"`
	// Reason is the verdict's cause in a few words ("plex.tv rejects the stored token").
	Reason string `json:"reason"`
	// Evidence is what was observed, one line each.
	Evidence []string `json:"evidence"`
	// Revoked is set when plex.tv (or the server, on plex.tv's word) refused the token:
	// other tools signed in with the same account need re-linking too.
	Revoked bool `json:"revoked"`
	// Relink is the method apply will re-link with ("claim_token", "link_code"), or
	// empty when it will not re-link.
	Relink string `json:"relink,omitempty"`
	// Forced is set when the plex_signin has force: true: apply resets and re-links
	// whatever the verdict.
	Forced bool `json:"forced,omitempty"`
}

// Resets reports whether apply resets this sign-in: its verdict is broken, or the
// plex_signin forces it.
func (sc *SigninChange) Resets() bool {
	return sc.Verdict == SigninBroken || sc.Forced
}

// Relinks reports whether apply re-links the server after resetting this sign-in.
func (sc *SigninChange) Relinks() bool { return sc.Resets() && sc.Relink != "" }

// staleSignins lists the plex_signin verdicts that changed since a plan was saved:
// a saved "working" must not turn into a reset, nor a saved repair run on a sign-in
// that meanwhile works.
func staleSignins(saved, now []*SigninChange) []string {
	var reasons []string
	for _, s := range saved {
		i := slices.IndexFunc(now, func(n *SigninChange) bool { return n.Address == s.Address })
		switch {
		case i < 0:
			reasons = append(reasons, fmt.Sprintf("%s is no longer in the plan for this host", s.Address))
		case now[i].Verdict != s.Verdict || now[i].Relink != s.Relink || now[i].Forced != s.Forced:
			reasons = append(reasons, fmt.Sprintf("%s: the sign-in was %s when the plan was saved, and is %s now", s.Address, s.Verdict, now[i].Verdict))
		}
	}
	return reasons
}
