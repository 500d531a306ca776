package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// interruptible returns a context that the first SIGINT, SIGTERM, SIGHUP (an ssh session
// dropping) or SIGQUIT cancels, so the run rolls back instead of dying with Plex stopped.
// Later signals are answered with a line asking to wait. SIGPIPE is ignored: a closed
// stdout (`apply | head`) turns writes into errors that the output ignores, and the run
// goes on to its end.
func interruptible(env *cliEnv) (context.Context, func()) {
	ctx, _, stop := interruptibleRun(env)
	return ctx, stop
}

// interruptibleRun is interruptible with settle, to call once the run has ended and
// before its result is printed: later signals are then swallowed without a word, so the
// output still ends with the state the host is in, never with a plea to wait for a
// rollback that is over (a storm of signals met exactly that).
func interruptibleRun(env *cliEnv) (ctx context.Context, settle, stop func()) {
	signal.Ignore(syscall.SIGPIPE)
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan struct{})
	var settled atomic.Bool
	go func() {
		interrupted, told := false, false
		for {
			select {
			case sig := <-sigs:
				if settled.Load() {
					continue
				}
				if !interrupted {
					interrupted = true
					cancel(fmt.Errorf("interrupted by %s", signalName(sig)))
					continue
				}
				if !told { // once: a storm of signals is not a storm of lines
					told = true
					fmt.Fprintln(env.stderr, "plexform is putting the host back as it was; wait for it to finish (killing it now would leave Plex half changed, for `plexform recover` to mend)")
				}
			case <-done:
				return
			}
		}
	}()
	return ctx, func() { settled.Store(true) }, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "Ctrl-C (SIGINT)"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP (the terminal or ssh session closed)"
	case syscall.SIGQUIT:
		return "SIGQUIT"
	}
	return sig.String()
}

// readLine reads one line of input, giving up as soon as ctx is cancelled (a Ctrl-C at
// the prompt answers at once, not at the next Enter).
func readLine(ctx context.Context, r io.Reader) (string, error) {
	type answer struct {
		line string
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		got <- answer{line, err}
	}()
	select {
	case a := <-got:
		if a.err != nil && a.line == "" {
			return "", a.err
		}
		return a.line, nil
	case <-ctx.Done():
		return "", context.Cause(ctx)
	}
}
