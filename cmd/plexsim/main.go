// Command plexsim runs the Plex Media Server simulator (see internal/plexsim) on its own,
// for tests and for supervisors such as s6 that need a program to exec.
package main

import (
	"os"

	"github.com/plexform/plexform/internal/plexsim"
)

func main() {
	os.Exit(plexsim.Main(os.Args[1:], os.Stdout, os.Stderr))
}
