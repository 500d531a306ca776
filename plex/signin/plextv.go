package signin

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/plexform/plexform/internal/lazyre"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
)

// ErrRevoked means plex.tv answered 401 for a token: it was revoked (a password reset
// with "sign out of all devices", a breach-driven reset) or never valid.
var ErrRevoked = errors.New("plex.tv rejects the token")

// ErrPinExpired means the link code expired (or plex.tv forgot it) before anyone
// entered it at plex.tv/link.
var ErrPinExpired = errors.New("the link code expired before it was entered at plex.tv/link")

// PlexTV is plex.tv's account API as plexform uses it: check a server's token, sign in
// with a link code (the PIN flow of python-plexapi's MyPlexPinLogin and every Plex app on
// a TV), get a claim token for the account, and sign that account token out again.
// Tokens go in the X-Plex-Token header, never in a URL, and never reach an error.
//
// Who plexform says it is depends on whose token it sends. plex.tv keeps a device
// record per (account, X-Plex-Client-Identifier) and updates the record of a token's
// device from the X-Plex-* headers of every request made with it: a server's token
// sent under another client's identity turns the server's device into that client and
// breaks remote access until PMS restarts (github.com/Kometa-Team/Kometa/issues/2894).
// So a server's token is only ever sent under the server's own identity (ServerIdentity),
// and an account token (link code, claim token) under plexform's.
type PlexTV struct {
	// BaseURL defaults to DefaultExchangeURL (https://plex.tv); tests and proxies set it.
	BaseURL string
	// HTTP defaults to a client whose requests time out on their own; redirects are
	// never followed.
	HTTP *http.Client
	// ClientIdentifier names this plexform to plex.tv for requests with an account
	// token; it must stay the same across runs on one host (StableClientIdentifier), as
	// plex.tv lists each one as a device.
	ClientIdentifier string
	// Version is plexform's version, sent as X-Plex-Version ("1" when empty) with an
	// account token only.
	Version string
	// PollEvery is the pause between two looks at a PIN; default one second.
	PollEvery time.Duration
	// Timeout bounds each request (the resource's timeout:); default plexTVTimeout.
	Timeout time.Duration
}

// plexTVTimeout bounds one request to plex.tv when no timeout is given.
const plexTVTimeout = 30 * time.Second

// ServerIdentity is who a Plex Media Server is to plex.tv: the headers PMS itself sends
// (and Plex's Docker images send for it: plexinc/pms-docker and linuxserver/docker-plex
// claim scripts). ClientIdentifier is its ProcessedMachineIdentifier; Version is what its
// /identity reports, left out when unknown. plexform's own name and version never go
// with a server's token.
type ServerIdentity struct {
	ClientIdentifier, Version string
}

func (id ServerIdentity) client() client {
	return client{ID: id.ClientIdentifier, Product: serverProduct, Version: id.Version, Provides: "server"}
}

// serverProduct is PMS's X-Plex-Product.
const serverProduct = "Plex Media Server"

// ErrNoServerIdentity means the server's identity is not known, so its token is not
// sent: under any other identity it would rewrite the server's device at plex.tv.
var ErrNoServerIdentity = errors.New("the server's identity (its ProcessedMachineIdentifier) is not known, so its token is not sent to plex.tv under any other")

// authPaths are plex.tv's JWT endpoints. Registering a device key with an existing token
// (POST /api/v2/auth/jwk) makes that legacy token expire (developer.plex.tv, "JWT
// Authentication (Recommended)"): plexform never calls them.
const authPaths = "/api/v2/auth/"

// account is plexform's own identity, for requests with an account token or none.
func (p *PlexTV) account() client {
	return client{ID: p.ClientIdentifier, Product: "plexform", Version: or(p.Version, "1"), Platform: plexPlatform(runtime.GOOS), Device: plexPlatform(runtime.GOOS), DeviceName: hostname()}
}

// call sends one request to plex.tv as who, with X-Plex-Token when token is set, and
// asks for JSON.
func (p *PlexTV) call(ctx context.Context, method, path, token, what string, who client) (answer, error) {
	base, err := parseBase(or(p.BaseURL, DefaultExchangeURL), "plex.tv")
	if err != nil {
		return answer{}, err
	}
	if strings.HasPrefix(path, authPaths) {
		return answer{}, fmt.Errorf("%s: plexform never calls plex.tv's %s* (a device key registered with a token makes that token expire)", what, authPaths)
	}
	if strings.TrimSpace(who.ID) == "" {
		if who.Product == serverProduct {
			return answer{}, fmt.Errorf("%s: %w", what, ErrNoServerIdentity)
		}
		return answer{}, fmt.Errorf("%s: no client identifier", what)
	}
	h := who.headers()
	h.Set("Accept", "application/json")
	if token != "" {
		h.Set("X-Plex-Token", token)
	}
	return request{client: p.HTTP, method: method, url: endpoint(base, path, ""), header: h,
		timeout: orDuration(p.Timeout, plexTVTimeout), what: what + " at " + base.Redacted(), secrets: []string{token}}.send(ctx)
}

