package views

import (
	"fmt"
	"text/tabwriter"

	"github.com/plexform/plexform/plex/redact"
	"github.com/plexform/plexform/state"
)

// Backups is backups' view: the backups kept in dir, and the manifests that failed their
// checks (problems), which are named and never listed as backups.
type Backups interface {
	List(dir string, list []*state.Manifest, problems []error) error
}

// NewBackups is backups' view of kind.
func NewBackups(kind Kind, s Streams) Backups {
	if kind == KindJSON {
		return jsonBackups{s}
	}
	return humanBackups{s}
}

type humanBackups struct{ Streams }

// List warns of each problem on stderr and prints a table of the backups.
func (h humanBackups) List(dir string, list []*state.Manifest, problems []error) error {
	for _, p := range problems {
		fmt.Fprint(h.Stderr, Warning(h.ErrStyle)+" "+redact.PrintableLines(p.Error()+"\n"))
	}
	if len(list) == 0 {
		fmt.Fprintf(h.Stdout, "No backups in %s.\n", dir)
		return nil
	}
	fmt.Fprintf(h.Stdout, "Backups in %s:\n\n", dir)
	tw := tabwriter.NewWriter(h.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRESOURCE\tPATH\tTIME\tSIZE")
	for _, m := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", m.ID, m.Resource, m.Target, m.Time.Local().Format("2006-01-02 15:04:05"), m.Size)
	}
	tw.Flush()
	return nil
}

type jsonBackups struct{ Streams }

// List prints one document: the directory, its backups and the problems as "skipped",
// each always a list.
func (j jsonBackups) List(dir string, list []*state.Manifest, problems []error) error {
	if list == nil {
		list = []*state.Manifest{}
	}
	skipped := []string{}
	for _, p := range problems {
		skipped = append(skipped, p.Error())
	}
	return WriteJSON(j.Stdout, map[string]any{"dir": dir, "backups": list, "skipped": skipped})
}
