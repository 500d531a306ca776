// Package plextv is a stand-in for the parts of plex.tv that plexform and Plex Media
// Server talk to, for tests and the hidden `plexform __plextv` command. It is written
// from Plex's published API (developer.plex.tv: the plex.tv reference and "Authenticating
// with Plex") and from what observed clients do (python-plexapi's plexapi/myplex.py:
// MyPlexPinLogin, MyPlexJWTLogin, MyPlexAccount; the claim scripts of plexinc/pms-docker
// and linuxserver/docker-plex). Each behaviour names its source:
//
//   - Device records. plex.tv keeps one device per (account, X-Plex-Client-Identifier),
//     with the product, version, provides and platform the client states in its X-Plex-*
//     headers, and one token per device: a new authorization of the same device (a PIN
//     entered again, a new claim exchange) rotates out the device's previous token
//     (github.com/nickelsh1ts/streamarr/pull/407). Every request made with a token
//     updates that token's device from the request's headers, also when the request's
//     X-Plex-Client-Identifier names another device: a server's token sent by another
//     client turns the server's device into that client (provides="controller", the
//     other product's version) and breaks remote access until PMS restarts, and a
//     phantom device named "Plex Media Server" appears under the other client's
//     identifier, with that client's version (both seen in
//     github.com/Kometa-Team/Kometa/issues/2894). That a header a request does not send
//     leaves its field as it was is an assumption: the issue shows only fields that
//     were sent. DeviceOf, CheckDevice and PhantomServers let a test assert that the
//     devices are as they were.
//   - GET /api/v2/user with X-Plex-Token: 200 and the account as JSON (id, uuid,
//     username, email, authToken: python-plexapi's MyPlexAccount reads this answer);
//     401 for a token it never issued or revoked (developer.plex.tv: "200 valid, 401
//     invalid"); 498 for a token Expire made expire (developer.plex.tv, JWT: an expired
//     JWT); 422 with <error>Invalid token</error> for a token Invalidate marks (seen by
//     Home Assistant's Plex integration; python-plexapi's plexapi/myplex.py
//     MyPlexAccount.query raises Unauthorized for status_code == 422 and
//     "Invalid token" in response.text).
//   - POST /api/v2/pins: a new 4-character link code (what https://plex.tv/link asks
//     for; strong=true gives a long one), and GET /api/v2/pins/{id}: that PIN, with its
//     authToken once someone has entered the code; both need the same
//     X-Plex-Client-Identifier, as on plex.tv (python-plexapi MyPlexPinLogin).
//   - DELETE /api/v2/users/signout with a token: the token stops working (python-plexapi
//     MyPlexAccount.signout), 204.
//   - POST /api/v2/auth/jwk with a token: registers a device key, and the legacy token it
//     was sent with expires (developer.plex.tv, "JWT Authentication (Recommended)";
//     python-plexapi MyPlexJWTLogin). Any /api/v2/auth/* request is counted
//     (RequestsUnder) so a test can prove none was made.
//   - GET /api/claim/token.json with an account token: a claim token, valid 4 minutes
//     (python-plexapi MyPlexAccount.claimToken; linuxserver/docker-plex README).
//   - POST /api/claim/exchange?token=claim-...: what a server (or a Docker image's first
//     run, plexinc/pms-docker) does with a claim token: plex.tv issues the server's
//     device, named by its X-Plex-Client-Identifier, its own token (XML, as plex.tv
//     answers).
//   - RateLimit: more requests than that from one client identifier within a minute
//     are answered 429 with Retry-After (developer.plex.tv lists 429 among plex.tv's
//     answers; plex.tv answers 429 to clients asking too often,
//     github.com/arabcoders/watchstate/issues/325; a Plex developer said plex.tv may
//     limit requests by X-Plex-Client-Identifier,
//     github.com/d4rk22/Network-Status-Page/issues/2). LimitAfter starts that limit for a
//     client identifier once it made a given request (a test of a limit hit mid-run).
//
// A test "enters" a link code with Enter (or POST /__plextv/enter?code=ABCD when run as
// a command; &username=NAME enters it as that account instead of the first), revokes an
// account's tokens with Revoke (POST /__plextv/revoke), which is what a password reset
// with "sign out of all devices" does, and makes a path hang with Stall. GET
// /__plextv/requests?key=METHOD%20/path (or ?under=/prefix) answers Requests (or
// RequestsUnder), so a script can count the requests it made.
//
// It never logs a token, a code's token, an e-mail address or a user name.
package plextv

