package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/plexform/plexform/stores"
)

// Action is what apply will do to one value. Its strings are those of the JSON output.
type Action string

const (
	NoOp   Action = "no-op"
	Add    Action = "add"
	Change Action = "change"
	Remove Action = "remove"
)

// Symbol is the one-character mark of the human output.
func (a Action) Symbol() string {
	switch a {
	case Add:
		return "+"
	case Change:
		return "~"
	case Remove:
		return "-"
	}
	return " "
}

// ValueChange is the diff of one value the plan names.
type ValueChange struct {
	// Name is spelled as the plan spells it; StoreName as the store does (attribute
	// casing differs between PMS versions, so matching ignores case).
	Name      string
	StoreName string
	Action    Action
	Before    *stores.Value // nil: absent
	After     *stores.Value // nil: absent
	Sensitive bool
	// Deferred: After is known only during apply (the claim exchange's token).
	Deferred bool
}

// ResourceChange is the diff of one store.
type ResourceChange struct {
	Address string // the resource name
	// Kind is the store's own kind (a plex_preferences resource acts as one of them),
	// so a backup manifest names what can restore it.
	Kind string
	// Found says how a plex_* resource found its store; empty otherwise.
	Found  string
	Target string // the file or key, as the store names it
	Exists bool
	Values []ValueChange
	// Warnings are what is probably not meant: a name the store lacks that is a typo
	// away from one it has, a store this user cannot write.
	Warnings []string
	// Errors are what apply refuses while it holds: a Plex Media Server running with
	// this file that no service in the plan stops. plan shows them and exits 1.
	Errors []string
}

// Refused lists the errors of every store that would change: what apply refuses.
func (c *Changes) Refused() []string {
	var out []string
	for _, rc := range c.Resources {
		if rc.HasChanges() {
			out = append(out, rc.Errors...)
		}
	}
	return out
}

// HasChanges reports whether apply would write this store.
func (rc *ResourceChange) HasChanges() bool {
	for _, v := range rc.Values {
		if v.Action != NoOp {
			return true
		}
	}
	return false
}

// Edits turns the changes into the store's edits, in plan order.
func (rc *ResourceChange) Edits() []stores.Edit {
	var edits []stores.Edit
	for _, v := range rc.Values {
		switch v.Action {
		case Remove:
			edits = append(edits, stores.Edit{Name: v.StoreName, Remove: true})
		case Add, Change:
			edits = append(edits, stores.Edit{Name: v.StoreName, Value: *v.After})
		}
	}
	return edits
}

// Changes is the whole diff: one entry per store resource selected for this host, and
// what happens to each service.
type Changes struct {
	Resources []*ResourceChange
	Services  []*ServiceChange
	Claims    []*ClaimChange
	// Signins are the plex_signin verdicts (signin.go).
	Signins []*SigninChange
	// Skipped names the resources whose when: leaves them out on this OS.
	Skipped []string
}

// Summary counts values to add, change and remove.
func (c *Changes) Summary() (add, change, remove int) {
	for _, rc := range c.Resources {
		for _, v := range rc.Values {
			switch v.Action {
			case Add:
				add++
			case Change:
				change++
			case Remove:
				remove++
			}
		}
	}
	return
}

// NothingApplies tells that every resource of the plan is for another OS (when:), so
// nothing on this host was read: "no changes" would be no finding at all.
func (c *Changes) NothingApplies() bool {
	return len(c.Skipped) > 0 && len(c.Resources) == 0 && len(c.Services) == 0 && len(c.Claims) == 0 && len(c.Signins) == 0
}

// HasChanges reports whether apply would write anything or move any service.
func (c *Changes) HasChanges() bool {
	for _, rc := range c.Resources {
		if rc.HasChanges() {
			return true
		}
	}
	for _, sc := range c.Services {
		if sc.Action != Leave {
			return true
		}
	}
	for _, cc := range c.Claims {
		if cc.Claim {
			return true
		}
	}
	for _, sc := range c.Signins {
		if sc.Relink != "" {
			return true
		}
	}
	return false
}

