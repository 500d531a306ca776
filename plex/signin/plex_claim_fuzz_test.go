package signin

import (
	"encoding/json"
	"testing"
)

// FuzzParseUsedClaims: no claims-used.json, however crafted, crashes the parser; one it
// accepts is a record RecordClaims could have written (it writes it back unchanged).
func FuzzParseUsedClaims(f *testing.F) {
	f.Add([]byte(`{"salt": "00112233445566778899aabbccddeeff", "digests": {"claim": "` +
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + `"}}`))
	f.Add([]byte(`{"salt": "", "digests": null}`))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := parseUsedClaims(data)
		if err != nil {
			return
		}
		again, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parseUsedClaims(again); err != nil {
			t.Fatalf("a record it accepted does not read back once written: %v", err)
		}
	})
}
