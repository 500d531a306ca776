package plexsim

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// signIn is what a claim gives the server.
type signIn struct{ token, username, email string }

// plexTVTimeout bounds one request to the plex.tv stand-in.
const plexTVTimeout = 10 * time.Second

var plexTVClient = &http.Client{
	Timeout:       plexTVTimeout,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// exchange turns a claim token into the server's sign-in. Without a plex.tv stand-in
// it makes one up; with one it asks POST /api/claim/exchange as PMS does, and returns
// plex.tv's status when it refuses (or 502 when it cannot be asked).
func (s *Server) exchange(ctx context.Context, claim string) (signIn, int) {
	if s.opts.PlexTV == "" {
		user := "plexsim-user"
		return signIn{randomString(20, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"), user, user + "@example.com"}, http.StatusOK
	}
	ctx, cancel := context.WithTimeout(ctx, plexTVTimeout)
	defer cancel()
	u := strings.TrimSuffix(s.opts.PlexTV, "/") + "/api/claim/exchange?" + url.Values{"token": {claim}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return signIn{}, http.StatusBadGateway
	}
	s.identify(req.Header, s.settings.get(attrProcMach))
	resp, err := plexTVClient.Do(req)
	if err != nil {
		return signIn{}, http.StatusBadGateway
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return signIn{}, resp.StatusCode
	}
	var doc struct {
		Username string `xml:"username,attr"`
		Email    string `xml:"email,attr"`
		Token    string `xml:"authentication-token"`
	}
	if err := xml.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil || doc.Token == "" {
		return signIn{}, http.StatusBadGateway
	}
	return signIn{strings.TrimSpace(doc.Token), doc.Username, doc.Email}, http.StatusOK
}

// identify sets the headers PMS sends to plex.tv as itself (plexinc/pms-docker's and
// linuxserver/docker-plex's claim scripts send the same for it): its
// ProcessedMachineIdentifier, "Plex Media Server", provides "server" and its version.
// plex.tv updates the device record of the token's device from them.
func (s *Server) identify(h http.Header, machine string) {
	h.Set("X-Plex-Client-Identifier", machine)
	h.Set("X-Plex-Product", "Plex Media Server")
	h.Set("X-Plex-Version", Version)
	h.Set("X-Plex-Provides", "server")
}

// rejectedByPlexTV reports whether plex.tv refuses the server's token: a token whose
// value begins with "stale", or, with a stand-in, its GET /api/v2/user (asked as the
// server itself) answering 401, 498 (expired) or 422 (invalid token). A stand-in that
// cannot be asked, or answers anything else, rejects nothing: PMS keeps its last known
// state.
func (s *Server) rejectedByPlexTV(ctx context.Context, token, machine string) bool {
	if strings.HasPrefix(token, "stale") {
		return true
	}
	if s.opts.PlexTV == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, plexTVTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(s.opts.PlexTV, "/")+"/api/v2/user", nil)
	if err != nil {
		return false
	}
	s.identify(req.Header, machine)
	req.Header.Set("X-Plex-Token", token)
	req.Header.Set("Accept", "application/json")
	resp, err := plexTVClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusUnprocessableEntity, 498:
		return true
	}
	return false
}
