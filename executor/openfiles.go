package executor

import "fmt"

// openFilesHeadroom is what an apply opens besides one file per staged store: the
// backups dir and its lock, the journal, the files being read, written and synced at
// once (parallel.Workers of them), the runtime's own.
const openFilesHeadroom = 128

// checkOpenFiles refuses, before anything is changed, a plan whose staged stores need
// more open files than this process may have: each holds its directory open from its
// lock until its rename is durable (the lock and the staged write share it, see
// fileutil.HoldDir; the rename lands in the directory resolved when staged, whatever is
// renamed on the way), so thousands of stores would otherwise fail half way through
// staging with "too many open files", before Plex is stopped but after minutes of work.
func checkOpenFiles(staged int, limit uint64) error {
	need := uint64(staged + openFilesHeadroom)
	if staged == 0 || limit == 0 || need <= limit {
		return nil
	}
	return fmt.Errorf("this plan writes %d files and applying it keeps about %d files open (one per file: its directory, locked), but this process may open only %d; raise the limit (ulimit -n %d, or LimitNOFILE= in a systemd unit) or split the plan; nothing was changed",
		staged, need, limit, need)
}
