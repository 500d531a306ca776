package testtool

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func TestPlexJWTIsThreeBase64URLPartsOfTheSizeAsked(t *testing.T) {
	exp := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, n := range []int{1000, 1500, 1501, 4000} {
		tok := PlexJWT(n, exp, "seed")
		if len(tok) < n || len(tok) > n+3 {
			t.Errorf("PlexJWT(%d) has %d characters", n, len(tok))
		}
		parts := strings.Split(tok, ".")
		if len(parts) != 3 {
			t.Fatalf("PlexJWT(%d) has %d parts", n, len(parts))
		}
		claims, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil || !strings.Contains(string(claims), `"exp":1735689600`) {
			t.Errorf("PlexJWT(%d) claims: %v, %.80s", n, err, claims)
		}
	}
	first, again, other := PlexJWT(1500, exp, "a"), PlexJWT(1500, exp, "a"), PlexJWT(1500, exp, "b")
	if first != again || first == other {
		t.Error("the seed must make the token, and only it")
	}
}
