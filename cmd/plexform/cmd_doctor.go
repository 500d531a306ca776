package main

import (
	"context"
	"runtime"

	"github.com/plexform/plexform/doctor"
	"github.com/plexform/plexform/plex/signin"
	"github.com/plexform/plexform/views"
)

func init() {
	commands = append(commands, command{"doctor", "tell what stands between you and your server, without leaking a token", runDoctor})
}

func runDoctor(env *cliEnv, args []string) int {
	fs := newFlags(env, "doctor", "[-json] [-root DIR] [-url URL] [-online]")
	asJSON := fs.Bool("json", false, "print one JSON document instead of the human view")
	rootFlag := fs.String("root", "", "look for Plex inside `DIR` (a mounted disk, a container volume)")
	url := fs.String("url", "", "the server to ask for /identity (default "+signin.DefaultURL+"; not asked under -root unless given)")
	online := fs.Bool("online", false, "also try to reach plex.tv:443 (off by default: doctor contacts nothing outside this host)")
	if _, ok := parse(fs, args); !ok {
		return exitError
	}
	root, err := checkRoot(*rootFlag)
	if err != nil {
		return fail(env, err)
	}
	opts := doctor.Options{Root: root, URL: *url, Online: *online, GOOS: runtime.GOOS, Getenv: env.getenv}
	if opts.URL == "" && root == "" {
		opts.URL = signin.DefaultURL
	}
	rep := doctor.Run(context.Background(), opts, version)
	if *asJSON {
		if err := views.WriteJSON(env.stdout, rep); err != nil {
			return fail(env, err)
		}
	} else {
		doctor.WriteHuman(env.stdout, rep, root)
	}
	if rep.Problems > 0 {
		return exitError
	}
	return exitOK
}
