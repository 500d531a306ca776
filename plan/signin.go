package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-multierror"
	"gopkg.in/yaml.v3"
)

// KindPlexSignin is a kind whose desired state is a working sign-in: the server's
// stored token is accepted by the server and (with online: true) by plex.tv. When it is
// broken, apply resets the sign-in values of its store and re-links the server.
const KindPlexSignin = "plex_signin"

// SignInValues are the values PMS keeps its sign-in in; a plex_signin resets them all.
var SignInValues = []string{"PlexOnlineToken", "PlexOnlineMail", "PlexOnlineUsername", "PlexOnlineHome"}

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

func init() {
	Register(&Kind{Name: KindPlexSignin, Doc: "keeps the server's sign-in working: resets and re-links it when plex.tv or the server rejects it",
		Fields:   []string{"state", "store", "service", "url", "online", "plex_tv", "relink", "force", "timeout"},
		Required: []string{"store"}})
	// Its own fields; signinField decodes them (and state:, which means working here).
	none := func(*decoder, *Resource, *yaml.Node, string) {}
	fieldTable["store"] = &field{doc: "the store resource whose sign-in is kept working", typ: typeName, decode: none}
	fieldTable["online"] = &field{doc: "also ask plex.tv whether it accepts the stored token", typ: typeBool, decode: none}
	fieldTable["plex_tv"] = &field{doc: "plex.tv's base URL (default https://plex.tv)", typ: typeURL, decode: none}
	fieldTable["force"] = &field{doc: "reset and re-link the sign-in whatever its verdict, also when it works (what plexform reset -relink applies); needs relink:", typ: typeBool, decode: none}
	fieldTable["relink"] = &field{doc: "how to link the server again: {claim_token: {env: VAR}} or {link_code: true} (a code only the account the server was signed in to can complete)", typ: typeRelink, decode: none}
}

// signinField decodes the fields only plex_signin has; it reports false for a field
// the common decoder handles.
func (d *decoder) signinField(r *Resource, key string, v *yaml.Node, what string) bool {
	if r.Signin == nil {
		r.Signin = &Signin{State: SigninWorking, PlexTV: DefaultPlexTV}
	}
	s := r.Signin
	switch key {
	case "state":
		if s.State = d.str(v, what); s.State != SigninWorking {
			d.errorf(v, "%s must be working (the only state a plex_signin keeps), not %q", what, s.State)
		}
	case "store":
		s.Store = d.str(v, what)
	case "online":
		s.Online = d.boolean(v, what)
	case "plex_tv":
		s.PlexTV = d.url(v, what)
	case "relink":
		d.relink(v, what, s)
	case "force":
		s.Force = d.boolean(v, what)
	default:
		return false
	}
	return true
}

func (d *decoder) boolean(n *yaml.Node, what string) bool {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.errorf(n, "%s must be true or false, not %s", what, describe(n))
		return false
	}
	return n.Value == "true"
}

func (d *decoder) relink(n *yaml.Node, what string, s *Signin) {
	given := 0
	d.fields(n, what, func(key string, k, v *yaml.Node) {
		switch key {
		case "claim_token":
			given++
			src := d.source(v, what+".claim_token")
			if src.HasLiteral {
				d.errorf(v, "%s.claim_token must come from {env: VAR} or {file: PATH}: a claim token is a secret and expires in minutes, so it never belongs in a plan file", what)
			}
			s.Relink.ClaimToken = &src
		case "link_code":
			given++
			if s.Relink.LinkCode = d.boolean(v, what+".link_code"); !s.Relink.LinkCode {
				d.errorf(v, "%s.link_code: false re-links nothing; leave relink: out instead", what)
			}
		default:
			d.errorf(k, "unknown field %q in %s (allowed: claim_token, link_code)", key, what)
		}
	})
	if n.Kind == yaml.MappingNode && given != 1 {
		d.errorf(n, "%s needs exactly one of claim_token: {env: VAR} or link_code: true", what)
	}
}

