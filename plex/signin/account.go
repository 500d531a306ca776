package signin

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"github.com/plexform/plexform/internal/lazyre"
	"net/http"

	"github.com/plexform/plexform/stores"
)

// ErrTokenNotAccepted means the server answered 401 to GET /myplex/account: the token
// given is not the one it runs with (its settings file and its memory differ, or the
// store is not this server's).
var ErrTokenNotAccepted = errors.New("the server does not accept the stored token as its own")

// stateShape is a signInState word; anything else is not passed on to be printed.
var stateShape = lazyre.New(`^[A-Za-z]{1,32}$`)

// SignInState asks GET /myplex/account with token (the server's own PlexOnlineToken,
// sent as X-Plex-Token) and returns the signInState PMS reports: "ok" when plex.tv
// accepts its sign-in, "invalid" when plex.tv refused it, and so on. The answer also
// holds the token and the user name; neither is kept.
func (s *Server) SignInState(ctx context.Context, token string) (string, error) {
	base, err := s.base()
	if err != nil {
		return "", err
	}
	target := endpoint(base, "/myplex/account", "")
	what := "ask " + target.Redacted()
	h := http.Header{}
	h.Set("X-Plex-Token", token)
	ans, err := request{client: s.HTTP, method: http.MethodGet, url: target, header: h, timeout: orDuration(s.Timeout, identityTimeout), what: what, secrets: []string{token}}.send(ctx)
	if err != nil {
		return "", err
	}
	if err := ans.verdict(what, serverRefused); err != nil {
		return "", err
	}
	state, err := parseSignInState(ans.body)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return state, nil
}

// parseSignInState reads <MyPlex signInState="..."> from PMS's /myplex/account answer.
// The answer also carries the token and the user name: nothing of it reaches an error.
func parseSignInState(body []byte) (string, error) {
	var doc struct {
		XMLName     xml.Name
		SignInState *string `xml:"signInState,attr"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		return "", xmlError(err)
	}
	if doc.XMLName.Local != "MyPlex" || doc.SignInState == nil {
		return "", fmt.Errorf("the answer is not <MyPlex signInState=...>: %w", stores.ErrMalformed)
	}
	if !stateShape.MatchString(*doc.SignInState) {
		return "", fmt.Errorf("signInState is not a word: %w", stores.ErrMalformed)
	}
	return *doc.SignInState, nil
}