import (
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of a new stand-in.
const (
	// PinLifetime is how long a link code stays valid on plex.tv.
	PinLifetime = 15 * time.Minute
	// ClaimLifetime is how long a claim token from /api/claim/token.json lives.
	ClaimLifetime = 4 * time.Minute
)

// StatusTokenExpired is plex.tv's answer to an expired token (a JWT past its 7 days).
const StatusTokenExpired = 498

// Account is one plex.tv user.
type Account struct {
	ID       int    `json:"id"`
	UUID     string `json:"uuid"`
	Username string `json:"username"`
	Email    string `json:"email"`
}

// Device is what plex.tv records of one client of an account (its Authorized Devices
// entry), from the X-Plex-* headers the client sends.
type Device struct {
	ClientIdentifier, Product, Version, Provides, Platform string
	// Name is the entry's name under Authorized Devices when plex.tv gave it one
	// itself: "Plex Media Server" for a phantom device (PhantomServers).
	Name string
}

// Server is the stand-in's state; it is an http.Handler.
type Server struct {
	// PinLifetime overrides the default lifetime of link codes (tests of expiry).
	PinLifetime time.Duration
	// OnPin, when set, is called (outside the lock) with every new link code, so a test
	// can enter it as a person would on another device.
	OnPin func(code string)
	// RateLimit, when above zero, is how many requests one client identifier may make
	// in a minute before the next are answered 429.
	RateLimit int

	mu       sync.Mutex
	accounts []*Account
	devices  map[deviceKey]*device
	tokens   map[string]*issued // token → its device, while honoured
	pins     map[int]*pin
	claims   map[string]*claimGrant // claim token → account
	nextPin  int
	requests map[string]int // "METHOD /path" → count, for tests
	stalled  map[string]bool
	// limitAfter is LimitAfter's request key; limited are the client identifiers that
	// made it, answered 429 from then on.
	limitAfter string
	limited    map[string]bool
	window     map[string][]time.Time // client identifier → its requests of the last minute
}

type deviceKey struct {
	account  int
	clientID string
}

type device struct {
	account *Account
	Device
	token string // the device's one current token, "" once signed out
}

// issued is a token plex.tv handed out; answer, when set, is how plex.tv answers it
// (401 revoked, 422 invalid, 498 expired).
type issued struct {
	device *device
	answer int
}

type claimGrant struct {
	account *Account
	expires time.Time
	used    bool
}

type pin struct {
	id       int
	code     string
	clientID string
	product  string
	expires  time.Time
	token    string // set once the code was entered
}

// New returns an empty stand-in.
func New() *Server {
	return &Server{devices: map[deviceKey]*device{}, tokens: map[string]*issued{}, pins: map[int]*pin{}, claims: map[string]*claimGrant{},
		nextPin: 1000, requests: map[string]int{}, stalled: map[string]bool{}, window: map[string][]time.Time{}, limited: map[string]bool{}}
}

// AddAccount creates an account and returns it.
func (s *Server) AddAccount(username, email string) *Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := &Account{ID: len(s.accounts) + 1, UUID: randomString(16, lowerHex), Username: username, Email: email}
	s.accounts = append(s.accounts, a)
	return a
}

// Honour makes token the token plex.tv issued to the device d of account a (a server's,
// with d its ProcessedMachineIdentifier, "Plex Media Server" and provides "server", or an
// app's). The device's previous token stops working.
func (s *Server) Honour(a *Account, token string, d Device) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dev := s.deviceLocked(a, d.ClientIdentifier)
	dev.Device = d
	s.issueLocked(dev, token)
}

// deviceLocked returns the device of a named clientID, recording it when new.
func (s *Server) deviceLocked(a *Account, clientID string) *device {
	key := deviceKey{a.ID, clientID}
	dev := s.devices[key]
	if dev == nil {
		dev = &device{account: a, Device: Device{ClientIdentifier: clientID}}
		s.devices[key] = dev
	}
	return dev
}

// issueLocked gives dev token as its one token: the previous one stops working.
func (s *Server) issueLocked(dev *device, token string) {
	if old := s.tokens[dev.token]; old != nil && old.device == dev && dev.token != token {
		old.answer = http.StatusUnauthorized
	}
	dev.token = token
	s.tokens[token] = &issued{device: dev}
}

