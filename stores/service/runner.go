package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/plexform/plexform/internal/childenv"
)

// Runner runs one command and returns its standard output. A command that ran and
// exited non-zero returns its stdout too (systemctl is-active prints the state either
// way) with a *CommandError.
type Runner interface {
	Run(ctx context.Context, argv []string) (stdout []byte, err error)
}

// CommandError is a command that could not run or exited non-zero.
type CommandError struct {
	Argv []string
	// ExitCode is the exit status, or -1 when the command did not run to an exit
	// (not found, killed by a signal or by the context).
	ExitCode int
	// Stderr is the command's error output, trimmed and cut to its last 2 KiB.
	Stderr string
	Err    error
}

func (e *CommandError) Error() string {
	msg := fmt.Sprintf("command %s: %v", quoteArgv(e.Argv), e.Err)
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

func (e *CommandError) Unwrap() error { return e.Err }

// exitedWith tells whether err is a command that ran and exited with a non-zero code.
func exitedWith(err error) (code int, ok bool) {
	var ce *CommandError
	if errors.As(err, &ce) && ce.ExitCode > 0 {
		return ce.ExitCode, true
	}
	return 0, false
}

func quoteArgv(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\$") {
			a = strconv.Quote(a)
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}

// OSRunner runs commands for real.
type OSRunner struct{}

// leakedPipeGrace is how long Run waits, after the command exits, for output pipes held
// open by a daemon it left running (an exec start command that backgrounds the server).
const leakedPipeGrace = 500 * time.Millisecond

const maxStderr = 2048

// processGroup is what holds a command and its children together (startGroup): a
// process group on Unix, a job object on Windows.
type processGroup interface {
	// started is called once the command has started.
	started(cmd *exec.Cmd)
	// done is called once it has ended.
	done()
}

// Run runs argv with no standard input, in the environment childenv allows, in a
// process group of its own that dies with plexform (startGroup). A Tracker in ctx
// (Track) hears when it starts and ends.
func (OSRunner) Run(ctx context.Context, argv []string) ([]byte, error) {
	if len(argv) == 0 {
		return nil, errors.New("no command given")
	}
	var cmd *exec.Cmd
	var group processGroup
	var stdout, stderr bytes.Buffer
	defer holdThread()()
	tracker := trackerFrom(ctx)
	var p Process
	if tracker != nil {
		p = Process{Mark: newMark(), Started: time.Now()}
		if err := tracker.Began(p); err != nil {
			return nil, fmt.Errorf("%s was not run: %w", quoteArgv(argv), err)
		}
		defer func() { tracker.Ended(p) }()
	}
	// A start that failed for a passing reason (see startFailedTransiently) ran nothing,
	// so it is tried again with a fresh Cmd: an exec.Cmd is not reused after Start.
	err := retryStart(func() error {
		cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
		childenv.Apply(cmd) // no plan secret from {env:} reaches a service manager
		if p.Mark != "" {
			cmd.Env = append(cmd.Env, MarkVar+"="+p.Mark)
		}
		stdout.Reset()
		stderr.Reset()
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.WaitDelay = leakedPipeGrace
		group = startGroup(cmd)
		return cmd.Start()
	}, startFailedTransiently)
	if err == nil {
		group.started(cmd)
		if tracker != nil {
			p = processOf(cmd, p)
			tracker.Started(p)
		}
		err = cmd.Wait()
		group.done()
	}
	if errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success() {
		// It exited 0 and left a daemon holding the pipes: that is a successful start.
		err = nil
	}
	if err == nil {
		return stdout.Bytes(), nil
	}
	code := -1
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		code = -1
	}
	msg := strings.TrimSpace(stderr.String())
	if len(msg) > maxStderr {
		msg = "..." + msg[len(msg)-maxStderr:]
	}
	return stdout.Bytes(), &CommandError{Argv: argv, ExitCode: code, Stderr: msg, Err: err}
}

// startAttempts bounds retryStart: a transient failure that persists this long is not one.
const startAttempts = 4

// retryStart calls start until it succeeds, fails for a reason transient does not
// accept, or has failed startAttempts times, waiting a little longer each time.
func retryStart(start func() error, transient func(error) bool) error {
	for attempt := 1; ; attempt++ {
		err := start()
		if err == nil || !transient(err) || attempt == startAttempts {
			return err
		}
		time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
	}
}
