// Package doctor finds what stands between a user and their Plex server, as a list of
// small independent checks in chezmoi's manner (each has a Name and a Run), and reports
// it without leaking anything: no value of a setting ever enters a Result, and log
// lines pass through plex/redact's one masking helper.
//
// Checks share what they look at through Facts, which finds Plex's settings and service
// (plex/discover), asks /identity (plex/signin's client) and reads the settings
// (host's stores) once, when a check first asks.
package doctor

import (
	"context"
	"fmt"
	"io"

	"github.com/plexform/plexform/plex/discover"
	"github.com/plexform/plexform/plex/redact"
)

// Status is how a check came out.
type Status string

// The statuses; only StatusProblem makes doctor exit 1.
const (
	StatusOK         Status = "ok"
	StatusProblem    Status = "problem"
	StatusInfo       Status = "info"
	StatusNotChecked Status = "not checked"
	// StatusOmitted is a check that does not apply here (ownership on Windows, the log
	// when the settings were not found); it is left out of the report.
	StatusOmitted Status = ""
)

// Result is one finding. Nothing in it ever holds a setting's value.
type Result struct {
	Name    string   `json:"name"`
	Status  Status   `json:"status"`
	Summary string   `json:"summary"`
	Details []string `json:"details,omitempty"`
	Fix     string   `json:"fix,omitempty"`
}

// Check is one independent look at the host.
type Check interface {
	Name() string
	Run(ctx context.Context, f *Facts) Result
}

// Checks are doctor's checks, in the order they are reported.
var Checks = []Check{
	settingsCheck{}, serviceCheck{}, containerCheck{}, containerAccountCheck{}, serverCheck{}, valuesCheck{}, ownershipCheck{},
	logCheck{}, databaseCheck{},
	accountCause{}, internetCause{}, databaseCause{}, ownerCause{},
}

// Options say where to look.
type Options struct {
	Root   string // a mounted disk or volume; "" is this machine
	URL    string // the server to ask /identity; "" asks none
	Online bool   // also try plex.tv:443
	GOOS   string
	Getenv func(string) (string, bool)
}

// SettingsReport is where Plex's settings are and how they were found.
type SettingsReport struct {
	Kind       string            `json:"kind,omitempty"`
	Target     string            `json:"target,omitempty"`
	AppSupport string            `json:"app_support,omitempty"`
	How        string            `json:"how,omitempty"`
	Error      string            `json:"error,omitempty"`
	Looked     []discover.Looked `json:"looked"`
}

// ServiceReport is how Plex is run and its state.
type ServiceReport struct {
	Manager string            `json:"manager,omitempty"`
	How     string            `json:"how,omitempty"`
	User    string            `json:"user,omitempty"`
	Group   string            `json:"group,omitempty"`
	State   string            `json:"state,omitempty"`
	Error   string            `json:"error,omitempty"`
	Looked  []discover.Looked `json:"looked"`
}

// Report is `plexform doctor -json`.
type Report struct {
	Version  string         `json:"plexform_version"`
	Settings SettingsReport `json:"settings"`
	Service  ServiceReport  `json:"service"`
	Checks   []Result       `json:"checks"`
	Problems int            `json:"problems"`
}

// Run runs every check and reports; version is plexform's.
func Run(ctx context.Context, opts Options, version string) Report {
	f := NewFacts(opts)
	rep := Report{Version: version}
	for _, c := range Checks {
		r := c.Run(ctx, f)
		if r.Status == StatusOmitted {
			continue
		}
		r.Name = c.Name()
		rep.Checks = append(rep.Checks, r)
		if r.Status == StatusProblem {
			rep.Problems++
		}
	}
	rep.Settings, rep.Service = f.settingsReport(), f.serviceReport(ctx)
	return rep
}

// WriteHuman prints the report for a person, one check a line with its details and fix.
// Everything shown is escaped (redact.Printable): summaries and details name paths,
// containers and images that anyone who can write there may have named.
func WriteHuman(w io.Writer, rep Report, root string) {
	fmt.Fprintf(w, "plexform %s doctor", rep.Version)
	if root != "" {
		fmt.Fprintf(w, " (under %s)", redact.Printable(root))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	for _, c := range rep.Checks {
		fmt.Fprintf(w, "%-13s %s: %s\n", "["+string(c.Status)+"]", c.Name, redact.Printable(c.Summary))
		for _, l := range c.Details {
			fmt.Fprintf(w, "%14s%s\n", "", redact.Printable(l))
		}
		if c.Fix != "" {
			fmt.Fprintf(w, "%14sfix: %s\n", "", redact.Printable(c.Fix))
		}
	}
	fmt.Fprintln(w)
	switch rep.Problems {
	case 0:
		fmt.Fprintln(w, "No problems found.")
	case 1:
		fmt.Fprintln(w, "1 problem found.")
	default:
		fmt.Fprintf(w, "%d problems found.\n", rep.Problems)
	}
	fmt.Fprintln(w, "Nothing above holds a token, e-mail or user name; it is safe to post. -json lists every place looked at.")
}
