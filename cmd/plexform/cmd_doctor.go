package main

import (
	"context"
	"runtime"

	"github.com/plexform/plexform/doctor"
	"github.com/plexform/plexform/plex/signin"
)

// doctorOptions are the flags of `plexform doctor`.
type doctorOptions struct {
	asJSON   bool
	rootFlag string
	url      string
	online   bool
}

func (o *doctorOptions) flags(fs *cmdFlags) {
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON document instead of the human view")
	fs.StringVar(&o.rootFlag, "root", "", "look for Plex inside `DIR` (a mounted disk, a container volume)")
	fs.StringVar(&o.url, "url", "", "the server to ask for /identity (default "+signin.DefaultURL+"; not asked under -root unless given)")
	fs.BoolVar(&o.online, "online", false, "also try to reach plex.tv:443 (off by default: doctor contacts nothing outside this host)")
}

func (o *doctorOptions) run(env *cliEnv, _ *cmdFlags, _ []string) int {
	root, err := checkRoot(o.rootFlag)
	if err != nil {
		return fail(env, err)
	}
	opts := doctor.Options{Root: root, URL: o.url, Online: o.online, GOOS: runtime.GOOS, Getenv: env.getenv}
	if opts.URL == "" && root == "" {
		opts.URL = signin.DefaultURL
	}
	rep := doctor.Run(context.Background(), opts, version)
	if err := doctor.NewView(o.asJSON, env.stdout, root).Report(rep); err != nil {
		return fail(env, err)
	}
	if rep.Problems > 0 {
		return exitError
	}
	return exitOK
}
