package kinds

import (
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/plexform/plexform/plan"
)

// The plex_signin kind's fields decode into the Resource's Signin (plan.Signin), which
// its runtime reads; its service:, url: and timeout: are the Resource's own.
func init() {
	plan.Register(&plan.Kind{
		Name: plan.KindPlexSignin, Doc: "keeps the server's sign-in working: resets and re-links it when plex.tv or the server rejects it",
		Fields:   []string{"state", "store", "service", "url", "online", "plex_tv", "relink", "force", "timeout"},
		Required: []string{"store"},
		Own: map[string]*plan.Field{
			// state: means working here, the only state a plex_signin keeps; its doc is the
			// shared state:'s, as the published schema has it.
			"state": {Doc: plan.StateDoc, Schema: func() map[string]any { return map[string]any{"const": plan.SigninWorking} },
				Decode: func(d *plan.Decoder, r *plan.Resource, v *yaml.Node, what string) {
					s := signinOf(r)
					if s.State = d.Str(v, what); s.State != plan.SigninWorking {
						d.Errorf(v, "%s must be working (the only state a plex_signin keeps), not %q", what, s.State)
					}
				}},
			"store": {Doc: "the store resource whose sign-in is kept working", Type: plan.FieldName,
				Decode: func(d *plan.Decoder, r *plan.Resource, v *yaml.Node, what string) { signinOf(r).Store = d.Str(v, what) }},
			"url": serverURLField,
			"online": {Doc: "also ask plex.tv whether it accepts the stored token", Type: plan.FieldBool,
				Decode: func(d *plan.Decoder, r *plan.Resource, v *yaml.Node, what string) {
					signinOf(r).Online = d.Bool(v, what)
				}},
			"plex_tv": {Doc: "plex.tv's base URL (default https://plex.tv)", Type: plan.FieldURL,
				Decode: func(d *plan.Decoder, r *plan.Resource, v *yaml.Node, what string) {
					signinOf(r).PlexTV = d.URL(v, what)
				}},
			"force": {Doc: "reset and re-link the sign-in whatever its verdict, also when it works (what plexform reset -relink applies); needs relink:", Type: plan.FieldBool,
				Decode: func(d *plan.Decoder, r *plan.Resource, v *yaml.Node, what string) {
					signinOf(r).Force = d.Bool(v, what)
				}},
			"relink": {Doc: "how to link the server again: {claim_token: {env: VAR}} or {link_code: true} (a code only the account the server was signed in to can complete)",
				Schema: relinkSchema,
				Decode: func(d *plan.Decoder, r *plan.Resource, v *yaml.Node, what string) { relink(d, v, what, signinOf(r)) }},
		},
		Finish: func(d *plan.Decoder, r *plan.Resource) {
			s := signinOf(r)
			if r.URL == "" {
				r.URL = plan.DefaultServerURL
			}
			// A forced reset without a re-link is a store's absent: (what plexform reset
			// -relink none applies); force: is for signing the server in again.
			if s.Force && s.Relink.Method() == "" {
				at, _ := r.FieldPos("force")
				d.ErrorAt(at, "plex_signin %q has force: true but no relink:; add relink: {link_code: true} or {claim_token: {env: VAR}}, or list the sign-in values under its store's absent: instead", r.Name)
			}
		},
		Link: linkSignin,
		Keeps: func(r *plan.Resource) string {
			if r.Signin == nil {
				return ""
			}
			return r.Signin.Store
		},
		Validate: func(d *plan.Decoder, p *plan.Plan, r *plan.Resource, byName map[string]*plan.Resource) {
			if r.Service != "" && r.Signin != nil && keptSignedIn(p)[r.Signin.Store] == r {
				d.CheckRef(p, r, "service", r.Service, byName, (*plan.Resource).IsService, "a service")
			}
		},
	})
}

// signinOf is the resource's Signin, made with its defaults when the first of its
// fields is read.
func signinOf(r *plan.Resource) *plan.Signin {
	if r.Signin == nil {
		r.Signin = &plan.Signin{State: plan.SigninWorking, PlexTV: plan.DefaultPlexTV}
	}
	return r.Signin
}

