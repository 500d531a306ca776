package executor

import (
	"context"
	"errors"

	"github.com/plexform/plexform/stores"
)

// failingWrite is a store whose writes are refused, to drive the rollback path.
type failingWrite struct{ stores.Store }

func (failingWrite) Write(context.Context, []stores.Edit) error { return errors.New("write refused") }

// failingRestore is a store whose restores are refused, to drive an incomplete rollback.
type failingRestore struct{ stores.Store }

func (failingRestore) Restore(context.Context, stores.Snapshot) error {
	return errors.New("restore refused")
}

// panickingWrite is a store whose write panics, as a bug would.
type panickingWrite struct{ stores.Store }

func (panickingWrite) Write(context.Context, []stores.Edit) error { panic("a bug in a store") }
