package schedule

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/plexform/plexform/internal/jsonout"
	"github.com/plexform/plexform/plex/redact"
)

// Row is one schedule as `schedule status` shows it: what the scheduler says of it and
// the last run's status file.
type Row struct {
	Entry
	Every string  `json:"every"`
	Last  *Status `json:"last_result"`
	// Problem says why the last result could not be read (a damaged or foreign status
	// file, a plan that no longer decodes); empty otherwise.
	Problem string `json:"problem,omitempty"`
}

// StatusView shows `schedule status`: a table for people or one JSON document for
// programs, chosen once (NewStatusView). It lives here rather than in views, which
// stands on the same floor and may not be reached sideways.
type StatusView interface {
	List(scheduler string, rows []Row) error
}

// NewStatusView is the JSON view when asJSON, else the table.
func NewStatusView(asJSON bool, w io.Writer) StatusView {
	if asJSON {
		return jsonStatus{w}
	}
	return humanStatus{w}
}

type jsonStatus struct{ w io.Writer }

func (v jsonStatus) List(scheduler string, rows []Row) error {
	if rows == nil {
		rows = []Row{}
	}
	return jsonout.Write(v.w, map[string]any{"format_version": "1.0", "scheduler": scheduler, "schedules": rows})
}

type humanStatus struct{ w io.Writer }

func (v humanStatus) List(scheduler string, rows []Row) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintf(v.w, "No plexform schedules on this host (%s). Add one with: plexform schedule install -f PLAN -every 1h\n", scheduler)
		return err
	}
	tw := tabwriter.NewWriter(v.w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tEVERY\tSTATE\tNEXT RUN\tLAST RUN\tLAST RESULT\tPLAN")
	// A status file, a marker's plan path and the scheduler's words are text others may
	// have written: escaped, so no escape sequence in them reaches the terminal (a tab
	// would shift the columns, so it goes too).
	show := func(s string) string { return strings.ReplaceAll(redact.Printable(s), "\t", " ") }
	for _, s := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", show(s.Name), DescribeEvery(s.Entry.Every), show(orDash(s.State)), show(orDash(s.Next)), show(orDash(s.lastRun())), show(s.lastResult()), show(s.planColumn()))
	}
	return tw.Flush()
}

// DescribeEvery names an interval as its calendar spec when it has one.
func DescribeEvery(d time.Duration) string {
	if cal, err := CalendarOf(d); err == nil {
		return cal.String()
	}
	return "every " + d.String()
}

// planColumn is the plan, marked when it is a reset plan installed with -force.
func (s Row) planColumn() string {
	if s.Reset {
		return s.Plan + " (RESET plan, -force: signs the owner out at every run)"
	}
	return s.Plan
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (s Row) lastRun() string {
	if s.Last != nil {
		return s.Last.Finished.Local().Format("2006-01-02 15:04:05 MST")
	}
	return s.Entry.Last
}

// lastResult is the status column: exit code, changed, sign-in verdict, or why it is
// not known.
func (s Row) lastResult() string {
	switch {
	case s.Problem != "":
		return "unreadable: " + strings.ReplaceAll(s.Problem, "\n", " ")
	case s.Last == nil:
		return "no run yet"
	}
	r := fmt.Sprintf("exit %d", s.Last.ExitCode)
	if s.Last.Changed {
		r += ", changed"
	} else if s.Last.ExitCode == 0 {
		r += ", no changes"
	}
	// The message of exit 5 starts with the verdict already.
	if s.Last.Signin != "" && !strings.HasPrefix(s.Last.Message, "sign-in "+s.Last.Signin) {
		r += ", sign-in " + s.Last.Signin
	}
	if s.Last.ExitCode != 0 {
		r += ": " + s.Last.Message
	}
	return r
}
