package signin

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
	"github.com/plexform/plexform/stores"
)

// Claim is the runtime of one plex_claim resource: the server it claims, and the claim
// token, which is never printed, saved or put in an error. host binds it; Decide makes
// the one decision whether to claim, and the engine runs AfterStart.
type Claim struct {
	Resource *plan.Resource
	Server   *Server
	Token    string
	// Touches names the stores the claim's service guards, and the one it writes.
	Touches []string
	// Exchange and Prefs are set for method exchange: the token from plex.tv is written
	// as PlexOnlineToken into Prefs while the server is stopped.
	Exchange *Exchange
	Prefs    stores.Store
	// decision is the one decision whether to claim, made by Decide.
	decision *plan.ClaimChange
}

// DefaultClaimTimeout bounds the wait for a server to say claimed="1".
const DefaultClaimTimeout = 60 * time.Second

// Name is the resource's name.
func (c *Claim) Name() string { return c.Resource.Name }

// Timeout bounds the claim's waits.
func (c *Claim) Timeout() time.Duration {
	if c.Resource.Timeout > 0 {
		return c.Resource.Timeout
	}
	return DefaultClaimTimeout
}

// decideIdentityTimeout bounds the claim decision's /identity: plan stays quick when the
// server is down.
const decideIdentityTimeout = 3 * time.Second

// Decide is the one decision whether this apply claims the server: when it is not
// claimed now, or when this apply removes sign-in values it holds (the reset unclaims
// it); never again for a token that already signed it in. It reads the store changes
// as the sign-ins' decisions left them.
func (c *Claim) Decide(ctx context.Context, ch *plan.Changes, used UsedClaims) *plan.ClaimChange {
	cc := &plan.ClaimChange{Address: c.Resource.Name, URL: Redacted(c.Server.URL), Method: c.Resource.Claim.Method, Claim: true}
	c.decision = cc
	if c.spent(used) {
		cc.Claim, cc.Reason = false, "this claim token already signed the server in (a new token claims again)"
		return cc
	}
	if c.resets(ch) {
		cc.Reason = "this apply removes its sign-in"
		return cc
	}
	ctx, cancel := context.WithTimeout(ctx, decideIdentityTimeout)
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

// Needed reports whether the decision claims the server.
func (c *Claim) Needed() bool { return c.decision != nil && c.decision.Claim }

// resets reports whether the diff removes PlexOnline* values from a store this claim's
// service guards (or that it writes the token into).
func (c *Claim) resets(ch *plan.Changes) bool {
	for _, rc := range ch.Resources {
		if !c.touches(rc.Address) {
			continue
		}
		if slices.ContainsFunc(rc.Values, removesSignIn) {
			return true
		}
	}
	return false
}

// removesSignIn reports whether a value change removes one of the server's PlexOnline*
// settings: a reset that unclaims the server.
func removesSignIn(v plan.ValueChange) bool {
	return v.Action == plan.Remove && strings.HasPrefix(strings.ToLower(v.StoreName), "plexonline")
}

// Settle drops from ch what a claim this apply does not make would otherwise redo: the
// exchange's token write, and, once its token has signed the server in, the reset of
// the sign-in values that the server now holds by that very claim. An applied
// reset-and-claim plan thus shows no change while the same token is given. It follows
// the decision; it decides nothing.
func (c *Claim) Settle(ch *plan.Changes, used UsedClaims) {
	if c.Needed() {
		return
	}
	spent := c.spent(used)
	for _, rc := range ch.Resources {
		if !c.touches(rc.Address) {
			continue
		}
		kept := rc.Values[:0]
		for _, v := range rc.Values {
			if v.Deferred || (spent && removesSignIn(v)) {
				continue
			}
			kept = append(kept, v)
		}
		rc.Values = kept
	}
}

// touches reports whether a store is guarded by this claim's service or written by it.
func (c *Claim) touches(store string) bool { return slices.Contains(c.Touches, store) }

// ExchangedToken exchanges the claim token at plex.tv for the server's own token (method
// exchange), under the ProcessedMachineIdentifier Prefs holds. It runs after the stop:
// the token is written while the server is down.
func (c *Claim) ExchangedToken(ctx context.Context) (string, error) {
	st, err := c.Prefs.Read(ctx)
	if err != nil {
		return "", fmt.Errorf("%s: %w", c.Resource.Name, err)
	}
	id, ok := st.Values["ProcessedMachineIdentifier"]
	if !ok || id.Text == "" {
		return "", fmt.Errorf("%s: %s has no ProcessedMachineIdentifier, which the claim exchange needs; start Plex once so it makes one", c.Resource.Name, c.Prefs.Target())
	}
	ex := *c.Exchange
	ex.ClientIdentifier = id.Text
	token, err := ex.Token(ctx, c.Token)
	if err != nil {
		return "", fmt.Errorf("%s: %w", c.Resource.Name, err)
	}
	return token, nil
}

// AfterStart runs a local claim in the engine's after-start phase: nothing when the
// server already says claimed, else POST /myplex/claim and wait for claimed="1". An
// exchange claim only waits: the server signs itself in with the token written before
// the start.
func (c *Claim) AfterStart(ctx context.Context, event func(kind, message string), _ func(string, time.Duration)) error {
	event(EventClaiming, fmt.Sprintf("Claiming %s", Redacted(c.Server.URL)))
	if err := c.claimed(ctx); err != nil {
		return fmt.Errorf("%s: %w", c.Resource.Name, err)
	}
	event(EventClaimed, fmt.Sprintf("%s says claimed=\"1\"", Redacted(c.Server.URL)))
	return nil
}

func (c *Claim) claimed(ctx context.Context) error {
	id, err := c.Server.WaitReachable(ctx, c.Timeout())
	if err != nil {
		return err
	}
	if !id.Claimed && c.Exchange == nil {
		if err := c.Server.Claim(ctx, c.Token); err != nil && !errors.Is(err, ErrAlreadyClaimed) {
			return err
		}
	}
	return c.Server.WaitClaimed(ctx, c.Timeout())
}

// StateFiles are the small files plexform keeps beside its backups, read and written
// only through the trusted directory's checks (its owner and mode, no link followed,
// bounded reads), since another user may have made that directory or planted a link.
type StateFiles interface {
	// ReadFile reads name, at most max bytes; a missing file is fs.ErrNotExist.
	ReadFile(name string, max int64) ([]byte, error)
	// WriteFile replaces name atomically, 0600, creating the directory 0700 if needed.
	WriteFile(name string, data []byte) error
	// StatePath is where name is, for messages.
	StatePath(name string) string
}

// usedClaimsFile is the state file that remembers claim tokens already spent. A claim
// token is the user's intent: "sign this server in with this token". Once it has signed
// the server in, the same plan again must change nothing; with a new token it resets and
// claims again. Only salted digests are kept.
const usedClaimsFile = "claims-used.json"

// UsedClaims is what that file holds.
type UsedClaims struct {
	Salt    string            `json:"salt"`
	Digests map[string]string `json:"digests"` // claim resource name → digest of its token
}

// maxUsedClaims bounds the read of the state file: a salt and a digest per claim
// resource fit in a few hundred bytes, so anything near this is not ours.
const maxUsedClaims = 1 << 20

// LoadUsedClaims reads the spent tokens through the trusted state dir. A plan without
// claims reads nothing (claims is how many it has); a missing file (or dir) is an empty
// record, and a dir or file plexform does not trust is an error rather than a record to
// believe.
func LoadUsedClaims(state StateFiles, claims int) (UsedClaims, error) {
	u := UsedClaims{Digests: map[string]string{}}
	if state == nil || claims == 0 {
		return u, nil
	}
	data, err := state.ReadFile(usedClaimsFile, maxUsedClaims)
	if errors.Is(err, fs.ErrNotExist) {
		return u, nil
	}
	if err != nil {
		return u, fmt.Errorf("read the spent claim tokens: %w", err)
	}
	u, err = parseUsedClaims(data)
	if err != nil {
		return u, fmt.Errorf("%s is damaged or not plexform's (%w); move it away: the claims it remembers then run again",
			state.StatePath(usedClaimsFile), err)
	}
	return u, nil
}

// parseUsedClaims decodes the state file strictly, as RecordClaims writes it: one
// object with a salt of 16 bytes in hex and, per claim resource name, a sha256 digest
// in hex. Anything else (garbage, a truncated write, someone else's file) is an error
// that names what is wrong and never quotes the file.
func parseUsedClaims(data []byte) (UsedClaims, error) {
	u := UsedClaims{Digests: map[string]string{}}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&u); err != nil {
		return UsedClaims{Digests: map[string]string{}}, errors.New("not the JSON object plexform writes")
	}
	if dec.More() {
		return UsedClaims{Digests: map[string]string{}}, errors.New("more after its JSON object")
	}
	if !isHex(u.Salt, 32) {
		return UsedClaims{Digests: map[string]string{}}, errors.New("its salt is not 16 bytes in hex")
	}
	if u.Digests == nil {
		u.Digests = map[string]string{}
	}
	for name, d := range u.Digests {
		if !plan.ValidName(name) || !isHex(d, 2*sha256.Size) {
			return UsedClaims{Digests: map[string]string{}}, errors.New("an entry is not a resource name with a sha256 digest")
		}
	}
	return u, nil
}