// Revoke revokes every token of the account with this user name, as a password reset
// with "sign out of all devices" does. It reports how many it revoked.
func (s *Server) Revoke(username string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.tokens {
		if t.device.account.Username == username && t.answer == 0 {
			t.answer = http.StatusUnauthorized
			n++
		}
	}
	return n
}

// Expire makes plex.tv answer token 498, as it answers an expired JWT.
func (s *Server) Expire(token string) { s.answer(token, StatusTokenExpired) }

// Invalidate makes plex.tv answer token 422 <error>Invalid token</error>, as Home
// Assistant's Plex integration has seen it.
func (s *Server) Invalidate(token string) { s.answer(token, http.StatusUnprocessableEntity) }

func (s *Server) answer(token string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[token]; ok {
		t.answer = status
	}
}

// Honoured reports whether plex.tv currently accepts token.
func (s *Server) Honoured(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[token]
	return ok && t.answer == 0
}

// DeviceOf returns the device record of account a with this client identifier.
func (s *Server) DeviceOf(a *Account, clientID string) (Device, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dev, ok := s.devices[deviceKey{a.ID, clientID}]
	if !ok {
		return Device{}, false
	}
	return dev.Device, true
}

// SignedIn reports whether account a's device clientID holds a token plex.tv honours:
// whether it still has access to the account (an Authorized Devices entry in use).
func (s *Server) SignedIn(a *Account, clientID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	dev, ok := s.devices[deviceKey{a.ID, clientID}]
	if !ok || dev.token == "" {
		return false
	}
	t := s.tokens[dev.token]
	return t != nil && t.answer == 0
}

// CheckDevice says how account a's device want.ClientIdentifier differs from want, or
// nil when it is exactly want: what a test asserts after every run of plexform.
func (s *Server) CheckDevice(a *Account, want Device) error {
	got, ok := s.DeviceOf(a, want.ClientIdentifier)
	switch {
	case !ok:
		return fmt.Errorf("plex.tv has no device %q for the account", want.ClientIdentifier)
	case got != want:
		return fmt.Errorf("plex.tv's record of device %q is %+v, want %+v", want.ClientIdentifier, got, want)
	}
	return nil
}

// Enter links the pending PIN with this code to the account (the first account when a
// is nil), as a signed-in person does at plex.tv/link: the PIN's client becomes a device
// of the account with a new token, which replaces any token that device had. It fails
// for an unknown or expired code.
func (s *Server) Enter(code string, a *Account) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a == nil {
		if len(s.accounts) == 0 {
			return fmt.Errorf("no account to link the code to")
		}
		a = s.accounts[0]
	}
	for _, p := range s.pins {
		if strings.EqualFold(p.code, code) && time.Now().Before(p.expires) && p.token == "" {
			p.token = randomString(20, tokenChars)
			dev := s.deviceLocked(a, p.clientID)
			if dev.Product == "" {
				dev.Product = p.product
			}
			s.issueLocked(dev, p.token)
			return nil
		}
	}
	return fmt.Errorf("no pending link code %q", code)
}

// named returns the account with this user name, or nil (the first account) for "".
func (s *Server) named(username string) (*Account, error) {
	if username == "" {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.accounts {
		if a.Username == username {
			return a, nil
		}
	}
	return nil, fmt.Errorf("no account with the user name given")
}

// Pending lists the link codes waiting to be entered.
func (s *Server) Pending() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var codes []string
	for _, p := range s.pins {
		if p.token == "" && time.Now().Before(p.expires) {
			codes = append(codes, p.code)
		}
	}
	return codes
}

// Requests counts the requests received for "METHOD /path" (PIN polls count under
// "GET /api/v2/pins/{id}").
func (s *Server) Requests(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[key]
}

// RequestsUnder counts the requests, of any method, whose path starts with prefix.
func (s *Server) RequestsUnder(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for key, count := range s.requests {
		if _, path, _ := strings.Cut(key, " "); strings.HasPrefix(path, prefix) {
			n += count
		}
	}
	return n
}

// Stall makes requests for key ("METHOD /path") hang until the client gives up: plex.tv
// accepting a connection and never answering.
func (s *Server) Stall(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stalled[key] = true
}

// LimitAfter makes plex.tv answer 429 to every request of a client identifier once that
// client made a request for key ("METHOD /path"), which is itself answered as usual:
// a rate limit that starts in the middle of a run.
func (s *Server) LimitAfter(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limitAfter = key
}