// finishSignin fills a plex_signin's defaults once its fields are read.
func (d *decoder) finishSignin(r *Resource) {
	if r.Signin == nil {
		r.Signin = &Signin{State: SigninWorking, PlexTV: DefaultPlexTV}
	}
	if r.URL == "" {
		r.URL = DefaultServerURL
	}
	// A forced reset without a re-link is a store's absent: (what plexform reset
	// -relink none applies); force: is for signing the server in again.
	if r.Signin.Force && r.Signin.Relink.Method() == "" {
		d.errs = multierror.Append(d.errs, &Error{File: d.file, Pos: r.fieldPos["force"],
			Msg: fmt.Sprintf("plex_signin %q has force: true but no relink:; add relink: {link_code: true} or {claim_token: {env: VAR}}, or list the sign-in values under its store's absent: instead", r.Name)})
	}
}

// keptSignedIn returns the plex_signin resources of the plan by the store they keep.
func keptSignedIn(p *Plan) map[string]*Resource {
	out := map[string]*Resource{}
	for _, r := range p.Resources {
		if r.Kind == KindPlexSignin && r.Signin != nil && r.Signin.Store != "" {
			out[r.Signin.Store] = r
		}
	}
	return out
}

// validateSignins checks each plex_signin's store and service, and gives its store the
// service when only the plex_signin names it (the reset must happen with Plex down).
// It runs before the per-resource checks, which then see that service.
func (d *decoder) validateSignins(p *Plan, byName map[string]*Resource) {
	for _, r := range p.Resources {
		if r.Kind != KindPlexSignin || r.Signin == nil || r.Signin.Store == "" {
			continue
		}
		st, ok := byName[r.Signin.Store]
		if !ok || !st.IsStore() {
			d.checkRef(p, r, "store", r.Signin.Store, byName, (*Resource).IsStore, "a store")
			continue
		}
		for _, other := range p.Resources {
			if other != r && other.Kind == KindPlexSignin && other.Signin != nil && other.Signin.Store == st.Name {
				d.errs = multierror.Append(d.errs, &Error{File: d.file, Pos: r.fieldPos["store"],
					Msg: fmt.Sprintf("plex_signin %q and %q both keep store %q signed in; keep one", other.Name, r.Name, st.Name)})
				break
			}
		}
		for _, a := range st.Absent {
			if slices.ContainsFunc(SignInValues, func(v string) bool { return strings.EqualFold(v, a) }) {
				d.errs = multierror.Append(d.errs, &Error{File: d.file, Pos: st.fieldPos["absent"],
					Msg: fmt.Sprintf("store %q lists %s under absent:, but plex_signin %q keeps it signed in and resets the sign-in only when it is broken; drop the sign-in values from absent:", st.Name, a, r.Name)})
				break
			}
		}
		if !slices.Equal(st.When.OS, r.When.OS) {
			d.errs = multierror.Append(d.errs, &Error{File: d.file, Pos: r.Pos,
				Msg: fmt.Sprintf("plex_signin %q and its store %q must have the same when: (the sign-in is checked where the store is)", r.Name, st.Name)})
		}
		switch {
		case st.Service == "" && r.Service == "":
			d.errs = multierror.Append(d.errs, &Error{File: d.file, Pos: r.Pos,
				Msg: fmt.Sprintf("plex_signin %q needs service: (or its store %q does): the reset happens while Plex is stopped, and the re-link once it runs", r.Name, st.Name)})
		case st.Service == "":
			st.Service = r.Service
			st.fieldPos["service"] = r.fieldPos["service"]
		case r.Service == "":
			r.Service = st.Service
			r.fieldPos["service"] = st.fieldPos["service"]
		case st.Service != r.Service:
			d.errs = multierror.Append(d.errs, &Error{File: d.file, Pos: r.fieldPos["service"],
				Msg: fmt.Sprintf("plex_signin %q names service %q, but its store %q is guarded by %q; they must be the same", r.Name, r.Service, st.Name, st.Service)})
		}
	}
}

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
