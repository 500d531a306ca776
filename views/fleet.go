package views

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/redact"
	"github.com/plexform/plexform/state"
)

// Fleet is what one host says of itself in a fleet table (plexform report, the Ansible
// module's result): who it is, the sign-in verdict with its evidence, and when plexform
// last changed a store of the plan there. It holds what plan -json holds, so nothing in
// it is a secret: the evidence names values, never holds them.
type Fleet struct {
	// Host is the host's name (os.Hostname).
	Host string `json:"host"`
	// Platform is GOOS/GOARCH of the plexform that ran there.
	Platform string `json:"platform"`
	// LastChange is the time of the newest backup plexform made of a store the plan
	// names: every apply or restore that changes a store backs it up first, so it is when
	// plexform last changed that host's sign-in settings. Nil when it never did (or its
	// backups were deleted).
	LastChange *time.Time `json:"last_change"`
}

// ThisHost is Fleet for the host plexform runs on; lastChange may be nil.
func ThisHost(lastChange *time.Time) Fleet {
	name, err := os.Hostname()
	if err != nil {
		name = ""
	}
	return Fleet{Host: name, Platform: runtime.GOOS + "/" + runtime.GOARCH, LastChange: lastChange}
}

// verdictRank orders verdicts from best to worst, so a host with several plex_signin
// resources shows the worst of them.
var verdictRank = map[string]int{plan.SigninWorking: 1, plan.SigninUnknown: 2, plan.SigninBroken: 3}

// SigninVerdict is a host's one verdict for a fleet table: the worst of its plex_signin
// resources (broken over unknown over working), with that one's reason and every
// resource's evidence. ok is false when the plan has no plex_signin.
func SigninVerdict(signins []*plan.SigninChange) (verdict, reason string, evidence []string, ok bool) {
	evidence = []string{}
	for _, sc := range signins {
		if sc == nil {
			continue
		}
		if verdictRank[sc.Verdict] > verdictRank[verdict] {
			verdict, reason = sc.Verdict, sc.Reason
		}
		for _, e := range sc.Evidence {
			evidence = append(evidence, sc.Address+": "+e)
		}
	}
	return verdict, reason, evidence, verdict != ""
}

// FleetRow is one host's row of plexform report.
type FleetRow struct {
	Fleet
	// File is the plan -json output the row was read from.
	File string `json:"file"`
	// Signin is working, broken or unknown; "none" when the plan has no plex_signin.
	Signin   string   `json:"signin"`
	Reason   string   `json:"reason"`
	Evidence []string `json:"evidence"`
	// Changes tells that apply would change something on the host.
	Changes bool `json:"changes"`
}

// NoSignin is a row's verdict when the host's plan has no plex_signin.
const NoSignin = "none"

// FleetTable prints rows as one table: host, platform, verdict, last change (UTC, so
// rows from hosts in several time zones compare), the verdict's reason, and the file.
// Every text from a file is escaped (redact.Printable): the files are anyone's.
func FleetTable(w io.Writer, rows []FleetRow) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tPLATFORM\tSIGN-IN\tLAST CHANGE\tREASON\tFILE")
	for _, r := range rows {
		last := "never"
		if r.LastChange != nil {
			last = r.LastChange.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", cell(r.Host), cell(r.Platform), cell(r.Signin), last, cell(r.Reason), cell(r.File))
	}
	return tw.Flush()
}

// cell is a table cell: printable, one line, and "-" when empty. A tab is escaped too
// (Printable keeps it): in a cell it would start a column of its own.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.ReplaceAll(redact.Printable(s), "\t", `\x09`)
}

// LastChange is this host's line of a fleet table for a diff (plan -json, the Ansible
// module's result). Its last change is the newest backup of a store the diff covers:
// every apply or restore that changes a store backs it up first, and the manifests
// are what plexform itself wrote and checks, so that time is when plexform last changed
// this host's settings. Reading the backups dir creates nothing (check mode stays
// read-only).
func LastChange(backups *state.Dir, ch *plan.Changes) (*Fleet, error) {
	list, err := backups.List()
	if err != nil {
		return nil, fmt.Errorf("read the backups in %s for the last change: %w", backups.Path, err)
	}
	covered := map[[2]string]bool{}
	for _, rc := range ch.Resources {
		covered[[2]string{rc.Address, rc.Target}] = true
	}
	var last *time.Time
	for _, m := range list {
		if covered[[2]string{m.Resource, m.Target}] && (last == nil || m.Time.After(*last)) {
			t := m.Time.UTC()
			last = &t
		}
	}
	f := ThisHost(last)
	return &f, nil
}
