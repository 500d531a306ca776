package signin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/plexform/plexform/stores"
)

// maxBody bounds what is read from a peer: the answers wanted here are a few hundred
// bytes, and a server that streams more is not one worth waiting for.
const maxBody = 1 << 20

// defaultClient has no overall timeout: each request gets its own through its context,
// sized for what the peer does (a claim waits on plex.tv, /identity does not).
var defaultClient = &http.Client{}

// request is one HTTP exchange with a peer. what names it in errors ("claim the server
// at http://127.0.0.1:32400") and must not contain a secret; secrets are scrubbed from
// any transport error text.
type request struct {
	client  *http.Client
	method  string
	url     *url.URL
	header  http.Header
	timeout time.Duration
	what    string
	secrets []string
}

type answer struct {
	status int
	body   []byte
}

func (r request) send(ctx context.Context) (answer, error) {
	reqCtx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, r.method, r.url.String(), nil)
	if err != nil {
		// Only a bad method or URL gets here, and url.Error would print the URL and so
		// the token: say which part is wrong without it.
		return answer{}, fmt.Errorf("%s: cannot build the request; check the URL", r.what)
	}
	for name, values := range r.header {
		req.Header[name] = values
	}
	resp, err := noRedirects(r.client).Do(req)
	if err != nil {
		return answer{}, r.transportError(ctx, reqCtx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return answer{}, r.transportError(ctx, reqCtx, err)
	}
	if len(body) > maxBody {
		return answer{}, fmt.Errorf("%s: the answer (HTTP %d) is larger than 1 MiB: %w", r.what, resp.StatusCode, stores.ErrMalformed)
	}
	return answer{status: resp.StatusCode, body: body}, nil
}

// transportError tells the caller's own cancellation apart from a peer that does not
// answer, and never wraps the transport's error itself: *url.Error prints the whole URL,
// query string and token included.
func (r request) transportError(ctx, reqCtx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", r.what, ctx.Err())
	}
	if reqCtx.Err() != nil {
		return fmt.Errorf("%s: %w within %s", r.what, ErrUnreachable, r.timeout)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return fmt.Errorf("%s: %w: %s", r.what, ErrUnreachable, redact(err.Error(), r.secrets...))
}

// noRedirects returns a copy of c that hands back a redirect instead of following it:
// a token in the query string must reach the host it was meant for and no other.
func noRedirects(c *http.Client) *http.Client {
	if c == nil {
		c = defaultClient
	}
	copied := *c
	copied.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &copied
}

// Redacted is raw for a message, a plan or a log: a password in it (http://bob:pw@host)
// replaced by "xxxxx", as url.URL.Redacted does. Text that url.Parse does not take has
// whatever stands before an "@" in its host part replaced instead, so no error or
// message carries a password either way.
func Redacted(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		if _, has := u.User.Password(); !has {
			return raw
		}
		return u.Redacted()
	}
	scheme, rest := "", raw
	if i := strings.Index(raw, "://"); i >= 0 {
		scheme, rest = raw[:i+3], raw[i+3:]
	}
	host := rest
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		host = rest[:j]
	}
	if k := strings.LastIndex(host, "@"); k >= 0 {
		return scheme + "xxxxx" + rest[k:]
	}
	return raw
}

// parseBase checks a configured base URL and drops a trailing slash so paths can be
// appended; raw is quoted in the error without a password it may hold.
func parseBase(raw, what string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s URL %q: want http://HOST[:PORT] or https://HOST[:PORT]", what, Redacted(raw))
	}
	u.Path = trimSlash(u.Path)
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

func trimSlash(p string) string {
	for len(p) > 0 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	return p
}

// endpoint is base with path appended and, when token is not empty, ?token=TOKEN:
// exactly what PMS and plex.tv read (claim tokens need no escaping, and any other
// character is escaped rather than sent raw).
func endpoint(base *url.URL, path, token string) *url.URL {
	u := *base
	u.Path += path
	if token != "" {
		u.RawQuery = url.Values{"token": {token}}.Encode()
	}
	return &u
}

// refusal says which answers of a peer refuse what was sent, and what error they wrap.
// Every other answer that is not 2xx gives no verdict: the caller keeps it "unknown".
type refusal struct {
	err     error
	refuses func(answer) bool
	// hint is added to an answer that gives no verdict (what to look at next).
	hint string
}

// The refusals of plexform's peers, in one place.
var (
	// tokenRefused is plex.tv refusing a token: 401 (developer.plex.tv, "Verifying an
	// Access Token"), 498 for an expired token (developer.plex.tv, JWT Authentication),
	// and 422 whose body says "Invalid token", as Home Assistant's Plex integration has
	// seen it and python-plexapi reads it (plexapi/myplex.py, MyPlexAccount.query:
	// status_code == 422 and "Invalid token" in response.text raises Unauthorized).
	// Plex's docs say any other status "does not indicate an invalid Access Token".
	tokenRefused = refusal{err: ErrRevoked, refuses: func(a answer) bool {
		switch a.status {
		case http.StatusUnauthorized, statusTokenExpired:
			return true
		case http.StatusUnprocessableEntity:
			return bytes.Contains(bytes.ToLower(a.body), []byte("invalid token"))
		}
		return false
	}}
	// claimRefused is PMS or plex.tv refusing a claim token.
	claimRefused = refusal{err: ErrRejected, refuses: func(a answer) bool {
		switch a.status {
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity:
			return true
		}
		return false
	}}
	// pinGone is plex.tv forgetting a PIN (expired, or asked by another client).
	pinGone = refusal{err: ErrPinExpired, refuses: func(a answer) bool { return a.status == http.StatusNotFound }}
	// serverRefused is PMS refusing a token as not its own.
	serverRefused = refusal{err: ErrTokenNotAccepted, refuses: func(a answer) bool { return a.status == http.StatusUnauthorized },
		hint: "; is this a Plex Media Server, and has it finished starting?"}
	// refusesNothing is for requests that carry no secret to refuse (a new PIN).
	refusesNothing = refusal{refuses: func(answer) bool { return false }}
)

// statusTokenExpired is plex.tv's answer to an expired JWT (not in net/http).
const statusTokenExpired = 498

// verdict is what an answer means: nil for 2xx, r.err when r refuses it, and otherwise
// an error that gives no verdict and says why (rate limited, the peer failing, or an
// answer nobody documents).
func (a answer) verdict(what string, r refusal) error {
	switch {
	case a.status >= 200 && a.status < 300:
		return nil
	case r.refuses(a):
		return &refusedError{status: a.status, err: fmt.Errorf("%s (HTTP %d): %w", what, a.status, r.err)}
	case a.status == http.StatusTooManyRequests:
		return fmt.Errorf("%s: HTTP 429, too many requests; no verdict, ask again later%s", what, r.hint)
	case a.status >= 500:
		return fmt.Errorf("%s: HTTP %d, the peer is failing; no verdict, ask again later%s", what, a.status, r.hint)
	default:
		return fmt.Errorf("%s: unexpected answer HTTP %d; no verdict%s", what, a.status, r.hint)
	}
}

// orDuration is d, or fallback when d is not set.
func orDuration(d, fallback time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return fallback
}

// refusedError is a refusal that remembers the status it came with, for evidence.
type refusedError struct {
	status int
	err    error
}

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

// RefusedStatus is the HTTP status with which a peer refused what was sent (401, 498,
// 422, ...), or 0 when err is no refusal.
func RefusedStatus(err error) int {
	var r *refusedError
	if errors.As(err, &r) {
		return r.status
	}
	return 0
}