// isHex reports whether s is n lower-case hex digits, as hex.EncodeToString writes them.
func isHex(s string, n int) bool {
	return len(s) == n && strings.Trim(s, "0123456789abcdef") == ""
}

func (u UsedClaims) digest(token string) string {
	mac := hmac.New(sha256.New, []byte(u.Salt))
	mac.Write([]byte(token))
	return hex.EncodeToString(mac.Sum(nil))
}

func (c *Claim) spent(u UsedClaims) bool {
	d, ok := u.Digests[c.Resource.Name]
	return ok && u.Salt != "" && hmac.Equal([]byte(d), []byte(u.digest(c.Token)))
}

// RecordClaims remembers the tokens of the claims this apply made, so the plan is
// satisfied while the same token is given.
func RecordClaims(state StateFiles, made []*Claim) error {
	if state == nil || len(made) == 0 {
		return nil
	}
	u, err := LoadUsedClaims(state, len(made))
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
	for _, c := range made {
		u.Digests[c.Resource.Name] = u.digest(c.Token)
	}
	data, err := json.MarshalIndent(u, "", "  ")
	if err != nil {
		return err
	}
	if err := state.WriteFile(usedClaimsFile, append(data, '\n')); err != nil {
		return fmt.Errorf("remember the spent claim tokens: %w", err)
	}
	return nil
}
