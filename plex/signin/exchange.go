package signin

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"
)

// DefaultExchangeURL is plex.tv, where the Docker images exchange claim tokens.
const DefaultExchangeURL = "https://plex.tv"

// exchangeTimeout bounds the one request to plex.tv when no timeout is given.
const exchangeTimeout = 30 * time.Second

// Exchange trades a claim token for the server's auth token at plex.tv, the way
// plexinc/pms-docker and linuxserver/docker-plex do on a container's first run. It is
// for a server that cannot claim itself; the caller writes the token as PlexOnlineToken
// while the server is stopped. Empty fields take the values those images send.
type Exchange struct {
	// BaseURL defaults to DefaultExchangeURL.
	BaseURL string
	// HTTP defaults to a client whose requests time out on their own; redirects are
	// never followed.
	HTTP *http.Client
	// ClientIdentifier is the server's ProcessedMachineIdentifier (Preferences.xml, or
	// /identity's machineIdentifier): plex.tv registers the token for this server. Required.
	ClientIdentifier string
	// Product defaults to "Plex Media Server", Version to "1.1", Platform to the OS as
	// Plex names it ("Linux" on Linux), PlatformVersion to "1.0", Device to Platform,
	// DeviceName to this host's name ("PlexMediaServer" if it has none).
	Product, Version, Platform, PlatformVersion, Device, DeviceName string
	// Timeout bounds the request (the resource's timeout:); default exchangeTimeout. The
	// server is down while it runs.
	Timeout time.Duration
}

// Token sends POST {BaseURL}/api/claim/exchange?token=TOKEN and returns the auth token
// from the answer. A token of the wrong shape is not sent; a refusal (HTTP 400, 401,
// 403, 422) wraps ErrRejected; no answer wraps ErrUnreachable.
func (e *Exchange) Token(ctx context.Context, claimToken string) (string, error) {
	claimToken = strings.TrimSpace(claimToken)
	raw := e.BaseURL
	if raw == "" {
		raw = DefaultExchangeURL
	}
	base, err := parseBase(raw, "claim exchange")
	if err != nil {
		return "", err
	}
	what := "exchange the claim token at " + base.Redacted()
	if !ValidShape(claimToken) {
		return "", fmt.Errorf("%s: %s: %w", what, shapeHint, ErrRejected)
	}
	if strings.TrimSpace(e.ClientIdentifier) == "" {
		return "", fmt.Errorf("%s: no client identifier: plex.tv needs the server's ProcessedMachineIdentifier, which PMS writes to its settings on its first start", what)
	}
	ans, err := request{
		client: e.HTTP, method: http.MethodPost, url: endpoint(base, "/api/claim/exchange", claimToken),
		header: e.headers(), timeout: orDuration(e.Timeout, exchangeTimeout), what: what, secrets: []string{claimToken},
	}.send(ctx)
	if err != nil {
		return "", err
	}
	r := claimRefused
	r.hint = "; try again later, or let the server claim itself"
	if err := ans.verdict(what, r); err != nil {
		return "", err
	}
	token, err := parseAuthToken(ans.body)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return token, nil
}

// headers are the X-Plex-* headers the Docker images send with the exchange: the
// server's identity (Product "Plex Media Server", Provides "server"), with their
// defaults for what is not given.
func (e *Exchange) headers() http.Header {
	platform := or(e.Platform, plexPlatform(runtime.GOOS))
	return client{ID: e.ClientIdentifier, Product: or(e.Product, serverProduct), Version: or(e.Version, "1.1"), Provides: "server",
		Platform: platform, PlatformVersion: or(e.PlatformVersion, "1.0"), Device: or(e.Device, platform), DeviceName: or(e.DeviceName, hostname())}.headers()
}

// client is who plexform says it is to plex.tv: the X-Plex-* headers a request carries.
// plex.tv updates the device record of the token's device from them, so each request
// states its identity whole (PlexTV.account or ServerIdentity) and an empty field is
// left out rather than guessed.
type client struct {
	ID, Product, Version, Provides, Platform, PlatformVersion, Device, DeviceName string
}

// headers spells c as X-Plex-* headers, leaving out the empty ones.
func (c client) headers() http.Header {
	h := http.Header{}
	for name, value := range map[string]string{
		"X-Plex-Client-Identifier": strings.TrimSpace(c.ID), "X-Plex-Product": c.Product, "X-Plex-Version": c.Version,
		"X-Plex-Provides": c.Provides, "X-Plex-Platform": c.Platform, "X-Plex-Platform-Version": c.PlatformVersion,
		"X-Plex-Device": c.Device, "X-Plex-Device-Name": c.DeviceName,
	} {
		if value != "" {
			h.Set(name, value)
		}
	}
	return h
}

func or(value, fallback string) string {
	if value == "" {
		return fallback
	}
	return value
}

// plexPlatform names goos the way PMS reports its platform.
func plexPlatform(goos string) string {
	switch goos {
	case "darwin":
		return "MacOSX"
	case "windows":
		return "Windows"
	case "freebsd":
		return "FreeBSD"
	default:
		return "Linux"
	}
}

func hostname() string {
	if name, err := os.Hostname(); err == nil && name != "" {
		return name
	}
	return "PlexMediaServer"
}