// Issued lists every token plex.tv issued or honours, working or not, and every claim
// token it made: what a test scans outputs for.
func (s *Server) Issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for t := range s.tokens {
		out = append(out, t)
	}
	for t := range s.claims {
		out = append(out, t)
	}
	return out
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	key := r.Method + " " + path
	if strings.HasPrefix(path, "/api/v2/pins/") {
		key = r.Method + " /api/v2/pins/{id}"
	}
	s.mu.Lock()
	s.requests[key]++
	stalled := s.stalled[key]
	control := strings.HasPrefix(path, "/__plextv/")
	limited := !control && (s.limited[clientID(r)] || s.overLimitLocked(clientID(r)))
	if !control && key == s.limitAfter {
		s.limited[clientID(r)] = true
	}
	s.mu.Unlock()
	if stalled {
		<-r.Context().Done()
		return
	}
	if limited {
		w.Header().Set("Retry-After", "60")
		fail(w, http.StatusTooManyRequests, 1003, "Too many requests")
		return
	}
	if !strings.HasPrefix(path, "/__plextv/") {
		s.seen(r)
	}
	switch {
	case path == "/api/v2/user" && r.Method == http.MethodGet:
		s.user(w, r)
	case path == "/api/v2/users/signout" && r.Method == http.MethodDelete:
		s.signOut(w, r)
	case path == "/api/v2/auth/jwk" && r.Method == http.MethodPost:
		s.registerKey(w, r)
	case path == "/api/v2/pins" && r.Method == http.MethodPost:
		s.newPin(w, r)
	case strings.HasPrefix(path, "/api/v2/pins/") && r.Method == http.MethodGet:
		s.checkPin(w, r, strings.TrimPrefix(path, "/api/v2/pins/"))
	case path == "/api/claim/token.json" && r.Method == http.MethodGet:
		s.claimToken(w, r)
	case path == "/api/claim/exchange" && r.Method == http.MethodPost:
		s.exchange(w, r)
	case path == "/__plextv/enter" && r.Method == http.MethodPost:
		a, err := s.named(r.URL.Query().Get("username"))
		if err == nil {
			err = s.Enter(r.URL.Query().Get("code"), a)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
		}
	case path == "/__plextv/revoke" && r.Method == http.MethodPost:
		fmt.Fprintf(w, "%d\n", s.Revoke(r.URL.Query().Get("username")))
	case path == "/__plextv/pending" && r.Method == http.MethodGet:
		fmt.Fprintln(w, strings.Join(s.Pending(), "\n"))
	case path == "/__plextv/requests" && r.Method == http.MethodGet:
		if key := r.URL.Query().Get("key"); key != "" {
			fmt.Fprintf(w, "%d\n", s.Requests(key))
		} else {
			fmt.Fprintf(w, "%d\n", s.RequestsUnder(r.URL.Query().Get("under")))
		}
	default:
		http.NotFound(w, r)
	}
}

// overLimitLocked records a request of client id and reports whether it is over RateLimit.
func (s *Server) overLimitLocked(id string) bool {
	if s.RateLimit <= 0 {
		return false
	}
	now := time.Now()
	recent := s.window[id][:0]
	for _, t := range s.window[id] {
		if now.Sub(t) < time.Minute {
			recent = append(recent, t)
		}
	}
	s.window[id] = append(recent, now)
	return len(s.window[id]) > s.RateLimit
}

// seen updates the device of the request's token from the request's X-Plex-* headers,
// as plex.tv does with every request (Kometa-Team/Kometa#2894; that a header not sent
// leaves its field as it was is assumed). A server's token sent under another client
// identifier also records a phantom device under that identifier named "Plex Media
// Server", with the request's version (the same issue's Authorized Devices list).
func (s *Server) seen(r *http.Request) {
	token := plexToken(r)
	if token == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[token]
	if !ok {
		return
	}
	if id := clientID(r); id != "" && id != t.device.ClientIdentifier && t.device.Provides == "server" {
		phantom := s.deviceLocked(t.device.account, id)
		phantom.Name = ServerProduct
		phantom.update(r.Header)
	}
	t.device.update(r.Header)
}

// PhantomServers lists the client identifiers of account a's phantom devices: those
// plex.tv recorded as "Plex Media Server" because a server's token was sent under them.
// After a run of plexform there must be none.
func (s *Server) PhantomServers(a *Account) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for key, dev := range s.devices {
		if key.account == a.ID && dev.Name == ServerProduct {
			out = append(out, key.clientID)
		}
	}
	sort.Strings(out)
	return out
}

