package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Process is a service command that was started: enough for a later run to find it
// again, should this one be killed while it runs, and to tell it from a process that
// got the same pid since.
type Process struct {
	// Mark is a name given to the command's environment (MarkVar), which its children
	// inherit: on Linux, recover finds by it what is left of a command even when it was
	// killed before its pid could be written down.
	Mark string
	// PID is 0 until the command has started.
	PID int
	// PGID is its process group (Unix), which holds every child it started that did
	// not leave it; 0 where there is none (Windows: a job object, see group_windows.go).
	PGID    int
	Started time.Time
	// Action is what the command was run for ("stop", "force-stop", "start"), which
	// decides what of it EndLeftover waits for: nothing a stop leaves is the server,
	// while a start leaves the server running on purpose. Run leaves it empty; the
	// journal that recorded the command knows it.
	Action string
	// StartID is when the kernel says the process started (Linux: /proc/PID/stat's
	// starttime; macOS: kinfo_proc's p_starttime), 0 where it cannot be read.
	StartID uint64
}

// Tracker hears of each command a Runner runs under a context from Track: the journal
// records what is in flight so that recover can wait for it. Began comes before the
// command starts (Mark and Started set, no PID yet), so that no instant of it runs
// unrecorded: when it returns an error (the record could not be written) the command is
// not run at all, and Run returns that error. Started comes once it has its pid; Ended
// once it is over.
type Tracker interface {
	Began(Process) error
	Started(Process)
	Ended(Process)
}

// MarkVar is the environment variable that carries a tracked command's Mark.
const MarkVar = "PLEXFORM_COMMAND"

// newMark is a Mark no other command has: 16 random bytes, as hex.
func newMark() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type trackerKey struct{}

// Track returns ctx with t listening to the commands OSRunner runs under it.
func Track(ctx context.Context, t Tracker) context.Context {
	return context.WithValue(ctx, trackerKey{}, t)
}

func trackerFrom(ctx context.Context) Tracker {
	t, _ := ctx.Value(trackerKey{}).(Tracker)
	return t
}

// Leftover says what EndLeftover found and did.
type Leftover int

const (
	// LeftoverGone: nothing of the command runs any more (or the pid is another's).
	LeftoverGone Leftover = iota
	// LeftoverEnded: it was still running and ended by itself within the timeout.
	LeftoverEnded
	// LeftoverKilled: it ran past the timeout and its process group was killed.
	LeftoverKilled
	// LeftoverUnknown: this platform cannot tell (see EndLeftover).
	LeftoverUnknown
	// LeftoverServing: a start whose service reads running; what is left of it (the
	// server among it, perhaps) is left alone.
	LeftoverServing
)

// EndLeftover makes sure no part of p, a command of a run that was cut short, is still
// running: it waits up to timeout for its process group to end by itself (a stop that
// is half done is let finish, so that the state read next is the one it leaves), then
// kills the group. A process group is taken to be p's only while its leader is gone or
// still the very process p started (StartID): a pid used again since is left alone.
//
// A start is different: its group may hold the server itself (an exec start that runs
// it with `cmd &`), and killing that would hard-kill Plex without its shutdown save. So
// for a start, running (the service's status) is asked too: once it reads running the
// start has done its work, and what is left of it is left alone (LeftoverServing); a
// start that runs past the timeout while the service does not run is killed. For a
// stop, every process carrying its mark counts, even one that leads a group of its own
// (a worker it detached with setsid): nothing a stop leaves behind is the server.
func EndLeftover(ctx context.Context, p Process, timeout time.Duration, running func(context.Context) (bool, error)) (Leftover, error) {
	if p.Action != "start" {
		running = nil
	}
	return endLeftover(ctx, p, timeout, running)
}
