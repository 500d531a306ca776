package plextv

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/plexform/plexform/stores/fileutil"
)

// maxAccountsFile bounds the accounts file: a handful of lines is all a test needs.
const maxAccountsFile = 1 << 20

// LoadAccounts reads an accounts file: one account a line, "username email [token...]",
// each token one plex.tv honours for it (blank lines and # comments are skipped). A
// token written TOKEN@CLIENT is a server's: the device CLIENT (its
// ProcessedMachineIdentifier), "Plex Media Server", provides "server"; a bare token is
// an app's device of its own.
// Tokens live in a file, never on a command line, where ps would show them.
func (s *Server) LoadAccounts(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read accounts: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, maxAccountsFile))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 {
			return fmt.Errorf("%s:%d: want \"username email [token...]\"", path, n)
		}
		a := s.AddAccount(fields[0], fields[1])
		for i, t := range fields[2:] {
			token, client, server := strings.Cut(t, "@")
			d := Device{ClientIdentifier: fmt.Sprintf("accounts-file-%d-%d", n, i), Product: "app"}
			if server {
				d = Device{ClientIdentifier: client, Product: ServerProduct, Provides: "server"}
			}
			s.Honour(a, token, d)
		}
	}
	return sc.Err()
}

// Main is the stand-in's command line (`plexform __plextv`). It serves until SIGTERM or
// SIGINT and returns the exit code: 0 after a clean stop, 1 on a failure, 2 on bad flags.
func Main(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("plextv", flag.ContinueOnError)
	fl.SetOutput(stderr)
	listen := fl.String("listen", "127.0.0.1:0", "loopback address to serve on; port 0 picks a free port")
	addrFile := fl.String("addr-file", "", "file to write the base URL to once serving")
	accounts := fl.String("accounts", "", `accounts file: lines of "username email [token...]"`)
	pinLife := fl.Duration("pin-lifetime", PinLifetime, "how long a link code stays valid")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintln(stderr, "plextv: usage: plextv [-listen ADDR] [-addr-file PATH] [-accounts FILE] [-pin-lifetime D]")
		return 2
	}
	s := New()
	s.PinLifetime = *pinLife
	if *accounts != "" {
		if err := s.LoadAccounts(*accounts); err != nil {
			fmt.Fprintf(stderr, "plextv: %v\n", err)
			return 1
		}
	}
	url, stop, err := s.Listen(*listen)
	if err != nil {
		fmt.Fprintf(stderr, "plextv: %v\n", err)
		return 1
	}
	if *addrFile != "" {
		if err := fileutil.WritePrivate(*addrFile, []byte(url+"\n")); err != nil {
			_ = stop()
			fmt.Fprintf(stderr, "plextv: %v\n", err)
			return 1
		}
		defer os.Remove(*addrFile)
	}
	fmt.Fprintf(stdout, "plex.tv stand-in serving %s\n", url)
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer cancel()
	<-ctx.Done()
	if err := stop(); err != nil {
		fmt.Fprintf(stderr, "plextv: %v\n", err)
		return 1
	}
	return 0
}
