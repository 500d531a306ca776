package host

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/signin"
)

// Claim is one plex_claim resource: the server it claims, and the claim token, which is
// never printed, saved or put in an error.
type Claim struct {
	Resource *plan.Resource
	Server   *signin.Server
	Token    string
	Service  *Service
	// Exchange and Prefs are set for method exchange: the token from plex.tv is written
	// as PlexOnlineToken into Prefs while the server is stopped.
	Exchange *signin.Exchange
	Prefs    *Store
}

// DefaultClaimTimeout bounds the wait for a server to say claimed="1".
const DefaultClaimTimeout = 60 * time.Second

// Timeout bounds the claim's waits.
func (c *Claim) Timeout() time.Duration {
	if c.Resource.Timeout > 0 {
		return c.Resource.Timeout
	}
	return DefaultClaimTimeout
}

const tokenName = "PlexOnlineToken"

func (h *Host) openClaim(r *plan.Resource, services map[string]*Service) (*Claim, error) {
	token, err := h.claimToken(r.Token)
	if err != nil {
		return nil, err
	}
	c := &Claim{Resource: r, Server: &signin.Server{URL: r.URL, Timeout: r.Timeout}, Token: token, Service: services[r.Service]}
	if c.Service == nil {
		return nil, fmt.Errorf("its service %q does not apply to %s (check its when:)", r.Service, h.Options.GOOS)
	}
	if r.Method != "exchange" {
		return c, nil
	}
	if c.Prefs = h.Store(r.Preferences); c.Prefs == nil {
		return nil, fmt.Errorf("its preferences %q do not apply to %s (check its when:)", r.Preferences, h.Options.GOOS)
	}
	c.Exchange = &signin.Exchange{BaseURL: r.ExchangeURL, Timeout: r.Timeout}
	// The token from the exchange is the desired PlexOnlineToken, whatever else the plan
	// says of it (a reset-and-claim plan lists it under absent:).
	want := c.Prefs.Want[:0:0]
	for _, d := range c.Prefs.Want {
		if !strings.EqualFold(d.Name, tokenName) {
			want = append(want, d)
		}
	}
	c.Prefs.Want = append(want, plan.Desired{Name: tokenName, Sensitive: true, Deferred: true})
	return c, nil
}

// claimToken reads a claim token from its source and checks its shape, so a typo fails
// before anything runs; the token itself is never in the error.
func (h *Host) claimToken(src plan.Source) (string, error) {
	token, err := h.Plan.Resolve(src, h.Options.Root, h.secretEnv)
	if err != nil {
		return "", fmt.Errorf("claim token: %w", err)
	}
	if !signin.ValidShape(token) {
		return "", fmt.Errorf("the claim token from %s is not a claim token (claim- and 20 letters, digits, - or _); get one at plex.tv/claim", sourceName(src))
	}
	return strings.TrimSpace(token), nil
}

func sourceName(s plan.Source) string {
	if s.Env != "" {
		return "$" + s.Env
	}
	return s.File
}

// identityTimeout keeps plan quick when the server is down.
const identityTimeout = 3 * time.Second

// diff decides whether the claim is needed: when the server is not claimed now, or when
// this apply removes sign-in values it holds (the reset unclaims it).
func (c *Claim) diff(ctx context.Context, ch *plan.Changes, used usedClaims) *plan.ClaimChange {
	cc := &plan.ClaimChange{Address: c.Resource.Name, URL: signin.Redacted(c.Server.URL), Method: c.Resource.Method, Claim: true}
	if c.spent(used) {
		cc.Claim, cc.Reason = false, "this claim token already signed the server in (a new token claims again)"
		return cc
	}
	if c.resets(ch) {
		cc.Reason = "this apply removes its sign-in"
		return cc
	}
	ctx, cancel := context.WithTimeout(ctx, identityTimeout)
	defer cancel()
	id, err := c.Server.Identity(ctx)
	switch {
	case err != nil:
		cc.Reason = "the server does not answer /identity now"
	case !id.Claimed:
		cc.Reason = "the server is not claimed"
	default:
		cc.Claim, cc.Reason = false, "the server is claimed"
	}
	return cc
}

