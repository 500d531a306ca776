// Package signin links a Plex Media Server to a plex.tv account with a claim token from
// plex.tv/claim, without a browser: either by asking the running server to claim itself
// (POST /myplex/claim on loopback, the way Plex's own web app does it) or, for a server
// that cannot reach plex.tv, by exchanging the claim token at plex.tv for the server's
// auth token the way Plex's Docker images do (the caller then writes it as
// PlexOnlineToken while the server is stopped).
//
// It is also where the kinds plex_signin and plex_claim run (plex_signin.go,
// plex_claim.go): a plex_signin's verdict, the one decision about a repair (reset or
// not, re-link or not, claim or not), the claim and the re-link after the start, and the
// record of spent claim tokens. They sit beside the clients they use, and below the
// packages that drive them: host binds them to a store and a service and applies their
// decisions to the store diffs; executor runs them in its phases through its small
// participant interfaces (Checker, AfterStarter), which they satisfy without importing
// it. So this package imports only plan and stores: what it needs of the host is plain
// data (a stores.Store, the names of the stores a claim touches, a PreviousOwner func
// host sets), what it reports is through the callbacks the engine passes, and its state
// file is read through the StateFiles interface defined here. No import runs back up.
//
// Claim tokens and auth tokens are secrets: they never appear in an error this package
// returns, even when the transport or the peer would have echoed them.
package signin

import (
	"errors"
	"strings"

	"github.com/plexform/plexform/internal/lazyre"
)

// ErrRejected means the peer refused the claim token: it expired, was already used, or
// was never valid. The remedy is always the same, so the message says it.
var ErrRejected = errors.New("the claim token was rejected (they expire about 4 minutes after they are made); get a new one at plex.tv/claim")

// ErrUnreachable means no HTTP answer came back: nothing listening, a refused or reset
// connection, a DNS failure, or no answer in time.
var ErrUnreachable = errors.New("no answer")

// ErrAlreadyClaimed is what Claim returns for a server that /identity reports as claimed:
// the token is not sent, so a still-valid token is not wasted, and the caller (which
// should have checked Identity first) learns that someone claimed it in between.
var ErrAlreadyClaimed = errors.New("the server is already claimed by a plex.tv account")

// Every claim token seen from plex.tv/claim is "claim-" and 20 characters of this set;
// the simulator accepts exactly that shape too.
var claimShape = lazyre.New(`^claim-[A-Za-z0-9_-]{20}$`)

// shapeHint explains ValidShape's rule to a user who pasted something else.
const shapeHint = `the claim token does not look like one from plex.tv/claim ("claim-" and 20 letters, digits, '-' or '_')`

// ValidShape says whether token looks like a claim token, so a typo or a pasted URL gets
// a clear error before anything is sent. Surrounding white space (a secret file's final
// newline) is ignored here and by every method that takes a token.
func ValidShape(token string) bool {
	return claimShape.MatchString(strings.TrimSpace(token))
}

// claimPrefix begins every claim token plex.tv issues.
const claimPrefix = "claim-"

// issuedHint explains issuedShape's rule.
const issuedHint = `the claim token does not look like one from plex.tv (it does not begin with "claim-", or holds spaces or control characters)`

// issuedShape says whether token can be a claim token that plex.tv issued: "claim-" and
// more, nothing that cannot be in a token. Unlike ValidShape it leaves the length and
// the alphabet to plex.tv: a claim token it issues to a link code (or one that reached
// Claim through ValidShape) must not be refused after the owner entered the code, only
// because plex.tv changed its tokens' length.
func issuedShape(token string) bool {
	token = strings.TrimSpace(token)
	return len(token) > len(claimPrefix) && strings.HasPrefix(token, claimPrefix) && checkToken(token) == nil
}

// redact replaces every non-empty secret in s, so text from a transport or a peer can
// be shown without leaking what was sent or received.
func redact(s string, secrets ...string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "(redacted)")
		}
	}
	return s
}
