//go:build linux

package systemdtest_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/service"
	"github.com/plexform/plexform/stores/service/servicetest"
)

// TestConformanceSystemd runs the service managers' conformance suite on the systemd
// manager against a real systemd, PID 1 of this package's container: the manager's
// systemctl commands run in the container (machineRunner), and each service is a unit
// of its own whose ExecStart= is the suite's program, in a directory the container
// shares with this machine at the same path. The run lives here rather than beside
// stores/service/systemd.go because only this package boots a systemd.
//
// Two documented behaviours shape the harness (systemd.service(5), systemd.kill(5)):
// with Type=simple a start is done once the process is forked, so a program that exits
// at once is "active" for a moment (UpWhileProcessExists); and a stop sends SIGTERM,
// then SIGKILL once TimeoutStopSec= is over (KillsAfterGrace), which the unit sets
// between the suite's Linger and StopTimeout.
func TestConformanceSystemd(t *testing.T) {
	// The programs' directory is mounted at /servicetest, never under the machine's
	// /tmp, which systemd empties at boot (Harness.Share).
	const there = "/servicetest"
	here := t.TempDir()
	m := boot(t, "-v", here+":"+there)
	grace := (servicetest.Linger + servicetest.StopTimeout) / 2
	share := func(*testing.T) (string, string) { return here, there }
	servicetest.Run(t, servicetest.Harness{KillsAfterGrace: true, UpWhileProcessExists: true, Share: share, New: func(t *testing.T, p servicetest.Program) stores.Service {
		var rnd [4]byte
		_, _ = rand.Read(rnd[:])
		unit := "servicetest-" + hex.EncodeToString(rnd[:])
		m.write(t, "/etc/systemd/system/"+unit+".service", fmt.Sprintf(
			"[Unit]\nDescription=servicetest's program\n\n[Service]\nType=simple\nExecStart=%q %q %q\nTimeoutStopSec=%dms\n",
			p.Argv[0], p.Argv[1], p.Argv[2], grace.Milliseconds()), "root:root", "644")
		m.exec(t, "systemctl", "daemon-reload")
		svc, err := service.New(service.Config{Manager: "systemd", Unit: unit, Runner: machineRunner{m}})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}})
}

// machineRunner runs a manager's commands inside the machine, with docker exec, which
// passes on their output and exit status.
type machineRunner struct{ m *machine }

func (r machineRunner) Run(ctx context.Context, argv []string) ([]byte, error) {
	return service.OSRunner{}.Run(ctx, append([]string{"docker", "-H", r.m.e.Host, "exec", r.m.name}, argv...))
}
