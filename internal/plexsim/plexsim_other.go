//go:build !windows

package plexsim

import (
	"context"
	"errors"
	"flag"
)

const (
	prefsRequired  = true
	prefsFlagUsage = "Preferences.xml to read at start and write on shutdown (required)"
	usageLine      = "plexsim -prefs PATH [-listen ADDR] [-addr-file PATH] [-log PATH] [-refuse-if-attr NAME] [-plextv URL]"
)

func openSettings(o Options) (settingsStore, string, error) {
	if o.RegistryKey != "" {
		return nil, "", errors.New("plexsim: settings in the registry exist only on Windows")
	}
	return openPrefsFile(o.PrefsPath)
}

// Elsewhere the flags are the command line's alone and a signal is the only way to stop.
func platformFlags(*flag.FlagSet, *Options) {}
func flagsFromEnv(*flag.FlagSet) error      { return nil }
func untilWindowClosed(ctx context.Context) (context.Context, func(), error) {
	return ctx, func() {}, nil
}