// resets reports whether the diff removes PlexOnline* values from a store this claim's
// service guards (or that it writes the token into).
func (c *Claim) resets(ch *plan.Changes) bool {
	for _, rc := range ch.Resources {
		if !c.touches(rc.Address) {
			continue
		}
		for _, v := range rc.Values {
			if v.Action == plan.Remove && strings.HasPrefix(strings.ToLower(v.StoreName), "plexonline") {
				return true
			}
		}
	}
	return false
}

// settleClaims drops what a satisfied claim would otherwise redo: the exchange's token
// write, and, once its token has signed the server in, the reset of the sign-in values
// that the server now holds by that very signin. An applied reset-and-claim plan thus
// shows no change while the same token is given.
func (h *Host) settleClaims(ch *plan.Changes, used usedClaims) {
	for _, c := range h.Claims {
		if claimNeeded(ch, c.Resource.Name) {
			continue
		}
		spent := c.spent(used)
		for _, rc := range ch.Resources {
			if !c.touches(rc.Address) {
				continue
			}
			kept := rc.Values[:0]
			for _, v := range rc.Values {
				signIn := v.Action == plan.Remove && strings.HasPrefix(strings.ToLower(v.StoreName), "plexonline")
				if v.Deferred || (spent && signIn) {
					continue
				}
				kept = append(kept, v)
			}
			rc.Values = kept
		}
	}
}

// touches reports whether a store is guarded by this claim's service or written by it.
func (c *Claim) touches(store string) bool {
	if c.Prefs != nil && store == c.Prefs.Resource.Name {
		return true
	}
	return slices.Contains(c.Service.guards, store)
}

func claimNeeded(ch *plan.Changes, address string) bool {
	for _, cc := range ch.Claims {
		if cc.Address == address {
			return cc.Claim
		}
	}
	return false
}

// ResolveDeferred exchanges the claim token at plex.tv for the server's own token and
// makes it the desired PlexOnlineToken. It runs after the stop (the token is written
// while the server is down) and only for claims this apply needs.
func (h *Host) ResolveDeferred(ctx context.Context, ch *plan.Changes) (resolved bool, err error) {
	for _, c := range h.Claims {
		if c.Exchange == nil || !claimNeeded(ch, c.Resource.Name) {
			continue
		}
		st, err := c.Prefs.Store.Read(ctx)
		if err != nil {
			return resolved, fmt.Errorf("%s: %w", c.Resource.Name, err)
		}
		id, ok := st.Values["ProcessedMachineIdentifier"]
		if !ok || id.Text == "" {
			return resolved, fmt.Errorf("%s: %s has no ProcessedMachineIdentifier, which the claim exchange needs; start Plex once so it makes one", c.Resource.Name, c.Prefs.Store.Target())
		}
		ex := *c.Exchange
		ex.ClientIdentifier = id.Text
		token, err := ex.Token(ctx, c.Token)
		if err != nil {
			return resolved, fmt.Errorf("%s: %w", c.Resource.Name, err)
		}
		resolved = true
		for i := range c.Prefs.Want {
			if c.Prefs.Want[i].Deferred {
				c.Prefs.Want[i].Value.Text = token
				c.Prefs.Want[i].Deferred = false
			}
		}
	}
	return resolved, nil
}

// Claimed runs a local claim after the server started: nothing when it already says
// claimed, else POST /myplex/claim and wait for claimed="1". An exchange claim only
// waits: the server signs itself in with the token written before the start.
func (c *Claim) Claimed(ctx context.Context) error {
	id, err := c.Server.WaitReachable(ctx, c.Timeout())
	if err != nil {
		return err
	}
	if !id.Claimed && c.Exchange == nil {
		if err := c.Server.Claim(ctx, c.Token); err != nil && !errors.Is(err, signin.ErrAlreadyClaimed) {
			return err
		}
	}
	return c.Server.WaitClaimed(ctx, c.Timeout())
}

// usedClaims is the state file that remembers claim tokens already spent. A claim token
// is the user's intent: "sign this server in with this token". Once it has signed the
// server in, the same plan again must change nothing; with a new token it resets and
// claims again. Only salted digests are kept.
const usedClaimsFile = "claims-used.json"

