package testtool

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// PlexJWT returns a token shaped like the JWTs plex.tv hands out since its September 2025
// API release (developer.plex.tv, "JWT Authentication"; python-plexapi 4.17.2
// MyPlexJWTLogin): three base64url parts without padding, an EdDSA header, claims with an
// exp, and a 64-byte signature. Scopes make it long; it is padded (in the scope claim) to
// size characters (up to three more where base64 cannot end there) when size is larger
// than the bare token (under 400 characters). The signature is
// made up from seed: no test may depend on it verifying, as plexform treats a token as
// opaque. The same size, exp and seed give the same token.
func PlexJWT(size int, exp time.Time, seed string) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"kid":"` + seed + `","typ":"JWT","alg":"EdDSA"}`))
	sum := sha256.Sum256([]byte(seed))
	sig := enc.EncodeToString(append(sum[:], sum[:]...))
	claims := func(scope string) string {
		return enc.EncodeToString([]byte(fmt.Sprintf(`{"nonce":%q,"thumbprint":"%x","aud":"plex.tv","iss":"plex.tv","scope":%q,"iat":%d,"exp":%d}`,
			seed, sum[:8], scope, exp.Add(-7*24*time.Hour).Unix(), exp.Unix())))
	}
	scope := "username,email,friendly_name,restricted,anonymous,joined_at"
	token := header + "." + claims(scope) + "." + sig
	for len(token) < size {
		// Every 3 bytes of claims are 4 characters; pad with whole triples, then trim to fit.
		missing := (size - len(token) + 3) / 4 * 3
		scope += strings.Repeat(",x", missing/2+1)[:missing]
		token = header + "." + claims(scope) + "." + sig
	}
	for strings.HasSuffix(scope, "x") {
		shorter := header + "." + claims(scope[:len(scope)-1]) + "." + sig
		if len(shorter) < size {
			break
		}
		scope, token = scope[:len(scope)-1], shorter
	}
	return token
}