// CheckToken asks GET /api/v2/user with the server's token, sent under the server's own
// identity: nil when plex.tv accepts it (200 with a plex.tv user in the answer),
// ErrRevoked when it refuses it (401, 498, 422 "Invalid token"), ErrNoServerIdentity
// when the server's identity is not known (nothing is sent), ErrUnreachable when it
// does not answer, and another error for any other answer (the verdict is then unknown).
func (p *PlexTV) CheckToken(ctx context.Context, token string, server ServerIdentity) error {
	const what = "ask plex.tv about the stored token"
	if token == "" {
		return fmt.Errorf("%s: there is no token: %w", what, ErrRevoked)
	}
	body, err := p.user(ctx, token, what, server.client())
	if err != nil {
		return err
	}
	if err := isUser(body); err != nil {
		return fmt.Errorf("%s: a success answer, but %w; no verdict (a captive portal or a proxy's login page?)", what, err)
	}
	return nil
}

// user asks GET /api/v2/user with token as who and returns plex.tv's answer when it is 2xx.
func (p *PlexTV) user(ctx context.Context, token, what string, who client) ([]byte, error) {
	ans, err := p.call(ctx, http.MethodGet, "/api/v2/user", token, what, who)
	if err != nil {
		return nil, err
	}
	if err := ans.verdict(what, tokenRefused); err != nil {
		return nil, err
	}
	return ans.body, nil
}

// isUser checks that body is a plex.tv user (python-plexapi's MyPlexAccount reads the
// same answer): a JSON object with an id and a uuid. Nothing of the body reaches the error.
func isUser(body []byte) error {
	var j struct {
		ID   int64  `json:"id"`
		UUID string `json:"uuid"`
	}
	if err := decodeJSON(body, &j); err != nil {
		return err
	}
	if j.ID <= 0 || strings.TrimSpace(j.UUID) == "" {
		return fmt.Errorf("the answer is not a plex.tv user (no id and uuid): %w", stores.ErrMalformed)
	}
	return nil
}

// SignOut ends an account token at plex.tv (DELETE /api/v2/users/signout, as
// python-plexapi's MyPlexAccount.signout does), so the device plexform used for a link
// code keeps no access to the account. A token plex.tv no longer honours is signed out
// already.
func (p *PlexTV) SignOut(ctx context.Context, accountToken string) error {
	const what = "sign plexform's account token out at plex.tv"
	ans, err := p.call(ctx, http.MethodDelete, "/api/v2/users/signout", accountToken, what, p.account())
	if err != nil {
		return err
	}
	if err := ans.verdict(what, tokenRefused); err != nil && !errors.Is(err, ErrRevoked) {
		return err
	}
	return nil
}

// Owner is who a plex.tv account is, as far as a server's settings tell
// (PlexOnlineUsername, PlexOnlineMail) and plex.tv's /api/v2/user answers (username,
// email). It is personal data: it is compared, never printed or put in an error.
type Owner struct {
	Username, Email string
}

// Known reports whether i names anyone at all.
func (i Owner) Known() bool {
	return strings.TrimSpace(i.Username) != "" || strings.TrimSpace(i.Email) != ""
}

// Same reports whether i and other are one account: the user names or the e-mail
// addresses match, ignoring the case of A–Z only (plex.tv signs in with either, in any
// ASCII case). Any other code point must match exactly: Unicode case folding would take
// U+212A KELVIN SIGN for "k" and U+017F LONG S for "s", so a look-alike account
// ("Kaſper") that entered a link code read from a CI log would pass as the owner
// ("kasper") and get the server. A field empty on either side matches nothing, so two
// unknown owners are never the same.
func (i Owner) Same(other Owner) bool {
	match := func(a, b string) bool {
		a, b = strings.TrimSpace(a), strings.TrimSpace(b)
		return a != "" && equalFoldASCII(a, b)
	}
	return match(i.Username, other.Username) || match(i.Email, other.Email)
}

