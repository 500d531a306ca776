// Command release is scripts/release.sh's helper: `archive` packs one target's directory
// into a reproducible .tar.gz or .zip; `manpage` renders plexform(1) from a binary's help
// text; `formula` and `scoop` write the Homebrew formula and the Scoop manifest from the
// release's SHA256SUMS; and `verify` checks a dist/ directory (the sums, each archive's
// and .deb's entries, that each binary is a static build for the OS and architecture its
// name says, that the formula and manifest carry the sums, and that the plan schema
// published beside them has the $id and name `plexform init` gives). Run it as
// `go run ./scripts/release`.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

const usage = `usage: release archive -mtime EPOCH [-exec NAME] -o OUT.tar.gz|OUT.zip DIR
       release manpage -bin PLEXFORM -version V -mtime EPOCH -o OUT
       release formula|scoop -version V -sums SHA256SUMS -o OUT
       release verify [-version V] DIST`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
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
	case "manpage":
		fs := flag.NewFlagSet("manpage", flag.ContinueOnError)
		fs.SetOutput(stderr)
		bin := fs.String("bin", "", "the plexform binary whose help text to render (one that runs here)")
		version := fs.String("version", "", "the version for the page's header")
		mtime := fs.String("mtime", "", "the page's date, in seconds since 1970 (the commit's time)")
		out := fs.String("o", "", "the page to write")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		epoch, err := strconv.ParseInt(*mtime, 10, 64)
		if err != nil || *bin == "" || *version == "" || *out == "" || fs.NArg() != 0 {
			fmt.Fprintln(stderr, "usage: release manpage -bin PLEXFORM -version V -mtime EPOCH -o OUT")
			return 2
		}
		page, err := manPageOf(*bin, *version, time.Unix(epoch, 0))
		if err == nil {
			err = os.WriteFile(*out, page, 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "release manpage: %v\n", err)
			return 1
		}
		return 0
	case "formula", "scoop":
		fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
		fs.SetOutput(stderr)
		version := fs.String("version", "", "the release's version")
		sumsFile := fs.String("sums", "", "the release's SHA256SUMS")
		out := fs.String("o", "", "the file to write")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		if *version == "" || *sumsFile == "" || *out == "" || fs.NArg() != 0 {
			fmt.Fprintf(stderr, "usage: release %s -version V -sums SHA256SUMS -o OUT\n", args[0])
			return 2
		}
		render := formula
		if args[0] == "scoop" {
			render = scoop
		}
		sums, err := readSums(*sumsFile)
		var data []byte
		if err == nil {
			data, err = render(sums, *version)
		}
		if err == nil {
			err = os.WriteFile(*out, data, 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "release %s: %v\n", args[0], err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "release: unknown subcommand %q (archive, manpage, formula, scoop, verify)\n", args[0])
	return 2
}
