package doctor

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/plexform/plexform/internal/shellquote"
	"github.com/plexform/plexform/plex/discover"
	"github.com/plexform/plexform/stores/fileutil"
)

// Container is what the engine says of the container that runs Plex; ok is false when
// Plex does not run in a container here.
func (f *Facts) Container() (c discover.ContainerFacts, ok bool, err error) {
	s, serr := f.Service()
	if serr != nil || s.Config.Manager != "docker" {
		return discover.ContainerFacts{}, false, nil
	}
	if !f.containerDone {
		f.containerDone = true
		f.container, f.containerErr = discover.InspectContainer(discover.Options{GOOS: f.opts.GOOS, Getenv: f.opts.Getenv}, s.Config.Container, s.Config.DockerHost)
	}
	return f.container, true, f.containerErr
}

// containerCheck reports a Plex container: its image, host config dir and network, and
// a claim token in its environment that will not do what people expect (never its value).
type containerCheck struct{}

func (containerCheck) Name() string { return "container" }

func (containerCheck) Run(_ context.Context, f *Facts) Result {
	c, ok, err := f.Container()
	switch {
	case !ok:
		return Result{Status: StatusOmitted}
	case err != nil:
		s, _ := f.Service()
		first, _, _ := strings.Cut(err.Error(), "\n")
		return Result{Status: StatusInfo, Summary: "container " + s.Config.Container + " not read: " + first}
	}
	r := Result{Status: StatusInfo, Summary: fmt.Sprintf("%s: image %s, network %s, config dir %s", c.Name, c.Image, c.NetworkMode, c.ConfigDir)}
	if c.NetworkMode == "host" {
		r.Details = append(r.Details, "host network: plex_claim's local method reaches it at 127.0.0.1:32400")
	} else {
		r.Details = append(r.Details, "not on the host network: Plex sees requests from the host as remote, so claim it with plex_claim method: exchange")
	}
	if c.Claim != "" {
		r.Details = append(r.Details, c.Claim+" is set in the container's environment: the image uses it only on a first run or when PlexOnlineToken is absent, and claim tokens expire about 4 minutes after they are made; claim with plex_claim instead")
	}
	return r
}

// containerAccountCheck compares the account the container's variables make Plex run
// as (PUID, PLEX_UID, ...) with the settings file's owner.
type containerAccountCheck struct{}

func (containerAccountCheck) Name() string { return "container account" }

func (containerAccountCheck) Run(_ context.Context, f *Facts) Result {
	c, ok, err := f.Container()
	if !ok || err != nil || c.UIDVar == "" || c.Prefs == "" {
		return Result{Status: StatusOmitted}
	}
	meta, exists, err := fileutil.Stat(c.Prefs)
	if err != nil || !exists {
		return Result{Status: StatusOmitted}
	}
	r := Result{Status: StatusOK,
		Summary: fmt.Sprintf("%s=%s %s=%s; %s is owned by %d:%d", c.UIDVar, c.UID, c.GIDVar, c.GID, c.Prefs, meta.UID, meta.GID)}
	if uid, err := strconv.Atoi(c.UID); c.UID != "" && (err != nil || uid != meta.UID) {
		r.Status = StatusProblem
		r.Details = []string{"Plex in the container runs as uid " + c.UID + " and may not be able to save its settings (the sign-in is lost at every restart)"}
		r.Fix = "chown " + c.UID + ":" + c.GID + " " + shellquote.Quote(c.Prefs)
	}
	return r
}