// equalFoldASCII is strings.EqualFold for A–Z alone: byte for byte, with only ASCII
// letters compared without case.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// WhoIs asks GET /api/v2/user with accountToken who the account is (python-plexapi's
// MyPlexAccount reads the same answer). ErrRevoked when plex.tv answers 401.
func (p *PlexTV) WhoIs(ctx context.Context, accountToken string) (Owner, error) {
	const what = "ask plex.tv which account entered the link code"
	body, err := p.user(ctx, accountToken, what, p.account())
	if err != nil {
		return Owner{}, err
	}
	id, err := parseUser(body)
	if err != nil {
		return Owner{}, fmt.Errorf("%s: %w", what, err)
	}
	return id, nil
}

// parseUser reads username and email from plex.tv's /api/v2/user answer. The answer
// also holds the account's token: nothing of it reaches an error.
func parseUser(body []byte) (Owner, error) {
	var j struct {
		Username string `json:"username"`
		Email    string `json:"email"`
	}
	if err := decodeJSON(body, &j); err != nil {
		return Owner{}, err
	}
	id := Owner{Username: j.Username, Email: j.Email}
	if !id.Known() {
		return Owner{}, fmt.Errorf("the answer names no account (no username, no email): %w", stores.ErrMalformed)
	}
	return id, nil
}

// Pin is a link code: a person enters Code at https://plex.tv/link while signed in,
// and plex.tv then gives the PIN an account token.
type Pin struct {
	ID        int64
	Code      string
	ExpiresAt time.Time
}

// LinkURL is where a person enters a link code.
const LinkURL = "https://plex.tv/link"

// pinJSON is plex.tv's PIN answer; only these fields are read.
type pinJSON struct {
	ID        int64   `json:"id"`
	Code      string  `json:"code"`
	ExpiresIn int     `json:"expiresIn"`
	ExpiresAt string  `json:"expiresAt"`
	AuthToken *string `json:"authToken"`
}

// codeShape is what a link code looks like; anything else (a terminal escape from a
// hostile proxy, say) is not printed.
var codeShape = lazyre.New(`^[A-Za-z0-9]{4,32}$`)

// NewPin asks POST /api/v2/pins for a link code (a short one, as plex.tv/link takes).
func (p *PlexTV) NewPin(ctx context.Context) (Pin, error) {
	const what = "ask plex.tv for a link code"
	ans, err := p.call(ctx, http.MethodPost, "/api/v2/pins", "", what, p.account())
	if err != nil {
		return Pin{}, err
	}
	if err := ans.verdict(what, refusesNothing); err != nil {
		return Pin{}, err
	}
	pin, _, err := parsePin(ans.body, time.Now())
	if err != nil {
		return Pin{}, fmt.Errorf("%s: %w", what, err)
	}
	return pin, nil
}

// maxPinWait bounds the wait for a link code whatever expiry plex.tv states.
const maxPinWait = time.Hour

// pinLifetime is how long plex.tv keeps a short link code, for answers that do not say.
const pinLifetime = 15 * time.Minute

// parsePin reads plex.tv's PIN answer: the PIN, and its account token once the code was
// entered ("" before). now dates a PIN whose answer gives no expiry. Nothing of the body
// reaches an error: it may hold the token.
func parsePin(body []byte, now time.Time) (Pin, string, error) {
	var j pinJSON
	if err := decodeJSON(body, &j); err != nil {
		return Pin{}, "", err
	}
	if j.ID <= 0 || !codeShape.MatchString(j.Code) {
		return Pin{}, "", fmt.Errorf("the answer has no usable id and code: %w", stores.ErrMalformed)
	}
	pin := Pin{ID: j.ID, Code: j.Code, ExpiresAt: now.Add(pinLifetime)}
	if t, err := time.Parse(time.RFC3339, j.ExpiresAt); err == nil {
		pin.ExpiresAt = t
	} else if j.ExpiresIn > 0 && j.ExpiresIn <= int(24*time.Hour/time.Second) {
		pin.ExpiresAt = now.Add(time.Duration(j.ExpiresIn) * time.Second)
	}
	// A wait must end: no answer keeps plexform waiting longer than maxPinWait.
	if limit := now.Add(maxPinWait); pin.ExpiresAt.After(limit) {
		pin.ExpiresAt = limit
	}
	if j.AuthToken == nil || *j.AuthToken == "" {
		return pin, "", nil
	}
	if err := checkToken(*j.AuthToken); err != nil {
		return Pin{}, "", err
	}
	return pin, *j.AuthToken, nil
}

