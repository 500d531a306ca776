package main

import (
	"fmt"
	"time"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/views"
)

// thisHost is the host's line of a fleet table for a diff (plan -json, the Ansible
// module's result). Its last change is the newest backup of a store the diff covers:
// every apply or restore that changes a store backs it up first, and the manifests
// are what plexform itself wrote and checks, so that time is when plexform last changed
// this host's settings. Reading the backups dir creates nothing (check mode stays
// read-only).
func thisHost(backups *state.Dir, ch *plan.Changes) (*views.Fleet, error) {
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
	f := views.ThisHost(last)
	return &f, nil
}
