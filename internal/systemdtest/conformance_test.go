//go:build linux

package systemdtest_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/service"
	"github.com/plexform/plexform/stores/service/servicetest"
)

// TestConformanceSystemd runs the service managers' conformance suite on the systemd
// manager against a real systemd, PID 1 of this package's container: the manager's
// systemctl commands run in the container (machineRunner), and each service is a unit
// of its own whose ExecStart= is the suite's program, in a directory the container
// shares with this machine (Harness.Share). The run lives here rather than beside
// stores/service/systemd.go because only this package boots a systemd.
//
// Two documented behaviours shape the harness (systemd.service(5), systemd.kill(5)):
// with Type=simple a start is done once the process is forked, so a program that exits
// at once is "active" for a moment (UpWhileProcessExists); and a stop sends SIGTERM,
// then SIGKILL once TimeoutStopSec= is over (KillsAfterGrace), which the unit sets
// between the suite's Linger and StopTimeout.
//
// The snap manager runs it on the same machine. snapd cannot run in a container, so
// snapStandIn plays the snap command over the real
// systemd underneath, as snapd drives a snap's services: each is a systemd unit
// snap.SNAP.APP.service; `snap stop` and `snap start` run systemctl stop and start on
// them and wait for the change ("--no-wait  Do not wait for the operation to finish",
// snap help stop); `snap services` prints Service, Startup, Current and Notes, Current
// being active or inactive (snapcraft.io/docs/service-management). Each service is one
// such unit, shaped as for systemd.
func TestConformanceSystemd(t *testing.T) {
	// The programs' directory is mounted at /servicetest, never under the machine's
	// /tmp, which systemd empties at boot (Harness.Share).
	const there = "/servicetest"
	here := t.TempDir()
	m := boot(t, "-v", here+":"+there)
	share := func(*testing.T) (string, string) { return here, there }
	grace := (servicetest.Linger + servicetest.StopTimeout) / 2
	t.Run("systemd", func(t *testing.T) {
		servicetest.Run(t, servicetest.Harness{KillsAfterGrace: true, UpWhileProcessExists: true, Share: share, New: func(t *testing.T, p servicetest.Program) stores.Service {
			unit := "servicetest-" + randomHex()
			m.unit(t, unit, p, grace)
			svc, err := service.New(service.Config{Manager: "systemd", Unit: unit, Runner: machineRunner{m}})
			if err != nil {
				t.Fatal(err)
			}
			return svc
		}})
	})
	t.Run("snap", func(t *testing.T) {
		m.write(t, "/usr/local/bin/snap", snapStandIn, "root:root", "755")
		servicetest.Run(t, servicetest.Harness{KillsAfterGrace: true, UpWhileProcessExists: true, Share: share, New: func(t *testing.T, p servicetest.Program) stores.Service {
			name := "servicetest" + randomHex()
			m.unit(t, "snap."+name+".daemon", p, grace)
			svc, err := service.New(service.Config{Manager: "snap", Unit: name, Runner: machineRunner{m}})
			if err != nil {
				t.Fatal(err)
			}
			return svc
		}})
	})
}

// snapStandIn is the snap command as TestConformanceSystemd describes it, for the verbs the
// snap manager uses. snapd counts a unit as active when systemd says active or
// reloading, and as inactive otherwise.
const snapStandIn = `#!/bin/sh
verb=$1 name=$2
units=$(systemctl list-unit-files --no-legend "snap.$name.*.service" | awk '{print $1}')
if [ -z "$units" ]; then echo "error: snap \"$name\" not found" >&2; exit 1; fi
case $verb in
stop|start) exec systemctl "$verb" $units ;;
services)
	printf 'Service  Startup  Current  Notes\n'
	for u in $units; do
		app=${u#snap.}; app=${app%.service}
		case $(systemctl is-active "$u") in active|reloading) cur=active ;; *) cur=inactive ;; esac
		printf '%s  disabled  %s  -\n' "$app" "$cur"
	done ;;
*) echo "error: the snap stand-in knows no verb $verb" >&2; exit 1 ;;
esac
`

// unit installs the unit name (without .service) that runs p, stopped with grace.
func (m *machine) unit(t *testing.T, name string, p servicetest.Program, grace time.Duration) {
	t.Helper()
	m.write(t, "/etc/systemd/system/"+name+".service", fmt.Sprintf(
		"[Unit]\nDescription=servicetest's program\n\n[Service]\nType=simple\nExecStart=%q %q %q\nTimeoutStopSec=%dms\n",
		p.Argv[0], p.Argv[1], p.Argv[2], grace.Milliseconds()), "root:root", "644")
	m.exec(t, "systemctl", "daemon-reload")
}

func randomHex() string {
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	return hex.EncodeToString(rnd[:])
}

// machineRunner runs a manager's commands inside the machine, with docker exec, which
// passes on their output and exit status.
type machineRunner struct{ m *machine }

func (r machineRunner) Run(ctx context.Context, argv []string) ([]byte, error) {
	return service.OSRunner{}.Run(ctx, append([]string{"docker", "-H", r.m.e.Host, "exec", r.m.name}, argv...))
}
