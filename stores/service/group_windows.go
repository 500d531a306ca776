package service

import (
	"context"
	"fmt"
	"os/exec"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// startGroup prepares a job object for cmd: once the command has started it is put in
// a job that kills every process in it when its last handle closes
// (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE), and plexform holds that handle, so when
// plexform dies, Windows closes it and the command dies with it, children included.
// A command that ends by itself first has the limit lifted before the handle is
// closed: a server its start command left running lives on. When the context ends (a
// command past the service's timeout) the whole job is ended.
//
// A child the command starts in the instant before it is put in the job is not in it:
// os/exec cannot start a process suspended. Service commands (sc.exe, net.exe, a
// script) do their work themselves or through the service manager, well after that.
func startGroup(cmd *exec.Cmd) processGroup {
	g := &jobGroup{}
	cmd.Cancel = func() error {
		if g.job != 0 {
			return windows.TerminateJobObject(g.job, 1)
		}
		return cmd.Process.Kill()
	}
	return g
}

type jobGroup struct{ job windows.Handle }

// started puts the command in its job. Where no job can be made (an old Wine), the
// command runs as it did before jobs: it does its work, but would outlive plexform.
func (g *jobGroup) started(cmd *exec.Cmd) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return
	}
	proc, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(cmd.Process.Pid))
	if err != nil {
		windows.CloseHandle(job)
		return
	}
	defer windows.CloseHandle(proc)
	if setKillOnClose(job, true) != nil || windows.AssignProcessToJobObject(job, proc) != nil {
		windows.CloseHandle(job)
		return
	}
	g.job = job
}

func (g *jobGroup) done() {
	if g.job == 0 {
		return
	}
	_ = setKillOnClose(g.job, false)
	windows.CloseHandle(g.job)
	g.job = 0
}

func setKillOnClose(job windows.Handle, on bool) error {
	var info windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION
	if on {
		info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	}
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		return fmt.Errorf("set the job object's limits: %w", err)
	}
	return nil
}

// PIDNeeded tells whether recover needs a command's pid to find what is left of it:
// not on Windows, where the job object takes all of it down with plexform.
const PIDNeeded = false

func holdThread() (release func()) { return func() {} }

// processOf completes p with cmd, just started, for a Tracker. Its job object dies
// with plexform, so a later run has nothing to wait for: no group is recorded.
func processOf(cmd *exec.Cmd, p Process) Process {
	p.PID = cmd.Process.Pid
	return p
}

// endLeftover has nothing to do on Windows: the command's job object was closed, and
// so every process in it killed, when the run that started it died.
func endLeftover(context.Context, Process, time.Duration, func(context.Context) (bool, error)) (Leftover, error) {
	return LeftoverGone, nil
}