type usedClaims struct {
	Salt    string            `json:"salt"`
	Digests map[string]string `json:"digests"` // claim resource name → digest of its token
}

// maxUsedClaims bounds the read of the state file: a salt and a digest per claim
// resource fit in a few hundred bytes, so anything near this is not ours.
const maxUsedClaims = 1 << 20

// loadUsedClaims reads the spent tokens through the trusted state dir. A plan without
// claims reads nothing; a missing file (or dir) is an empty record, and a dir or file
// plexform does not trust is an error rather than a record to believe.
func (h *Host) loadUsedClaims() (usedClaims, error) {
	u := usedClaims{Digests: map[string]string{}}
	if h.Options.State == nil || len(h.Claims) == 0 {
		return u, nil
	}
	data, err := h.Options.State.ReadFile(usedClaimsFile, maxUsedClaims)
	if errors.Is(err, fs.ErrNotExist) {
		return u, nil
	}
	if err != nil {
		return u, fmt.Errorf("read the spent claim tokens: %w", err)
	}
	u, err = parseUsedClaims(data)
	if err != nil {
		return u, fmt.Errorf("%s is damaged or not plexform's (%w); move it away: the claims it remembers then run again",
			h.Options.State.StatePath(usedClaimsFile), err)
	}
	return u, nil
}

// parseUsedClaims decodes the state file strictly, as RecordClaims writes it: one
// object with a salt of 16 bytes in hex and, per claim resource name, a sha256 digest
// in hex. Anything else (garbage, a truncated write, someone else's file) is an error
// that names what is wrong and never quotes the file.
func parseUsedClaims(data []byte) (usedClaims, error) {
	u := usedClaims{Digests: map[string]string{}}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&u); err != nil {
		return usedClaims{Digests: map[string]string{}}, errors.New("not the JSON object plexform writes")
	}
	if dec.More() {
		return usedClaims{Digests: map[string]string{}}, errors.New("more after its JSON object")
	}
	if !isHex(u.Salt, 32) {
		return usedClaims{Digests: map[string]string{}}, errors.New("its salt is not 16 bytes in hex")
	}
	if u.Digests == nil {
		u.Digests = map[string]string{}
	}
	for name, d := range u.Digests {
		if !plan.ValidName(name) || !isHex(d, 2*sha256.Size) {
			return usedClaims{Digests: map[string]string{}}, errors.New("an entry is not a resource name with a sha256 digest")
		}
	}
	return u, nil
}

// isHex reports whether s is n lower-case hex digits, as hex.EncodeToString writes them.
func isHex(s string, n int) bool {
	return len(s) == n && strings.Trim(s, "0123456789abcdef") == ""
}

func (u usedClaims) digest(token string) string {
	mac := hmac.New(sha256.New, []byte(u.Salt))
	mac.Write([]byte(token))
	return hex.EncodeToString(mac.Sum(nil))
}

func (c *Claim) spent(u usedClaims) bool {
	d, ok := u.Digests[c.Resource.Name]
	return ok && u.Salt != "" && hmac.Equal([]byte(d), []byte(u.digest(c.Token)))
}

// RecordClaims remembers the tokens of the claims this apply made, so the plan is
// satisfied while the same token is given.
func (h *Host) RecordClaims(ch *plan.Changes) error {
	if h.Options.State == nil {
		return nil
	}
	u, err := h.loadUsedClaims()
	if err != nil {
		return err
	}
	if u.Salt == "" {
		salt := make([]byte, 16)
		if _, err := rand.Read(salt); err != nil {
			return err
		}
		u.Salt = hex.EncodeToString(salt)
		u.Digests = map[string]string{}
	}
	wrote := false
	for _, c := range h.Claims {
		if claimNeeded(ch, c.Resource.Name) {
			u.Digests[c.Resource.Name] = u.digest(c.Token)
			wrote = true
		}
	}
	if !wrote {
		return nil
	}
	data, err := json.MarshalIndent(u, "", "  ")
	if err != nil {
		return err
	}
	if err := h.Options.State.WriteFile(usedClaimsFile, append(data, '\n')); err != nil {
		return fmt.Errorf("remember the spent claim tokens: %w", err)
	}
	return nil
}
