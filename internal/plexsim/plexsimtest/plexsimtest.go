// Package plexsimtest helps tests run the Plex Media Server simulator as a real process:
// build it, find the address it listens on, and ask it who it is.
package plexsimtest

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Build compiles cmd/plexsim into a temporary directory of tb and returns its path.
func Build(tb testing.TB) string {
	tb.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		tb.Fatalf("build plexsim: the go tool is not on PATH: %v", err)
	}
	bin := filepath.Join(tb.TempDir(), "plexsim")
	out, err := exec.Command(goTool, "build", "-o", bin, "github.com/plexform/plexform/cmd/plexsim").CombinedOutput()
	if err != nil {
		tb.Fatalf("build plexsim: %v\n%s", err, out)
	}
	return bin
}

// WaitAddr waits for the simulator to write its listening address to path and returns
// it. The wait is bounded only so that a broken test ends instead of hanging.
func WaitAddr(tb testing.TB, path string) string {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		data, err := os.ReadFile(path)
		if err == nil && strings.HasSuffix(string(data), "\n") {
			return strings.TrimSpace(string(data))
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			tb.Fatalf("read address file: %v", err)
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the simulator never wrote its address to %s", path)
		}
		time.Sleep(delay)
	}
}

// Identity is what /identity reports.
type Identity struct {
	Claimed           string `xml:"claimed,attr"`
	MachineIdentifier string `xml:"machineIdentifier,attr"`
	Version           string `xml:"version,attr"`
}

// GetIdentity asks the server at addr (host:port) for /identity.
func GetIdentity(addr string) (Identity, error) {
	client := http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + addr + "/identity")
	if err != nil {
		return Identity{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Identity{}, fmt.Errorf("GET /identity: %s", resp.Status)
	}
	var id Identity
	if err := xml.NewDecoder(resp.Body).Decode(&id); err != nil {
		return Identity{}, fmt.Errorf("GET /identity: %w", err)
	}
	return id, nil
}

// FreeAddr is a loopback address nothing listens on right now, for a simulator to listen
// on (or, left alone, for a check that must find no server there).
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