// PinToken looks at the PIN once (GET /api/v2/pins/{id}) and returns its account token,
// or "" while the code has not been entered. A PIN plex.tv no longer knows (404) gives
// ErrPinExpired.
func (p *PlexTV) PinToken(ctx context.Context, pin Pin) (string, error) {
	const what = "look at the link code"
	ans, err := p.call(ctx, http.MethodGet, "/api/v2/pins/"+strconv.FormatInt(pin.ID, 10), "", what, p.account())
	if err != nil {
		return "", err
	}
	if err := ans.verdict(what, pinGone); err != nil {
		return "", err
	}
	_, token, err := parsePin(ans.body, time.Now())
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return token, nil
}

// WaitForPin polls the PIN until its code is entered and returns the account token.
// tick is called before each look with the time left. It ends with ErrPinExpired when
// the code expires first, and with the context's error on Ctrl-C; a look that fails on
// the way (a dropped connection) does not end the wait.
func (p *PlexTV) WaitForPin(ctx context.Context, pin Pin, tick func(left time.Duration)) (string, error) {
	ctx, cancel := context.WithDeadline(ctx, pin.ExpiresAt)
	defer cancel()
	every := p.PollEvery
	if every <= 0 {
		every = time.Second
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	var last error
	for {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) && time.Now().After(pin.ExpiresAt.Add(-time.Second)) {
				return "", fmt.Errorf("%w%s", ErrPinExpired, lastError(last))
			}
			return "", fmt.Errorf("wait for the link code: %w", ctx.Err())
		case <-timer.C:
		}
		if tick != nil {
			tick(time.Until(pin.ExpiresAt))
		}
		token, err := p.PinToken(ctx, pin)
		switch {
		case token != "":
			return token, nil
		case errors.Is(err, ErrPinExpired):
			return "", err
		case err != nil && ctx.Err() == nil:
			last = err
		}
		timer.Reset(every)
	}
}

// ClaimToken gets a claim token for the account of accountToken
// (GET /api/claim/token.json), what plex.tv/claim shows in a browser.
func (p *PlexTV) ClaimToken(ctx context.Context, accountToken string) (string, error) {
	const what = "get a claim token from plex.tv"
	ans, err := p.call(ctx, http.MethodGet, "/api/claim/token.json", accountToken, what, p.account())
	if err != nil {
		return "", err
	}
	if err := ans.verdict(what, tokenRefused); err != nil {
		return "", err
	}
	var j struct {
		Token string `json:"token"`
	}
	if err := decodeJSON(ans.body, &j); err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if !issuedShape(j.Token) {
		return "", fmt.Errorf("%s: the answer holds no claim token: %w", what, stores.ErrMalformed)
	}
	return strings.TrimSpace(j.Token), nil
}

// decodeJSON never lets the body into an error: it may hold a token.
func decodeJSON(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("the answer is not JSON of the expected shape: %w", stores.ErrMalformed)
	}
	return nil
}

// checkToken refuses what cannot be a token before it is stored or sent anywhere: white
// space, control characters or broken UTF-8 inside. Its length and alphabet are not
// checked: a token is opaque (notTokenRune).
func checkToken(token string) error {
	if strings.ContainsFunc(token, notTokenRune) {
		return fmt.Errorf("the token in the answer is not a token (it holds spaces or control characters): %w", stores.ErrMalformed)
	}
	return nil
}

// machineIDFiles hold the host's machine id on Linux and the BSDs.
var machineIDFiles = []string{"/etc/machine-id", "/var/lib/dbus/machine-id", "/etc/hostid"}

// StableClientIdentifier is plexform's X-Plex-Client-Identifier on this host: the same
// on every run (plex.tv lists each identifier as a device, and a PIN answers only the
// identifier that asked for it), different on each host, and derived so that it does
// not reveal the machine id it comes from (as systemd asks of applications). Without a
// machine id it is derived from the host name.
func StableClientIdentifier() string {
	seed := ""
	for _, path := range machineIDFiles {
		if data, err := fileutil.ReadHead(path, 256); err == nil && strings.TrimSpace(string(data)) != "" {
			seed = strings.TrimSpace(string(data))
			break
		}
	}
	if seed == "" {
		seed = "host:" + hostname()
	}
	mac := hmac.New(sha256.New, []byte(seed))
	mac.Write([]byte("plexform X-Plex-Client-Identifier"))
	return "plexform-" + hex.EncodeToString(mac.Sum(nil))[:32]
}
