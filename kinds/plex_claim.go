package kinds

import (
	"gopkg.in/yaml.v3"

	"github.com/plexform/plexform/plan"
)

// The plex_claim kind's fields decode into the Resource's claim fields (Token, URL,
// Method, ExchangeURL, Preferences), which host/claims.go and the executor read.
func init() {
	plan.Register(&plan.Kind{
		Name: plan.KindPlexClaim, Doc: "claims the server for a plex.tv account with a claim token", Role: plan.RoleClaim,
		Fields:   []string{"token", "url", "service", "method", "exchange_url", "preferences", "timeout"},
		Required: []string{"token", "service"},
		Own: map[string]*plan.Field{
			"token": {Doc: "the claim token, from {env: VAR} or {file: PATH}", Type: plan.FieldSecret, Decode: func(d *plan.Decoder, r *plan.Resource, v *yaml.Node, what string) {
				claimOf(r).Token = d.Source(v, what)
				if claimOf(r).Token.HasLiteral {
					d.Errorf(v, "%s must come from {env: VAR} or {file: PATH}: a claim token is a secret and expires in minutes, so it never belongs in a plan file", what)
				}
			}},
			"url": serverURLField,
			"exchange_url": {Doc: "the claim exchange's base URL", Type: plan.FieldURL, Decode: func(d *plan.Decoder, r *plan.Resource, v *yaml.Node, what string) {
				claimOf(r).ExchangeURL = d.URL(v, what)
			}},
			"method": {Doc: "local (through the server) or exchange (through plex.tv, then write the token)", Type: plan.FieldEnum, Enum: func() []string { return []string{"local", "exchange"} },
				Decode: func(d *plan.Decoder, r *plan.Resource, v *yaml.Node, what string) {
					if claimOf(r).Method = d.Str(v, what); claimOf(r).Method != "local" && claimOf(r).Method != "exchange" {
						d.Errorf(v, "%s must be local (claim through the server) or exchange (through plex.tv, then write the token), not %q", what, claimOf(r).Method)
					}
				}},
			"preferences": {Doc: "the store resource the exchanged token is written into", Type: plan.FieldName,
				Decode: func(d *plan.Decoder, r *plan.Resource, v *yaml.Node, what string) {
					claimOf(r).Preferences = d.Str(v, what)
				}},
		},
		Finish: func(d *plan.Decoder, r *plan.Resource) {
			if r.URL == "" {
				r.URL = plan.DefaultServerURL
			}
			if claimOf(r).ExchangeURL == "" {
				claimOf(r).ExchangeURL = plan.DefaultExchangeURL
			}
			if claimOf(r).Method == "" {
				claimOf(r).Method = "local"
			}
			if claimOf(r).Method == "exchange" && claimOf(r).Preferences == "" {
				d.ErrorAt(r.Pos, "plex_claim %q with method: exchange needs preferences: (the store resource to write PlexOnlineToken into)", r.Name)
			}
		},
		Validate: func(d *plan.Decoder, p *plan.Plan, r *plan.Resource, byName map[string]*plan.Resource) {
			if r.Service != "" { // a missing one is reported where the resource is
				d.CheckRef(p, r, "service", r.Service, byName, (*plan.Resource).IsService, "a service")
			}
			if claimOf(r).Preferences != "" {
				d.CheckRef(p, r, "preferences", claimOf(r).Preferences, byName, (*plan.Resource).IsStore, "a store")
			}
		},
		SchemaRules: []map[string]any{{"if": map[string]any{"properties": map[string]any{"method": map[string]any{"const": "exchange"}}, "required": []string{"method"}},
			"then": map[string]any{"required": []string{"preferences"}}}},
	})
}

// serverURLField is the url: of plex_claim and plex_signin: the server they talk to.
var serverURLField = &plan.Field{Doc: "the server's URL", Type: plan.FieldURL,
	Decode: func(d *plan.Decoder, r *plan.Resource, v *yaml.Node, what string) { r.URL = d.URL(v, what) }}

// claimOf is the plex_claim's own fields, made on first use.
func claimOf(r *plan.Resource) *plan.Claim {
	if r.Claim == nil {
		r.Claim = &plan.Claim{}
	}
	return r.Claim
}
