//go:build unix

package signin_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/testtool"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/signin"
	"github.com/plexform/plexform/state"
)

// madeClaim records one claim this apply made, remembering spent tokens in dir through
// the trusted backups dir, as the CLI binds it.
func madeClaim(dir string) (record func() error) {
	claims := []*signin.Claim{{Resource: &plan.Resource{Name: "claim"}, Token: "claim-AbCdEfGhIjKlMnOpQrSt"}}
	return func() error { return signin.RecordClaims(&state.Dir{Path: dir}, claims) }
}

func TestSpentClaimsAreRememberedInATrustedDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "backups")
	record := madeClaim(dir)
	if err := record(); err != nil {
		t.Fatalf("RecordClaims: %v", err)
	}
	fi, err := os.Stat(filepath.Join(dir, "claims-used.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("claims-used.json has mode %04o, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(filepath.Join(dir, "claims-used.json"))
	if strings.Contains(string(data), "claim-AbCd") {
		t.Error("the state file holds the claim token itself")
	}
}

// A backups dir that is a symlink, or that another user made, is refused for the state
// file as for the backups: nothing is written through the link or into their dir.
func TestSpentClaimsRefuseAnUntrustedDir(t *testing.T) {
	t.Run("symlink", func(t *testing.T) {
		base := t.TempDir()
		elsewhere := filepath.Join(base, "elsewhere")
		if err := os.Mkdir(elsewhere, 0o755); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(base, "backups")
		if err := os.Symlink(elsewhere, link); err != nil {
			t.Fatal(err)
		}
		record := madeClaim(link)
		err := record()
		if !errors.Is(err, state.ErrUntrustedDir) {
			t.Fatalf("RecordClaims through a symlinked dir: %v, want it refused as untrusted", err)
		}
		if _, err := os.Lstat(filepath.Join(elsewhere, "claims-used.json")); err == nil {
			t.Error("the state file was written through the link")
		}
		if fi, _ := os.Stat(elsewhere); fi.Mode().Perm() != 0o755 {
			t.Errorf("the link's target was chmodded to %04o", fi.Mode().Perm())
		}
	})
	t.Run("another user's dir", func(t *testing.T) {
		other := testtool.SecondUser(t)
		dir := other.OwnDir(t)
		record := madeClaim(dir)
		if err := record(); !errors.Is(err, state.ErrUntrustedDir) {
			t.Fatalf("RecordClaims into %s's dir: %v, want it refused as untrusted", other.Name, err)
		}
		if _, err := os.Lstat(filepath.Join(dir, "claims-used.json")); err == nil {
			t.Errorf("the state file was written into %s's dir", other.Name)
		}
		if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o755 {
			t.Errorf("%s's dir was chmodded to %04o", other.Name, fi.Mode().Perm())
		}
	})
	t.Run("planted state file link", func(t *testing.T) {
		base := t.TempDir()
		dir := filepath.Join(base, "backups")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		victim := filepath.Join(base, "victim.json")
		if err := os.WriteFile(victim, []byte(`{"salt":"s","digests":{}}`), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(victim, filepath.Join(dir, "claims-used.json")); err != nil {
			t.Fatal(err)
		}
		record := madeClaim(dir)
		// Read through the link: refused, not believed.
		if err := record(); err == nil {
			t.Error("RecordClaims read a state file that is a symlink")
		}
		if got, _ := os.ReadFile(victim); string(got) != `{"salt":"s","digests":{}}` {
			t.Errorf("the link's target was rewritten: %s", got)
		}
	})
}

// A spent-claims record that does not decode as plexform writes it is reported, naming
// the file and what to do, and never quoted; it is not taken for an empty record.
func TestSpentClaimsGarbageIsReported(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backups")
	record := madeClaim(dir)
	if err := record(); err != nil {
		t.Fatalf("RecordClaims: %v", err)
	}
	path := filepath.Join(dir, "claims-used.json")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// What RecordClaims wrote reads back.
	if err := record(); err != nil {
		t.Fatalf("RecordClaims over its own record: %v", err)
	}
	for name, garbage := range map[string]string{
		"not JSON":       "\x1b[31mSECRET-GARBAGE",
		"truncated":      string(good[:len(good)/2]),
		"unknown field":  `{"salt": "00112233445566778899aabbccddeeff", "digests": {}, "SECRET-GARBAGE": 1}`,
		"short salt":     `{"salt": "SECRET-GARBAGE", "digests": {}}`,
		"bad digest":     `{"salt": "00112233445566778899aabbccddeeff", "digests": {"claim": "SECRET-GARBAGE"}}`,
		"bad name":       `{"salt": "00112233445566778899aabbccddeeff", "digests": {"../SECRET-GARBAGE": "` + strings.Repeat("0", 64) + `"}}`,
		"two objects":    `{"salt": "00112233445566778899aabbccddeeff", "digests": {}} {}`,
		"a list instead": `["SECRET-GARBAGE"]`,
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(garbage), 0o600); err != nil {
				t.Fatal(err)
			}
			err := record()
			if err == nil || !strings.Contains(err.Error(), path+" is damaged or not plexform's") || !strings.Contains(err.Error(), "move it away") {
				t.Fatalf("RecordClaims over garbage: %v, want it reported with the file and what to do", err)
			}
			if strings.Contains(err.Error(), "SECRET-GARBAGE") || strings.Contains(err.Error(), "\x1b") {
				t.Errorf("the error quotes the file: %q", err)
			}
			if got, _ := os.ReadFile(path); string(got) != garbage {
				t.Error("the garbage was overwritten instead of reported")
			}
		})
	}
}
