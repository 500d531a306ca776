package executor

import "fmt"

// openFilesHeadroom is what an apply opens besides two files per staged store: the
// backups dir and its lock, the journal, the files being read, written and synced at
// once (syncWorkers of them), the runtime's own.
const openFilesHeadroom = 128

// checkOpenFiles refuses, before anything is changed, a plan whose staged stores need
// more open files than this process may have: each holds two from its staging until
// its rename is durable (its lock, and its directory as resolved when staged, so the
// rename lands there whatever is renamed on the way), so thousands of stores would
// otherwise fail half way through staging with "too many open files".
func checkOpenFiles(staged int, limit uint64) error {
	need := uint64(2*staged + openFilesHeadroom)
	if staged == 0 || limit == 0 || need <= limit {
		return nil
	}
	return fmt.Errorf("this plan writes %d files and applying it keeps about %d files open (two per file: its lock and its directory), but this process may open only %d; raise the limit (ulimit -n %d, or LimitNOFILE= in a systemd unit) or split the plan; nothing was changed",
		staged, need, limit, need)
}