// update takes what h states of the client. A header not sent leaves its field as it
// was: an assumption (Kometa-Team/Kometa#2894 shows only fields that were sent).
func (d *Device) update(h http.Header) {
	for _, f := range []struct {
		field  *string
		header string
	}{{&d.Product, "X-Plex-Product"}, {&d.Version, "X-Plex-Version"}, {&d.Provides, "X-Plex-Provides"}, {&d.Platform, "X-Plex-Platform"}} {
		if v := h.Get(f.header); v != "" {
			*f.field = v
		}
	}
}

// plexToken reads the token as plex.tv does: the X-Plex-Token header or query value.
func plexToken(r *http.Request) string {
	if t := r.Header.Get("X-Plex-Token"); t != "" {
		return t
	}
	return r.URL.Query().Get("X-Plex-Token")
}

// clientID reads X-Plex-Client-Identifier from the header or, as plex.tv also allows,
// the query string.
func clientID(r *http.Request) string {
	if id := r.Header.Get("X-Plex-Client-Identifier"); id != "" {
		return id
	}
	return r.URL.Query().Get("X-Plex-Client-Identifier")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type apiError struct {
	Errors []apiErrorItem `json:"errors"`
}

type apiErrorItem struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  int    `json:"status"`
}

func fail(w http.ResponseWriter, status, code int, message string) {
	writeJSON(w, status, apiError{Errors: []apiErrorItem{{code, message, status}}})
}

// authorize returns the device of an honoured token, or answers as plex.tv does for one
// it does not honour and returns nil.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) *device {
	s.mu.Lock()
	t, ok := s.tokens[plexToken(r)]
	answer := http.StatusUnauthorized
	if ok {
		answer = t.answer
	}
	s.mu.Unlock()
	switch answer {
	case 0:
		return t.device
	case http.StatusUnprocessableEntity:
		// What Home Assistant's Plex integration logged: XML, whatever was asked for.
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprint(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<errors>\n  <error>Invalid token</error>\n</errors>\n")
	case StatusTokenExpired:
		fail(w, StatusTokenExpired, 1099, "Token expired")
	default:
		fail(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
	}
	return nil
}

func (s *Server) user(w http.ResponseWriter, r *http.Request) {
	dev := s.authorize(w, r)
	if dev == nil {
		return
	}
	a := dev.account
	// plex.tv's answer carries the token and personal data: exactly what a client
	// must not print.
	writeJSON(w, http.StatusOK, map[string]any{
		"id": a.ID, "uuid": a.UUID, "username": a.Username, "title": a.Username, "email": a.Email,
		"authToken": plexToken(r), "subscription": map[string]any{"active": false},
	})
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	dev := s.authorize(w, r)
	if dev == nil {
		return
	}
	s.mu.Lock()
	s.tokens[plexToken(r)].answer = http.StatusUnauthorized
	if dev.token == plexToken(r) {
		dev.token = ""
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// registerKey is POST /api/v2/auth/jwk: the device key is registered and the legacy
// token the request was made with expires, as developer.plex.tv warns.
func (s *Server) registerKey(w http.ResponseWriter, r *http.Request) {
	if s.authorize(w, r) == nil {
		return
	}
	s.mu.Lock()
	s.tokens[plexToken(r)].answer = http.StatusUnauthorized
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

type pinJSON struct {
	ID               int     `json:"id"`
	Code             string  `json:"code"`
	Product          string  `json:"product"`
	Trusted          bool    `json:"trusted"`
	ClientIdentifier string  `json:"clientIdentifier"`
	ExpiresIn        int     `json:"expiresIn"`
	CreatedAt        string  `json:"createdAt"`
	ExpiresAt        string  `json:"expiresAt"`
	AuthToken        *string `json:"authToken"`
}

func (p *pin) json() pinJSON {
	j := pinJSON{ID: p.id, Code: p.code, Product: p.product, ClientIdentifier: p.clientID,
		ExpiresIn: max(0, int(time.Until(p.expires).Seconds())), ExpiresAt: p.expires.UTC().Format(time.RFC3339)}
	j.CreatedAt = time.Now().UTC().Format(time.RFC3339)
	if p.token != "" {
		token := p.token
		j.AuthToken = &token
	}
	return j
}

func (s *Server) newPin(w http.ResponseWriter, r *http.Request) {
	id := clientID(r)
	product := r.Header.Get("X-Plex-Product")
	if id == "" || product == "" {
		fail(w, http.StatusBadRequest, 1000, "X-Plex-Client-Identifier and X-Plex-Product are required")
		return
	}
	lifetime := s.PinLifetime
	if lifetime == 0 {
		lifetime = PinLifetime
	}
	s.mu.Lock()
	s.nextPin++
	p := &pin{id: s.nextPin, code: randomString(4, codeChars), clientID: id, product: product, expires: time.Now().Add(lifetime)}
	if r.URL.Query().Get("strong") == "true" {
		p.code = randomString(25, tokenChars)
	}
	s.pins[p.id] = p
	j := p.json()
	onPin := s.OnPin
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, j)
	if onPin != nil {
		go onPin(p.code)
	}
}

func (s *Server) checkPin(w http.ResponseWriter, r *http.Request, rawID string) {
	id, err := strconv.Atoi(rawID)
	s.mu.Lock()
	p, ok := s.pins[id]
	// plex.tv answers a PIN only to the client that made it, and forgets expired ones.
	if err != nil || !ok || p.clientID != clientID(r) || time.Now().After(p.expires) {
		s.mu.Unlock()
		fail(w, http.StatusNotFound, 1020, "Code not found or expired")
		return
	}
	j := p.json()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, j)
}

func (s *Server) claimToken(w http.ResponseWriter, r *http.Request) {
	dev := s.authorize(w, r)
	if dev == nil {
		return
	}
	token := "claim-" + randomString(20, tokenChars)
	s.mu.Lock()
	s.claims[token] = &claimGrant{account: dev.account, expires: time.Now().Add(ClaimLifetime)}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"token": token})
}

