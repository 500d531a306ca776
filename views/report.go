package views

// Report is report's view: a row per host read from plan -json files, sorted by host,
// and why each file that could not be read was not (errs, said on stderr by the
// command as every error is).
type Report interface {
	Fleet(hosts []FleetRow, errs []string) error
}

// NewReport is report's view of kind.
func NewReport(kind Kind, s Streams) Report {
	if kind == KindJSON {
		return jsonReport{s}
	}
	return humanReport{s}
}

type humanReport struct{ Streams }

// Fleet prints the table, nothing when no file could be read.
func (h humanReport) Fleet(hosts []FleetRow, _ []string) error {
	if len(hosts) == 0 {
		return nil
	}
	return FleetTable(h.Stdout, hosts)
}

type jsonReport struct{ Streams }

// reportJSON is what report -json prints: a row per host read, and the files that could
// not be read, each with why.
type reportJSON struct {
	Hosts  []FleetRow `json:"hosts"`
	Errors []string   `json:"errors"`
}

// Fleet prints one document; hosts and errors are always lists.
func (j jsonReport) Fleet(hosts []FleetRow, errs []string) error {
	out := reportJSON{Hosts: hosts, Errors: errs}
	if out.Hosts == nil {
		out.Hosts = []FleetRow{}
	}
	if out.Errors == nil {
		out.Errors = []string{}
	}
	return WriteJSON(j.Stdout, out)
}
