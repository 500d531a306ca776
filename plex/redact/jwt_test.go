package redact

import (
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/internal/testtool"
)

// expired is a past exp: a JWT is a secret whether or not it expired (plex.tv refreshes
// one even after that).
var expired = time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)

// TestLogLineMasksJWTsAndTokensOfAnyShape: Plex log lines that doctor and verify show may
// carry a JWT anywhere (not only after X-Plex-Token=), and an X-Plex-Token of any shape,
// also inside a URL-encoded URL.
func TestLogLineMasksJWTsAndTokensOfAnyShape(t *testing.T) {
	jwt := testtool.PlexJWT(1500, expired, "logline")
	odd := "tok~2.x!Q"
	for _, line := range []string{
		`Dec 07, 2026 10:00:00.123 [0x7f] ERROR - MyPlex: GET https://plex.tv/api/v2/user?X-Plex-Token=` + jwt + ` failed (498)`,
		`Dec 07, 2026 10:00:00.123 [0x7f] DEBUG - Request header Authorization: Bearer ` + jwt,
		`Dec 07, 2026 10:00:00.123 [0x7f] WARN - Refreshing the expired JWT ` + jwt + `, attempt 2`,
		`Dec 07, 2026 10:00:00.123 [0x7f] DEBUG - answer {"authToken":"` + jwt + `","id":1}`,
		`Dec 07, 2026 10:00:00.123 [0x7f] DEBUG - HTTP requesting GET http://127.0.0.1:32400/proxy?url=http%3A%2F%2Fx%2Fidentity%3FX-Plex-Token%3D` + odd + `%26a%3Db`,
		`Dec 07, 2026 10:00:00.123 [0x7f] DEBUG - GET /library/sections?X-Plex-Token=` + odd + `&X-Plex-Client-Identifier=c`,
		`Dec 07, 2026 10:00:00.123 [0x7f] DEBUG - claim answer <user><authentication-token>` + odd + `</authentication-token></user>`,
		`Dec 07, 2026 10:00:00.123 [0x7f] DEBUG - Request header Authorization: Bearer ` + odd,
		`Dec 07, 2026 10:00:00.123 [0x7f] DEBUG - Request header authorization=bearer ` + odd + `, retry`,
		`Dec 07, 2026 10:00:00.123 [0x7f] DEBUG - settings X-Plex-Token = "` + odd + ` ` + odd + `" kept`,
		`Dec 07, 2026 10:00:00.123 [0x7f] DEBUG - settings token: '` + odd + ` ` + odd,
	} {
		got := LogLine(line)
		assertNoSecret(t, got, []string{jwt, jwt[:40], jwt[len(jwt)-40:], odd})
		if !strings.Contains(got, "Dec 07, 2026 10:00:00.123 [0x7f]") || !strings.Contains(got, "(masked)") {
			t.Errorf("LogLine lost the line around the token: %.120s", got)
		}
	}
	if plain := "INFO - Loaded com.plexapp.plugins.library.db (v2.1.0)"; LogLine(plain) != plain {
		t.Errorf("LogLine changed a line with nothing to hide: %s", LogLine(plain))
	}
}

// TestRedactMasksJWTs: a JWT under a sign-in name is redacted by its name, and one
// anywhere else (another attribute, a comment) by its shape.
func TestRedactMasksJWTs(t *testing.T) {
	stored, stray, other := testtool.PlexJWT(1500, expired, "stored"), testtool.PlexJWT(900, expired, "stray"), testtool.PlexJWT(600, expired, "other")
	raw := `<?xml version="1.0" encoding="utf-8"?>
<!-- pasted: ` + stray + ` -->
<Preferences FriendlyName="den" PlexOnlineToken="` + stored + `" LastSeenAuth="` + other + `" PlexOnlineUsername="janedoe"/>
`
	res, err := Redact([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.Data)
	assertNoSecret(t, out, []string{stored, stray, other, "eyJ", "janedoe"})
	for _, want := range []string{`PlexOnlineToken="REDACTED-PlexOnlineToken"`, `LastSeenAuth="REDACTED-JWT"`, `<!-- pasted: REDACTED-JWT -->`, `FriendlyName="den"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the copy lacks %s:\n%s", want, out)
		}
	}
}
