// Package views turns diffs and apply results into what people and programs read: a
// human view in Terraform's manner and a JSON view. Sensitive values are carried in the
// diff but never reach either.
package views

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/plexform/plexform/internal/jsonout"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/redact"
	"github.com/plexform/plexform/stores"
)

// SensitiveText is what a sensitive value prints as.
const SensitiveText = "(sensitive value)"

// Style colours the human view; the zero Style prints plain text.
type Style struct{ Color bool }

func (s Style) paint(code, text string) string {
	if !s.Color {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func (s Style) symbol(a plan.Action) string {
	switch a {
	case plan.Add:
		return s.paint("32", "+")
	case plan.Change:
		return s.paint("33", "~")
	case plan.Remove:
		return s.paint("31", "-")
	}
	return " "
}

// Warning is the painted "Warning:" that starts every warning line: bold yellow when
// coloured, as Terraform prints it.
func Warning(st Style) string { return st.paint("1;33", "Warning:") }

// Error is the painted "Error:" that starts every error line: bold red when coloured.
func Error(st Style) string { return st.paint("1;31", "Error:") }

// NoChanges is the line printed when the host matches the plan.
const NoChanges = "No changes. The host matches the plan."

// PlanHuman prints a diff the way `plexform plan` shows it. Paths and messages are
// escaped (redact.Printable): a file name may hold a terminal's escape sequences.
func PlanHuman(w io.Writer, ch *plan.Changes, st Style) {
	for _, sc := range ch.Services {
		if sc.StateError != "" {
			then := "Nothing it guards changes, so apply leaves it alone."
			if sc.Action != plan.Leave {
				then = "The plan assumes it runs; apply will refuse until its state can be read."
			}
			fmt.Fprintf(w, "%s cannot read the state of %s (%s): %s\n  %s\n\n", Warning(st), sc.Address, redact.Printable(sc.Describe), redact.PrintableLines(sc.StateError), then)
		}
	}
	if len(ch.Skipped) > 0 {
		fmt.Fprintf(w, "Note: not for this OS (when:), so not checked: %s.\n\n", strings.Join(ch.Skipped, ", "))
	}
	for _, rc := range ch.Resources {
		for _, msg := range rc.Errors {
			fmt.Fprintf(w, "%s %s\n\n", Error(st), redact.PrintableLines(msg))
		}
		for _, msg := range rc.Warnings {
			fmt.Fprintf(w, "%s %s\n\n", Warning(st), redact.PrintableLines(msg))
		}
		// A mistyped path or -root must not read as "nothing to do" without a word.
		if !rc.Exists {
			fmt.Fprintf(w, "Note: %s: %s does not exist, so there is nothing in it to change.\n\n", rc.Address, redact.Printable(rc.Target))
		}
	}
	signinVerdicts(w, ch, st)
	if !ch.HasChanges() {
		if ch.NothingApplies() {
			fmt.Fprintln(w, "Nothing in this plan applies to this OS, so nothing was checked.")
			return
		}
		fmt.Fprintln(w, NoChanges)
		return
	}
	fmt.Fprintln(w, "plexform will perform the following actions:")
	for _, rc := range ch.Resources {
		if !rc.HasChanges() {
			continue
		}
		fmt.Fprintf(w, "\n  # %s (%s) will be updated in place\n", rc.Address, rc.Kind)
		if rc.Found != "" {
			fmt.Fprintf(w, "  # found: %s\n", redact.Printable(rc.Found))
		}
		fmt.Fprintf(w, "  %s %s\n", st.symbol(plan.Change), redact.Printable(rc.Target))
		width := 0
		for _, v := range rc.Values {
			if v.Action != plan.NoOp {
				width = max(width, len(v.StoreName))
			}
		}
		for _, v := range rc.Values {
			if v.Action == plan.NoOp {
				continue
			}
			fmt.Fprintf(w, "      %s %-*s = %s\n", st.symbol(v.Action), width, v.StoreName, valueChange(v))
		}
	}
	for _, sc := range ch.Services {
		if line := serviceLine(sc); line != "" {
			fmt.Fprintf(w, "\n  # %s (%s) %s\n", sc.Address, redact.Printable(sc.Describe), line)
		}
	}
	for _, cc := range ch.Claims {
		switch {
		case !cc.Claim:
		case cc.Method == "exchange":
			fmt.Fprintf(w, "\n  # %s (plex_claim, exchange) will sign the server in with a token from the claim exchange, written while it is stopped: %s\n", cc.Address, cc.Reason)
		default:
			fmt.Fprintf(w, "\n  # %s (plex_claim, local) will claim %s once the server runs: %s\n", cc.Address, cc.URL, cc.Reason)
		}
	}
	signinActions(w, ch)
	add, change, remove := ch.Summary()
	fmt.Fprintf(w, "\n%s %d to add, %d to change, %d to remove.\n", st.paint("1", "Plan:"), add, change, remove)
}

func serviceLine(sc *plan.ServiceChange) string {
	if sc.StateError != "" && sc.Action != plan.Leave {
		return fmt.Sprintf("would have to be stopped while %s changes, but its state cannot be read (see the warning): apply will refuse", strings.Join(sc.Guards, ", "))
	}
	switch sc.Action {
	case plan.Restart:
		return fmt.Sprintf("will be stopped while %s changes, then started again", strings.Join(sc.Guards, ", "))
	case plan.Stop:
		return "will be stopped (its desired state is stopped)"
	case plan.Start:
		return "will be started (it is stopped; its desired state is running)"
	}
	return ""
}

func valueChange(v plan.ValueChange) string {
	if v.Deferred {
		return SensitiveText + " (from the claim exchange, during apply)"
	}
	switch v.Action {
	case plan.Remove:
		return shown(v.Before, v.Sensitive)
	case plan.Add:
		return shown(v.After, v.Sensitive)
	}
	return shown(v.Before, v.Sensitive) + " -> " + shown(v.After, v.Sensitive)
}

func shown(v *stores.Value, sensitive bool) string {
	switch {
	case sensitive:
		return SensitiveText
	case v == nil:
		return "(absent)"
	case v.Type != "":
		return strconv.Quote(v.Text) + " (" + v.Type + ")"
	}
	return strconv.Quote(v.Text)
}

// JSON is the document `plan -json` and `show -json` print.
type JSON struct {
	FormatVersion   string         `json:"format_version"`
	Version         string         `json:"plexform_version"`
	Changes         bool           `json:"changes"`
	Summary         Summary        `json:"summary"`
	ResourceChanges []ResourceJSON `json:"resource_changes"`
	ServiceChanges  []ServiceJSON  `json:"service_changes"`
	ClaimChanges    []ClaimJSON    `json:"claim_changes"`
	// SigninChanges are the plex_signin verdicts; they never hold a token.
	SigninChanges []*plan.SigninChange `json:"signin_changes"`
	// Skipped names the resources whose when: left them out on this OS.
	Skipped []string `json:"skipped"`
	// Fleet (host, platform, last_change) says which host this is, for plexform report;
	// plan -json has it, show -json of a saved plan does not (nil: no such fields).
	*Fleet
}

// ClaimJSON is one plex_claim's planned action. It never holds the claim token.
type ClaimJSON struct {
	Address string `json:"address"`
	URL     string `json:"url"`
	Method  string `json:"method"`
	Claim   bool   `json:"claim"`
	Reason  string `json:"reason"`
}

// Summary counts value changes.
type Summary struct {
	Add    int `json:"add"`
	Change int `json:"change"`
	Remove int `json:"remove"`
}

// ResourceJSON is one store's diff. Before and After map value names to their text;
// sensitive values are left out of both and named in Sensitive instead.
type ResourceJSON struct {
	Address   string            `json:"address"`
	Kind      string            `json:"kind"`
	Found     string            `json:"found,omitempty"`
	Target    string            `json:"target"`
	Exists    bool              `json:"exists"`
	Actions   []string          `json:"actions"`
	Before    map[string]string `json:"before"`
	After     map[string]string `json:"after"`
	Sensitive []string          `json:"sensitive"`
	Values    []ValueJSON       `json:"values"`
	// Warnings are what is probably not meant (a typo in a name, a store this user
	// cannot write); they do not stop an apply.
	Warnings []string `json:"warnings"`
	// Errors are what apply refuses (a running Plex with this file that no service in
	// the plan stops); plan exits 1 when there are any.
	Errors []string `json:"errors"`
}

// ValueJSON is one value's diff.
type ValueJSON struct {
	Name      string  `json:"name"`
	StoreName string  `json:"store_name"`
	Action    string  `json:"action"`
	Type      string  `json:"type,omitempty"`
	Before    *string `json:"before"`
	After     *string `json:"after"`
	Sensitive bool    `json:"sensitive"`
	Deferred  bool    `json:"deferred,omitempty"`
}

// ServiceJSON is one service's planned action.
type ServiceJSON struct {
	Address string   `json:"address"`
	Service string   `json:"service"`
	Running bool     `json:"running"`
	Want    string   `json:"want"`
	Action  string   `json:"action"`
	Guards  []string `json:"guards"`
	// StateError is set when the state could not be read (then Running is assumed).
	StateError string `json:"state_error,omitempty"`
}

// PlanJSON builds the JSON view of a diff.
func PlanJSON(ch *plan.Changes, version string) JSON {
	add, change, remove := ch.Summary()
	doc := JSON{FormatVersion: "1.0", Version: version, Changes: ch.HasChanges(),
		Summary: Summary{add, change, remove}, ResourceChanges: []ResourceJSON{}, ServiceChanges: []ServiceJSON{}, ClaimChanges: []ClaimJSON{}, SigninChanges: append([]*plan.SigninChange{}, ch.Signins...), Skipped: append([]string{}, ch.Skipped...)}
	for _, cc := range ch.Claims {
		doc.ClaimChanges = append(doc.ClaimChanges, ClaimJSON{Address: cc.Address, URL: cc.URL, Method: cc.Method, Claim: cc.Claim, Reason: cc.Reason})
	}
	for _, rc := range ch.Resources {
		r := ResourceJSON{Address: rc.Address, Kind: rc.Kind, Found: rc.Found, Target: rc.Target, Exists: rc.Exists, Actions: []string{"no-op"},
			Before: map[string]string{}, After: map[string]string{}, Sensitive: []string{}, Values: []ValueJSON{}, Warnings: append([]string{}, rc.Warnings...), Errors: append([]string{}, rc.Errors...)}
		if rc.HasChanges() {
			r.Actions = []string{"update"}
		}
		for _, v := range rc.Values {
			vj := ValueJSON{Name: v.Name, StoreName: v.StoreName, Action: string(v.Action), Sensitive: v.Sensitive, Deferred: v.Deferred}
			if v.After != nil {
				vj.Type = v.After.Type
			} else if v.Before != nil {
				vj.Type = v.Before.Type
			}
			if v.Sensitive {
				r.Sensitive = append(r.Sensitive, v.StoreName)
			} else {
				if v.Before != nil {
					vj.Before = &v.Before.Text
					r.Before[v.StoreName] = v.Before.Text
				}
				if v.After != nil {
					vj.After = &v.After.Text
					r.After[v.StoreName] = v.After.Text
				}
			}
			r.Values = append(r.Values, vj)
		}
		sort.Strings(r.Sensitive)
		doc.ResourceChanges = append(doc.ResourceChanges, r)
	}
	for _, sc := range ch.Services {
		guards := sc.Guards
		if guards == nil {
			guards = []string{}
		}
		doc.ServiceChanges = append(doc.ServiceChanges, ServiceJSON{Address: sc.Address, Service: sc.Describe,
			Running: sc.Running, Want: sc.Want, Action: string(sc.Action), Guards: guards, StateError: sc.StateError})
	}
	return doc
}

// WriteJSONLine prints one JSON document on one line, for streams of JSON lines.
func WriteJSONLine(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

// WriteJSON prints one JSON document.
func WriteJSON(w io.Writer, v any) error { return jsonout.Write(w, v) }
