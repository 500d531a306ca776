package main

import (
	"fmt"
	"strconv"

	"github.com/plexform/plexform/internal/discover"
	"github.com/plexform/plexform/stores/fileutil"
)

// checkContainer reports a Plex container: its image, host config dir, network, the
// account its variables make Plex run as against the settings file's owner, and a claim
// token in its environment that will not do what people expect (never its value).
func (d *doctor) checkContainer(s discover.Service) {
	f, err := discover.InspectContainer(discover.Options{GOOS: d.goos, Getenv: d.getenv}, s.Config.Container, s.Config.DockerHost)
	if err != nil {
		d.add(check{Name: "container", Status: statusInfo, Summary: "container " + s.Config.Container + " not read: " + firstLine(err.Error())})
		return
	}
	c := check{Name: "container", Status: statusInfo, Summary: fmt.Sprintf("%s: image %s, network %s, config dir %s", f.Name, f.Image, f.NetworkMode, f.ConfigDir)}
	switch f.NetworkMode {
	case "host":
		c.Details = append(c.Details, "host network: plex_claim's local method reaches it at 127.0.0.1:32400")
	default:
		c.Details = append(c.Details, "not on the host network: Plex sees requests from the host as remote, so claim it with plex_claim method: exchange")
	}
	if f.Claim != "" {
		c.Details = append(c.Details, f.Claim+" is set in the container's environment: the image uses it only on a first run or when PlexOnlineToken is absent, and claim tokens expire about 4 minutes after they are made; claim with plex_claim instead")
	}
	d.add(c)
	if f.UIDVar == "" || f.Prefs == "" {
		return
	}
	meta, exists, err := fileutil.Stat(f.Prefs)
	if err != nil || !exists {
		return
	}
	o := check{Name: "container account", Status: statusOK,
		Summary: fmt.Sprintf("%s=%s %s=%s; %s is owned by %d:%d", f.UIDVar, f.UID, f.GIDVar, f.GID, f.Prefs, meta.UID, meta.GID)}
	if uid, err := strconv.Atoi(f.UID); f.UID != "" && (err != nil || uid != meta.UID) {
		o.Status = statusProblem
		o.Details = []string{"Plex in the container runs as uid " + f.UID + " and may not be able to save its settings (the sign-in is lost at every restart)"}
		o.Fix = "chown " + f.UID + ":" + f.GID + " " + shellQuote(f.Prefs)
	}
	d.add(o)
}