// exchange is what PMS (or a Docker image's first run) does with a claim token: plex.tv
// issues the device named by the request's X-Plex-Client-Identifier (the server's
// ProcessedMachineIdentifier) a token of the account that made the claim token, and
// records the device from the request's headers.
func (s *Server) exchange(w http.ResponseWriter, r *http.Request) {
	claim := r.URL.Query().Get("token")
	id := clientID(r)
	if id == "" {
		fail(w, http.StatusBadRequest, 1000, "X-Plex-Client-Identifier is required")
		return
	}
	s.mu.Lock()
	c, ok := s.claims[claim]
	if !ok || c.used || time.Now().After(c.expires) {
		s.mu.Unlock()
		fail(w, http.StatusUnauthorized, 1001, "The claim token is invalid or expired")
		return
	}
	c.used = true
	token := randomString(20, tokenChars)
	dev := s.deviceLocked(c.account, id)
	dev.update(r.Header)
	s.issueLocked(dev, token)
	a := c.account
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/xml")
	body, err := xml.MarshalIndent(exchangeUser{Email: a.Email, ID: a.ID, UUID: a.UUID, Username: a.Username, Title: a.Username, AuthToken: token, Token: token}, "", "  ")
	if err != nil {
		http.Error(w, "cannot encode the answer", http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(w, "%s%s\n", xml.Header, body)
}

// exchangeUser is plex.tv's XML answer to a claim exchange, escaped by encoding/xml: an
// account named "jo&ann" must not break it.
type exchangeUser struct {
	XMLName   xml.Name `xml:"user"`
	Email     string   `xml:"email,attr"`
	ID        int      `xml:"id,attr"`
	UUID      string   `xml:"uuid,attr"`
	Username  string   `xml:"username,attr"`
	Title     string   `xml:"title,attr"`
	AuthToken string   `xml:"authenticationToken,attr"`
	Token     string   `xml:"authentication-token"`
}

const (
	tokenChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
	// codeChars leaves out what reads alike on a screen (0/O, 1/I).
	codeChars = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	lowerHex  = "0123456789abcdef"
)

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Listen serves the stand-in on a loopback address (port 0 picks one) until the
// returned stop function is called; it returns the base URL.
func (s *Server) Listen(addr string) (url string, stop func() error, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", nil, fmt.Errorf("listen address %q is not on loopback; the plex.tv stand-in serves 127.0.0.1 or [::1] only", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), srv.Close, nil
}

// ServerProduct is the X-Plex-Product of Plex Media Server.
const ServerProduct = "Plex Media Server"
