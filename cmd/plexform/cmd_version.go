package main

import (
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

// versionOptions are the flags of `plexform version`.
type versionOptions struct {
	asJSON bool
}

func (o *versionOptions) flags(fs *cmdFlags) {
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON object")
}

func (o *versionOptions) run(env *cliEnv, _ *cmdFlags, _ []string) int {
	v := views.VersionInfo{Version: version, Commit: commit, BuildDate: buildDate, GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if err := views.NewVersion(views.KindFor(o.asJSON), streams(env)).Version(v); err != nil {
		return fail(env, err)
	}
	return exitOK
}
