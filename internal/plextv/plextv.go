// Package plextv is a stand-in for the parts of plex.tv that plexform and Plex Media
// Server talk to, for tests and the hidden `plexform __plextv` command. It keeps
// accounts and the tokens plex.tv has issued to them, and answers:
//
//   - GET /api/v2/user with X-Plex-Token: 200 and the account (JSON: id, uuid,
//     username, email, as plex.tv answers) for a token it honours, 401 for one it
//     revoked or never issued;
//   - POST /api/v2/pins: a new 4-character link code (what https://plex.tv/link asks
//     for), and GET /api/v2/pins/{id}: that PIN, with its authToken once someone has
//     entered the code; both need the same X-Plex-Client-Identifier, as on plex.tv;
//   - GET /api/claim/token.json with an account token: a claim token, valid 4 minutes;
//   - POST /api/claim/exchange?token=claim-...: what a server does with a claim token:
//     plex.tv issues the server its own token for the account (XML, as plex.tv answers).
//
// A test "enters" a link code with Enter (or POST /__plextv/enter?code=ABCD when run as
// a command; &username=NAME enters it as that account instead of the first), and revokes an account's tokens with Revoke (POST /__plextv/revoke),
// which is what a password reset with "sign out of all devices" does.
//
// It never logs a token, a code's token, an e-mail address or a user name.
package plextv

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
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

// Account is one plex.tv user.
type Account struct {
	ID       int    `json:"id"`
	UUID     string `json:"uuid"`
	Username string `json:"username"`
	Email    string `json:"email"`
}

// Server is the stand-in's state; it is an http.Handler.
type Server struct {
	// PinLifetime overrides the default lifetime of link codes (tests of expiry).
	PinLifetime time.Duration
	// OnPin, when set, is called (outside the lock) with every new link code, so a test
	// can enter it as a person would on another device.
	OnPin func(code string)

	mu       sync.Mutex
	accounts []*Account
	tokens   map[string]*issued // token → its account, while honoured
	pins     map[int]*pin
	claims   map[string]*issued // claim token → account
	nextPin  int
	requests map[string]int // "METHOD /path" → count, for tests
}

type issued struct {
	account *Account
	revoked bool
	expires time.Time // claim tokens only
	used    bool      // claim tokens only
}

type pin struct {
	id       int
	code     string
	clientID string
	expires  time.Time
	token    string // set once the code was entered
}

// New returns an empty stand-in.
func New() *Server {
	return &Server{tokens: map[string]*issued{}, pins: map[int]*pin{}, claims: map[string]*issued{}, nextPin: 1000, requests: map[string]int{}}
}

// AddAccount creates an account and returns it.
func (s *Server) AddAccount(username, email string) *Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := &Account{ID: len(s.accounts) + 1, UUID: randomString(16, lowerHex), Username: username, Email: email}
	s.accounts = append(s.accounts, a)
	return a
}

// Honour makes token a token plex.tv issued to a (a server's or an app's).
func (s *Server) Honour(a *Account, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = &issued{account: a}
}

// Revoke revokes every token of the account with this user name, as a password reset
// with "sign out of all devices" does. It reports how many it revoked.
func (s *Server) Revoke(username string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.tokens {
		if t.account.Username == username && !t.revoked {
			t.revoked = true
			n++
		}
	}
	return n
}

// Honoured reports whether plex.tv currently accepts token.
func (s *Server) Honoured(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[token]
	return ok && !t.revoked
}

// Enter links the pending PIN with this code to the account (the first account when a
// is nil), as a signed-in person does at plex.tv/link. It fails for an unknown or
// expired code.
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
			s.tokens[p.token] = &issued{account: a}
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

// Issued lists every token plex.tv issued or honours, revoked or not, and every claim
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
	s.mu.Unlock()
	switch {
	case path == "/api/v2/user" && r.Method == http.MethodGet:
		s.user(w, r)
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
	default:
		http.NotFound(w, r)
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
	Errors []struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  int    `json:"status"`
	} `json:"errors"`
}

func fail(w http.ResponseWriter, status, code int, message string) {
	var e apiError
	e.Errors = append(e.Errors, struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  int    `json:"status"`
	}{code, message, status})
	writeJSON(w, status, e)
}

// account returns the account of an honoured token, or nil.
func (s *Server) account(token string) *Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[token]; ok && !t.revoked {
		return t.account
	}
	return nil
}

func (s *Server) user(w http.ResponseWriter, r *http.Request) {
	token := plexToken(r)
	a := s.account(token)
	if a == nil {
		fail(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
		return
	}
	// plex.tv's answer carries the token and personal data: exactly what a client
	// must not print.
	writeJSON(w, http.StatusOK, map[string]any{
		"id": a.ID, "uuid": a.UUID, "username": a.Username, "title": a.Username, "email": a.Email,
		"authToken": token, "subscription": map[string]any{"active": false},
	})
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

func (p *pin) json(product string) pinJSON {
	j := pinJSON{ID: p.id, Code: p.code, Product: product, ClientIdentifier: p.clientID,
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
	p := &pin{id: s.nextPin, code: randomString(4, codeChars), clientID: id, expires: time.Now().Add(lifetime)}
	if r.URL.Query().Get("strong") == "true" {
		p.code = randomString(25, tokenChars)
	}
	s.pins[p.id] = p
	j := p.json(product)
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
	j := p.json(r.Header.Get("X-Plex-Product"))
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, j)
}

func (s *Server) claimToken(w http.ResponseWriter, r *http.Request) {
	a := s.account(plexToken(r))
	if a == nil {
		fail(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
		return
	}
	token := "claim-" + randomString(20, tokenChars)
	s.mu.Lock()
	s.claims[token] = &issued{account: a, expires: time.Now().Add(ClaimLifetime)}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"token": token})
}

// exchange is what PMS (or a Docker image's first run) does with a claim token: plex.tv
// issues a token for the server, registered to the account that made the claim token.
func (s *Server) exchange(w http.ResponseWriter, r *http.Request) {
	claim := r.URL.Query().Get("token")
	if clientID(r) == "" {
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
	s.tokens[token] = &issued{account: c.account}
	a := c.account
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/xml")
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<user email=%q id=\"%d\" uuid=%q username=%q title=%q authenticationToken=%q>\n  <authentication-token>%s</authentication-token>\n</user>\n",
		a.Email, a.ID, a.UUID, a.Username, a.Username, token, token)
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
