package views

import "fmt"

// VersionInfo is what `plexform version` says: the build and the platform it is for.
// Its JSON is `version -json`.
type VersionInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	BuildDate string `json:"build_date"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
}

// Version is version's view.
type Version interface {
	Version(v VersionInfo) error
}

// NewVersion is version's view of kind.
func NewVersion(kind Kind, s Streams) Version {
	if kind == KindJSON {
		return jsonVersion{s}
	}
	return humanVersion{s}
}

type humanVersion struct{ Streams }

// Version prints three lines; a failed write to stdout is not an error here, as it
// never was for the human text.
func (h humanVersion) Version(v VersionInfo) error {
	fmt.Fprintf(h.Stdout, "plexform %s\ncommit %s\nbuilt %s with %s for %s/%s\n", v.Version, v.Commit, v.BuildDate, v.GoVersion, v.OS, v.Arch)
	return nil
}

type jsonVersion struct{ Streams }

func (j jsonVersion) Version(v VersionInfo) error { return WriteJSON(j.Stdout, v) }
