package claim

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

// exchangeTimeout bounds the one request to plex.tv.
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
		header: e.headers(), timeout: exchangeTimeout, what: what, secrets: []string{claimToken},
	}.send(ctx)
	if err != nil {
		return "", err
	}
	switch {
	case rejects(ans.status):
		return "", fmt.Errorf("%s (HTTP %d): %w", what, ans.status, ErrRejected)
	case ans.status < 200 || ans.status >= 300:
		return "", fmt.Errorf("%s: unexpected answer HTTP %d; try again later, or let the server claim itself", what, ans.status)
	}
	token, err := parseAuthToken(ans.body)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return token, nil
}

// headers are the X-Plex-* headers the Docker images send with the exchange.
func (e *Exchange) headers() http.Header {
	h := client{ID: e.ClientIdentifier, Product: or(e.Product, "Plex Media Server"), Version: or(e.Version, "1.1"),
		Platform: e.Platform, PlatformVersion: e.PlatformVersion, Device: e.Device, DeviceName: e.DeviceName}.headers()
	h.Set("X-Plex-Provides", "server")
	return h
}

// client is who plexform says it is to plex.tv: the X-Plex-* headers every request
// carries. Empty fields take defaults (see headers).
type client struct {
	ID, Product, Version, Platform, PlatformVersion, Device, DeviceName string
}

// headers spells c as X-Plex-* headers: Platform defaults to the OS as Plex names it,
// PlatformVersion to "1.0", Device to Platform, DeviceName to this host's name.
func (c client) headers() http.Header {
	platform := or(c.Platform, plexPlatform(runtime.GOOS))
	h := http.Header{}
	h.Set("X-Plex-Client-Identifier", strings.TrimSpace(c.ID))
	h.Set("X-Plex-Product", c.Product)
	h.Set("X-Plex-Version", c.Version)
	h.Set("X-Plex-Platform", platform)
	h.Set("X-Plex-Platform-Version", or(c.PlatformVersion, "1.0"))
	h.Set("X-Plex-Device", or(c.Device, platform))
	h.Set("X-Plex-Device-Name", or(c.DeviceName, hostname()))
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