// Diff compares what a store holds with what the resource wants. It is the one place
// that decides an action, used by plan and again by apply after services are stopped,
// so the two can never disagree.
func Diff(r *Resource, target string, want []Desired, st stores.State) (*ResourceChange, error) {
	rc := &ResourceChange{Address: r.Name, Kind: r.Kind, Target: target, Exists: st.Exists}
	have := make([]string, 0, len(st.Values))
	for name := range st.Values {
		have = append(have, name)
	}
	sort.Strings(have) // the closest of two equally near names is then always the same
	for _, w := range r.nearMisses(have) {
		if w.Pos.Line > 0 {
			w.Msg += fmt.Sprintf(" (plan line %d)", w.Pos.Line)
		}
		rc.Warnings = append(rc.Warnings, w.Msg)
	}
	for _, d := range want {
		matches := lookup(st.Values, d.Name)
		if d.Absent {
			// Every spelling goes: a stale token under another casing still signs PMS in.
			for _, m := range matches {
				before := st.Values[m]
				rc.Values = append(rc.Values, ValueChange{Name: d.Name, StoreName: m, Action: Remove, Before: &before, Sensitive: d.Sensitive})
			}
			if len(matches) == 0 {
				rc.Values = append(rc.Values, ValueChange{Name: d.Name, StoreName: d.Name, Action: NoOp, Sensitive: d.Sensitive})
			} else if IsIdentityName(d.Name) {
				rc.Warnings = append(rc.Warnings, identityChangeMsg(r.Name, "absent", d.Name))
			}
			continue
		}
		after := d.Value
		vc := ValueChange{Name: d.Name, StoreName: d.Name, Action: Add, After: &after, Sensitive: d.Sensitive, Deferred: d.Deferred}
		if d.Deferred {
			// Its value is not known yet, so it can never be "already as desired".
			if len(matches) > 0 {
				before := st.Values[matches[0]]
				vc.StoreName, vc.Before, vc.Action = matches[0], &before, Change
			}
			rc.Values = append(rc.Values, vc)
			continue
		}
		switch {
		case len(matches) > 1 && matches[0] != d.Name:
			return nil, fmt.Errorf("%s: %s holds %s under several spellings (%s); name the one to set exactly", r.Name, target, d.Name, strings.Join(matches, ", "))
		case len(matches) > 0:
			before := st.Values[matches[0]]
			vc.StoreName, vc.Before, vc.Action = matches[0], &before, Change
			if before.Equal(after) {
				vc.Action = NoOp
			} else if IsIdentityName(d.Name) {
				rc.Warnings = append(rc.Warnings, identityChangeMsg(r.Name, "set", d.Name))
			}
		case !st.Exists:
			return nil, fmt.Errorf("%s: %s does not exist, so set: cannot add %s; plexform changes an existing store and does not create one", r.Name, target, d.Name)
		}
		rc.Values = append(rc.Values, vc)
	}
	return rc, nil
}

// lookup returns the names in values equal to name ignoring case, the exact spelling
// first and the others sorted.
func lookup(values map[string]stores.Value, name string) []string {
	var exact bool
	var others []string
	for k := range values {
		switch {
		case k == name:
			exact = true
		case strings.EqualFold(k, name):
			others = append(others, k)
		}
	}
	sort.Strings(others)
	if exact {
		return append([]string{name}, others...)
	}
	return others
}

// ServiceAction is what apply will do to a service.
type ServiceAction string

const (
	// Restart is a stop for the writes and a start after them.
	Restart ServiceAction = "restart"
	Start   ServiceAction = "start"
	Stop    ServiceAction = "stop"
	Leave   ServiceAction = "no-op"
)

// ClaimChange is what apply will do to claim the server.
type ClaimChange struct {
	Address string `json:"address"`
	URL     string `json:"url"`
	Method  string `json:"method"`
	Claim   bool   `json:"claim"`  // false: already claimed, nothing to do
	Reason  string `json:"reason"` // why, in a few words
}

// ServiceChange is what apply will do to one service and why.
type ServiceChange struct {
	Address  string        `json:"address"`
	Describe string        `json:"service"`
	Running  bool          `json:"running"`
	Want     string        `json:"want"` // running or stopped
	Action   ServiceAction `json:"action"`
	// Guards lists the stores with changes that this service must be down for.
	Guards []string `json:"guards,omitempty"`
	// StateError says why the state could not be read; Running is then assumed, so the
	// plan shows the restart an apply would need. Apply refuses such a service.
	StateError string `json:"state_error,omitempty"`
}

// DiffService decides a service's action: a running service that guards a store with
// changes is stopped for the writes, then every service goes to its desired state. A
// service whose stores do not change and which is already as desired is left alone.
func DiffService(address, describe string, running bool, want string, guards []string) *ServiceChange {
	sc := &ServiceChange{Address: address, Describe: describe, Running: running, Want: want, Guards: guards, Action: Leave}
	wantRunning := want != "stopped"
	switch {
	case running && len(guards) > 0 && wantRunning:
		sc.Action = Restart
	case running && !wantRunning:
		sc.Action = Stop
	case !running && wantRunning:
		sc.Action = Start
	}
	return sc
}
