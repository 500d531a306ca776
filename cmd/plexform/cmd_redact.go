package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/plexform/plexform/plex/redact"
	"github.com/plexform/plexform/stores/fileutil"
)

// redactOptions are the flags of `plexform redact`.
type redactOptions struct {
	out   string
	force bool
}

func (o *redactOptions) flags(fs *cmdFlags) {
	fs.StringVar(&o.out, "o", "", "write the copy to `OUT` instead of stdout")
	fs.BoolVar(&o.force, "force", false, "replace OUT if it exists")
}

func (o *redactOptions) run(env *cliEnv, fs *cmdFlags, positional []string) int {
	if len(positional) != 1 {
		fs.Usage()
		return exitError
	}
	in := positional[0]
	// Non-blocking and regular only, as every settings file is read: a FIFO named here
	// is an error, not a hang.
	raw, _, err := fileutil.ReadFile(in, fileutil.MaxFileSize)
	if err != nil {
		return fail(env, err) // it names the file
	}
	res, err := redact.Redact(raw)
	if err != nil {
		return fail(env, fmt.Errorf("redact %s: %w; nothing was written", in, err))
	}
	if o.out == "" || o.out == "-" {
		data := res.Data
		// A binary plist or a UTF-16 .reg on a terminal is noise; show it as text there.
		if isTerminal(env.stdout) {
			text, ok, err := redact.Readable(res)
			if err != nil {
				return fail(env, fmt.Errorf("redact %s: %w", in, err))
			}
			if ok {
				data = text
				fmt.Fprintf(env.stderr, "Shown as text: %s is a binary plist or a UTF-16 .reg file; -o FILE (or a pipe) gets it in its own format.\n", in)
			}
		}
		if _, err := env.stdout.Write(data); err != nil {
			return fail(env, err)
		}
	} else if err := writeCopy(in, o.out, res.Data, o.force); err != nil {
		return fail(env, err)
	}
	printRedactSummary(env, res)
	return exitOK
}

// writeCopy writes the redacted copy to out, never over in (also not through a symlink
// or a hard link: the same file under another name) and over another existing file only
// when forced.
func writeCopy(in, out string, data []byte, force bool) error {
	inInfo, err := os.Stat(in)
	if err != nil {
		return fmt.Errorf("stat %s: %w", in, err)
	}
	outInfo, err := os.Stat(out)
	switch {
	case err == nil && os.SameFile(inInfo, outInfo):
		return fmt.Errorf("-o %s is %s itself (or a link to it); redact writes a copy and never over its input: name another file", out, in)
	case err == nil && !force:
		return fmt.Errorf("-o %s exists; add -force to replace it, or name another file", out)
	case err == nil:
		meta, _, err := fileutil.Stat(out)
		if err != nil {
			return err
		}
		return fileutil.WriteAtomic(out, data, meta)
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("stat %s: %w", out, err)
	}
	// O_EXCL: a file (or dangling link) that appeared since the check is not written over.
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(out)
		return fmt.Errorf("write %s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(out)
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}

// printRedactSummary tells what was hidden, by name only, on stderr so stdout stays the file.
func printRedactSummary(env *cliEnv, res redact.Result) {
	switch {
	case res.Values == 0 && res.Elsewhere == 0:
		fmt.Fprintln(env.stderr, "Nothing to redact: no token, e-mail address or identifier found.")
	case res.Values == 0:
		fmt.Fprintf(env.stderr, "Redacted %d secret(s) or e-mail address(es) outside the values (comments, other elements).\n", res.Elsewhere)
	default:
		fmt.Fprintf(env.stderr, "Redacted %d value(s): %s.\n", res.Values, strings.Join(res.Names, ", "))
		if res.Elsewhere > 0 {
			fmt.Fprintf(env.stderr, "Also replaced %d copy(ies) of them or e-mail address(es) elsewhere in the file.\n", res.Elsewhere)
		}
	}
	fmt.Fprintln(env.stderr, "Read the copy before posting it: redact knows Plex's names for secrets, not every secret a file can hold.")
}
