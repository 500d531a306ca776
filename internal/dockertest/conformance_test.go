package dockertest_test

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/plexform/plexform/internal/dockertest"
	"github.com/plexform/plexform/internal/testtool"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/service"
	"github.com/plexform/plexform/stores/service/servicetest"
)

// TestConformanceDocker runs the service managers' conformance suite on the docker
// manager against this package's real engine (its TestMain starts one when none
// answers, which is why the run lives here rather than beside stores/service/docker.go:
// that package's tests would otherwise start a dockerd each time). The container runs
// the suite's program with busybox's sh, its directory mounted at the same path. The
// engine's stop sends SIGTERM and kills the container once its grace period (the
// service's timeout) is over (docs.docker.com/reference/cli/docker/container/stop/),
// so a stop there never times out: KillsAfterGrace. scripts/test.sh runs this package
// again against Podman's compatible API (scripts/podman.sh), and so this suite too.
func TestConformanceDocker(t *testing.T) {
	e := dockertest.Need(t)
	busybox, err := os.ReadFile(testtool.Require(t, "busybox", "busybox-static"))
	if err != nil {
		t.Fatal(err)
	}
	files := []dockertest.File{{Name: "bin", Dir: true, Mode: 0o755}, {Name: "bin/busybox", Mode: 0o755, Data: busybox}}
	for _, applet := range []string{"sh", "sleep", "cat", "rm"} {
		files = append(files, dockertest.File{Name: "bin/" + applet, Link: "busybox"})
	}
	const tag = "localhost/plexform-servicetest:plexform-test"
	e.ImportImage(t, tag, files)

	servicetest.Run(t, servicetest.Harness{KillsAfterGrace: true, UpWhileProcessExists: true, New: func(t *testing.T, p servicetest.Program) stores.Service {
		name := "plexform-servicetest-" + randomHex(t)
		e.Docker(t, append([]string{"create", "--name", name, "--label", dockertest.Label + "=1", "--network", "none",
			"-v", p.Dir + ":" + p.Dir, tag}, p.Argv...)...)
		t.Cleanup(func() { _ = e.Command("rm", "-f", name).Run() })
		// A grace period between the suite's Linger and StopTimeout (KillsAfterGrace).
		grace := (servicetest.Linger + servicetest.StopTimeout) / 2
		svc, err := service.New(service.Config{Manager: "docker", Container: name, DockerHost: e.Host, Timeout: grace})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}})
}

func randomHex(t *testing.T) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
