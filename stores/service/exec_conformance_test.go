//go:build unix

package service_test

import (
	"testing"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/service"
	"github.com/plexform/plexform/stores/service/servicetest"
)

// TestConformanceExec runs the suite on the exec manager with real commands: a start
// that backgrounds the program as an init script does, a stop that signals it, and a
// status that checks its pid, all run by the real OSRunner.
func TestConformanceExec(t *testing.T) {
	servicetest.Run(t, servicetest.Harness{New: func(t *testing.T, p servicetest.Program) stores.Service {
		start, stop, status := p.Daemon()
		svc, err := service.New(service.Config{Manager: "exec",
			Start: []string{"sh", "-c", start}, Stop: []string{"sh", "-c", stop}, Status: []string{"sh", "-c", status}})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}})
}
