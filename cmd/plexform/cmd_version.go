package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/plexform/plexform/views"
)

// Stamped by scripts/release.sh with -ldflags "-X main.version=... -X main.commit=...
// -X main.buildDate=...". A `go install` or `go build` leaves them empty and
// versionInfo fills them from the build info Go embeds. version is also what saved
// plans and backups record.
var (
	version   string
	commit    string
	buildDate string
)

// devVersion is what a build with neither a stamp nor a module version reports (a test
// binary, `go run` from a tree without VCS information).
const devVersion = "devel"

func init() {
	version, commit, buildDate = versionInfo(version, commit, buildDate, debug.ReadBuildInfo)
}

// versionInfo keeps what -ldflags stamped and fills the rest from the build info: the
// module version of `go install ...@v1.2.0`, the VCS revision and time of a build in a
// checkout.
func versionInfo(v, c, d string, read func() (*debug.BuildInfo, bool)) (string, string, string) {
	if info, ok := read(); ok {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = strings.TrimPrefix(info.Main.Version, "v")
		}
		stamped, modified := c != "", false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if !stamped {
					c = s.Value
				}
			case "vcs.time":
				if d == "" {
					d = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified && !stamped && c != "" {
			c += "-dirty"
		}
	}
	if v == "" {
		v = devVersion
	}
	if c == "" {
		c = "unknown"
	}
	if d == "" {
		d = "unknown"
	}
	return v, c, d
}

// versionJSON is `plexform version -json`.
type versionJSON struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	BuildDate string `json:"build_date"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
}

// versionOptions are the flags of `plexform version`.
type versionOptions struct {
	asJSON bool
}

func (o *versionOptions) flags(fs *cmdFlags) {
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON object")
}

func (o *versionOptions) run(env *cliEnv, _ *cmdFlags, _ []string) int {
	v := versionJSON{Version: version, Commit: commit, BuildDate: buildDate, GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if o.asJSON {
		if err := views.WriteJSON(env.stdout, v); err != nil {
			return fail(env, err)
		}
		return exitOK
	}
	fmt.Fprintf(env.stdout, "plexform %s\ncommit %s\nbuilt %s with %s for %s/%s\n", v.Version, v.Commit, v.BuildDate, v.GoVersion, v.OS, v.Arch)
	return exitOK
}
