// Command release is scripts/release.sh's helper: `archive` packs one target's directory
// into a reproducible .tar.gz or .zip, and `verify` checks a dist/ directory (the sums,
// each archive's entries, and that each binary is a static build for the OS and
// architecture its name says). Run it as `go run ./scripts/release`.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: release archive -mtime EPOCH [-exec NAME] -o OUT.tar.gz|OUT.zip DIR\n       release verify [-version V] DIST")
		return 2
	}
	switch args[0] {
	case "archive":
		fs := flag.NewFlagSet("archive", flag.ContinueOnError)
		fs.SetOutput(stderr)
		out := fs.String("o", "", "the archive to write; .tar.gz or .zip")
		mtime := fs.String("mtime", "", "every entry's time, in seconds since 1970 (the commit's time)")
		exe := fs.String("exec", "", "the file in DIR that is executable (mode 0755); others are 0644")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		epoch, err := strconv.ParseInt(*mtime, 10, 64)
		if err != nil || *out == "" || fs.NArg() != 1 {
			fmt.Fprintln(stderr, "usage: release archive -mtime EPOCH [-exec NAME] -o OUT DIR")
			return 2
		}
		if err := writeArchive(*out, fs.Arg(0), *exe, time.Unix(epoch, 0).UTC()); err != nil {
			fmt.Fprintf(stderr, "release archive: %v\n", err)
			return 1
		}
		return 0
	case "verify":
		fs := flag.NewFlagSet("verify", flag.ContinueOnError)
		fs.SetOutput(stderr)
		version := fs.String("version", "", "the version every archive name must carry")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		if fs.NArg() != 1 {
			fmt.Fprintln(stderr, "usage: release verify [-version V] DIST")
			return 2
		}
		n, err := verifyDist(fs.Arg(0), *version)
		if err != nil {
			fmt.Fprintf(stderr, "release verify: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "verified %d archives in %s\n", n, fs.Arg(0))
		return 0
	}
	fmt.Fprintf(stderr, "release: unknown subcommand %q (archive, verify)\n", args[0])
	return 2
}
