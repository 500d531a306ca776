// Package state owns plexform's state directory, the trusted place where an apply keeps
// what must outlive it: where that directory lies (Locate: the plan's backups.dir, or
// each OS's default, inside -root when given), how it is opened and trusted (as ssh
// trusts ~/.ssh: this user's, private, reached through no link someone else could
// plant), the store backups and their manifests, the lock that lets one run at a time
// use it (and the store locks, LockStores), the journal file of a run in progress, the
// state files beside them (the spent claim tokens), and the pruning and tidying of what
// a run leaves there.
//
// It is apart from the executor because it is a repository, not an operation (restic
// keeps its repository beside its archiver): the executor decides what to back up,
// write, roll back and recover; this package only keeps those records safe, on any
// host, against a directory others may reach. It knows nothing of hosts, services or
// views, and imports only the plan (for the location and kind names) and the stores.
package state