func relink(d *plan.Decoder, n *yaml.Node, what string, s *plan.Signin) {
	given := 0
	d.Fields(n, what, func(key string, k, v *yaml.Node) {
		switch key {
		case "claim_token":
			given++
			src := d.Source(v, what+".claim_token")
			if src.HasLiteral {
				d.Errorf(v, "%s.claim_token must come from {env: VAR} or {file: PATH}: a claim token is a secret and expires in minutes, so it never belongs in a plan file", what)
			}
			s.Relink.ClaimToken = &src
		case "link_code":
			given++
			if s.Relink.LinkCode = d.Bool(v, what+".link_code"); !s.Relink.LinkCode {
				d.Errorf(v, "%s.link_code: false re-links nothing; leave relink: out instead", what)
			}
		default:
			d.Errorf(k, "unknown field %q in %s (allowed: claim_token, link_code)", key, what)
		}
	})
	if n.Kind == yaml.MappingNode && given != 1 {
		d.Errorf(n, "%s needs exactly one of claim_token: {env: VAR} or link_code: true", what)
	}
}

// relinkSchema is relink:'s JSON Schema: a claim token from a secret, or a link code.
func relinkSchema() map[string]any {
	type obj = map[string]any
	return obj{"oneOf": []any{
		obj{"type": "object", "additionalProperties": false, "required": []string{"claim_token"}, "properties": obj{"claim_token": obj{"$ref": "#/$defs/secret"}}},
		obj{"type": "object", "additionalProperties": false, "required": []string{"link_code"}, "properties": obj{"link_code": obj{"const": true}}},
	}}
}

// keptSignedIn returns the plex_signin resources of the plan by the store they keep.
func keptSignedIn(p *plan.Plan) map[string]*plan.Resource {
	out := map[string]*plan.Resource{}
	for _, r := range p.Resources {
		if r.Kind == plan.KindPlexSignin && r.Signin != nil && r.Signin.Store != "" {
			out[r.Signin.Store] = r
		}
	}
	return out
}

// linkSignin checks a plex_signin's store and service, and gives its store the service
// when only the plex_signin names it (the reset must happen with Plex down). It runs
// before the references are checked, which then see that service.
func linkSignin(d *plan.Decoder, p *plan.Plan, r *plan.Resource, byName map[string]*plan.Resource) {
	if r.Signin == nil || r.Signin.Store == "" {
		return
	}
	st, ok := byName[r.Signin.Store]
	if !ok || !st.IsStore() {
		d.CheckRef(p, r, "store", r.Signin.Store, byName, (*plan.Resource).IsStore, "a store")
		return
	}
	storeAt, _ := r.FieldPos("store")
	for _, other := range p.Resources {
		if other != r && other.Kind == plan.KindPlexSignin && other.Signin != nil && other.Signin.Store == st.Name {
			d.ErrorAt(storeAt, "plex_signin %q and %q both keep store %q signed in; keep one", other.Name, r.Name, st.Name)
			break
		}
	}
	for _, a := range st.Absent {
		if plan.IsSignInValue(a) {
			absentAt, _ := st.FieldPos("absent")
			d.ErrorAt(absentAt, "store %q lists %s under absent:, but plex_signin %q keeps it signed in and resets the sign-in only when it is broken; drop the sign-in values from absent:", st.Name, a, r.Name)
			break
		}
	}
	if !slices.Equal(st.When.OS, r.When.OS) {
		d.ErrorAt(r.Pos, "plex_signin %q and its store %q must have the same when: (the sign-in is checked where the store is)", r.Name, st.Name)
	}
	serviceAt, _ := r.FieldPos("service")
	storeServiceAt, _ := st.FieldPos("service")
	switch {
	case st.Service == "" && r.Service == "":
		d.ErrorAt(r.Pos, "plex_signin %q needs service: (or its store %q does): the reset happens while Plex is stopped, and the re-link once it runs", r.Name, st.Name)
	case st.Service == "":
		st.Service = r.Service
		st.SetFieldPos("service", serviceAt)
	case r.Service == "":
		r.Service = st.Service
		r.SetFieldPos("service", storeServiceAt)
	case st.Service != r.Service:
		d.ErrorAt(serviceAt, "plex_signin %q names service %q, but its store %q is guarded by %q; they must be the same", r.Name, r.Service, st.Name, st.Service)
	}
}
