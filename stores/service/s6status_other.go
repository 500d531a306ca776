//go:build !unix

package service

// readS6StatusFile: s6 runs on Unix only; elsewhere Running always asks s6-svstat.
func readS6StatusFile(string) (s6Status, bool) { return s6Status{}, false }
