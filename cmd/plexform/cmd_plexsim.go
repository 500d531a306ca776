package main

import "github.com/plexform/plexform/internal/plexsim"

// The demo needs a Plex Media Server to reset on hosts that have none; plexform carries
// its simulator and runs it by re-executing itself, so the demo needs no second binary.
func init() {
	hiddenCommands["__plexsim"] = func(env *cliEnv, args []string) int {
		return plexsim.Main(args, env.stdout, env.stderr)
	}
}
