package signin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultURL is where PMS listens; claiming only works from the server's own machine.
const DefaultURL = "http://127.0.0.1:32400"

const (
	// identityTimeout bounds one /identity request: PMS answers it from memory.
	identityTimeout = 10 * time.Second
	// claimTimeout bounds one claim when no timeout is given: PMS answers only after its
	// own round trip to plex.tv.
	claimTimeout = 90 * time.Second
	// Polls start fast (a claim usually shows within milliseconds) and settle at once a
	// second so a slow server is not hammered.
	firstPoll, maxPoll = 50 * time.Millisecond, time.Second
)

// Server is a running Plex Media Server, reached over HTTP.
type Server struct {
	// URL defaults to DefaultURL.
	URL string
	// HTTP defaults to a client whose requests time out on their own; redirects are
	// never followed, with this client or another.
	HTTP *http.Client
	// Timeout bounds each request (the resource's timeout:): a claim, default
	// claimTimeout; a /myplex/account question, default identityTimeout; and an
	// /identity look, at most identityTimeout (a wait polls it again).
	Timeout time.Duration
}

func (s *Server) base() (*url.URL, error) {
	raw := s.URL
	if raw == "" {
		raw = DefaultURL
	}
	return parseBase(raw, "server")
}

// identityTimeout bounds one look at the server (/identity, /myplex/account).
func (s *Server) identityTimeout() time.Duration {
	return min(identityTimeout, orDuration(s.Timeout, identityTimeout))
}

// displayURL is the server's URL for messages, the default filled in.
func (s *Server) displayURL() string {
	if base, err := s.base(); err == nil {
		return base.Redacted()
	}
	return s.URL
}

// Identity asks GET /identity, which PMS answers without authentication.
func (s *Server) Identity(ctx context.Context) (Identity, error) {
	base, err := s.base()
	if err != nil {
		return Identity{}, err
	}
	target := endpoint(base, "/identity", "")
	what := "ask " + target.Redacted()
	ans, err := request{client: s.HTTP, method: http.MethodGet, url: target, timeout: s.identityTimeout(), what: what}.send(ctx)
	if err != nil {
		return Identity{}, err
	}
	if err := ans.verdict(what, serverRefused); err != nil {
		return Identity{}, err
	}
	id, err := parseIdentity(ans.body)
	if err != nil {
		return Identity{}, fmt.Errorf("%s: %w", what, err)
	}
	return id, nil
}

// Claim links the server to the account that made token, with
// POST /myplex/claim?token=TOKEN from this machine. A token that is not "claim-" and more
// (issuedShape: its length is plex.tv's to change) is not
// sent; a token the server refuses (HTTP 400, 401, 403, 422) wraps ErrRejected; no
// answer wraps ErrUnreachable. A server that is already claimed is not sent the token
// and gives ErrAlreadyClaimed, also when it refuses the claim because it was claimed
// meanwhile. Success means the server accepted; WaitClaimed confirms it took effect.
func (s *Server) Claim(ctx context.Context, token string) error {
	token = strings.TrimSpace(token)
	base, err := s.base()
	if err != nil {
		return err
	}
	what := "claim the server at " + base.Redacted()
	// A pasted token passed ValidShape when it was read; one from plex.tv is plex.tv's.
	if !issuedShape(token) {
		return fmt.Errorf("%s: %s: %w", what, issuedHint, ErrRejected)
	}
	if err := s.refuseIfClaimed(ctx, what); err != nil {
		return err
	}
	ans, err := request{
		client: s.HTTP, method: http.MethodPost, url: endpoint(base, "/myplex/claim", token),
		timeout: orDuration(s.Timeout, claimTimeout), what: what, secrets: []string{token},
	}.send(ctx)
	if err != nil {
		return err
	}
	r := claimRefused
	r.hint = "; see the server's log (Plex Media Server.log)"
	err = ans.verdict(what, r)
	if errors.Is(err, ErrRejected) {
		if claimed := s.refuseIfClaimed(ctx, what); claimed != nil {
			return claimed
		}
	}
	return err
}

// refuseIfClaimed returns ErrAlreadyClaimed for a claimed server and nil otherwise,
// including when /identity cannot say: the claim itself then reports the real problem.
func (s *Server) refuseIfClaimed(ctx context.Context, what string) error {
	id, err := s.Identity(ctx)
	if err == nil && id.Claimed {
		return fmt.Errorf("%s: %w", what, ErrAlreadyClaimed)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", what, ctx.Err())
	}
	return nil
}

// WaitClaimed polls /identity until it says claimed="1", for at most timeout. Errors
// while polling (a restart, a slow answer) do not end the wait; the last one is named
// if it times out.
func (s *Server) WaitClaimed(ctx context.Context, timeout time.Duration) error {
	var last error
	_, err := s.poll(ctx, timeout, func(id Identity, err error) bool {
		last = err
		return err == nil && id.Claimed
	})
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("wait for the server to be claimed: %w", err)
	case last != nil:
		return fmt.Errorf("the server at %s stayed unclaimed for %s%s: %w", s.displayURL(), timeout, lastError(last), err)
	default:
		return fmt.Errorf("the server at %s stayed unclaimed for %s (/identity still says claimed=\"0\"): %w", s.displayURL(), timeout, err)
	}
}

// WaitReachable polls /identity until it answers well, for at most timeout, and returns
// that answer: a server that was just started needs a moment before it serves, and PMS
// answers 503 while it prepares its database.
func (s *Server) WaitReachable(ctx context.Context, timeout time.Duration) (Identity, error) {
	var last error
	id, err := s.poll(ctx, timeout, func(_ Identity, err error) bool {
		last = err
		return err == nil
	})
	switch {
	case err == nil:
		return id, nil
	case ctx.Err() != nil:
		return Identity{}, fmt.Errorf("wait for the server to answer: %w", err)
	default:
		return Identity{}, fmt.Errorf("the server at %s did not answer /identity within %s%s: %w", s.displayURL(), timeout, lastError(last), err)
	}
}

// lastError names the last error of a wait, or nothing when there was none (the wait
// timed out on a request still under way).
func lastError(err error) string {
	if err == nil {
		return ""
	}
	return fmt.Sprintf(" (last error: %v)", err)
}

// poll calls Identity until done says so, backing off from firstPoll to maxPoll. It ends
// with the context's error when ctx or timeout runs out first.
func (s *Server) poll(ctx context.Context, timeout time.Duration, done func(Identity, error) bool) (Identity, error) {
	if _, err := s.base(); err != nil {
		return Identity{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for delay := firstPoll; ; delay = min(2*delay, maxPoll) {
		select {
		case <-ctx.Done():
			return Identity{}, ctx.Err()
		case <-timer.C:
		}
		id, err := s.Identity(ctx)
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return Identity{}, ctx.Err()
		}
		if done(id, err) {
			return id, nil
		}
		timer.Reset(delay)
	}
}
