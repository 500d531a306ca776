package main

import "github.com/plexform/plexform/internal/plextv"

// A stand-in for plex.tv, so a sign-in plan can be tried end to end (and tested)
// without an account or the network: `plexform __plextv -accounts FILE`.
func init() {
	hiddenCommands["__plextv"] = func(env *cliEnv, args []string) int {
		return plextv.Main(args, env.stdout, env.stderr)
	}
}
