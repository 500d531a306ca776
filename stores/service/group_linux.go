package service

import (
	"bytes"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"syscall"
)

// groupAttr puts the command in a process group of its own and has the kernel send it
// SIGKILL when plexform dies (PR_SET_PDEATHSIG, prctl(2)): a stop command must not
// outlive an apply killed half way and stop the server after recover started it. The
// signal goes with the death of the thread that started the command, not of the
// process, so Run holds its thread (holdThread) until the command has ended.
func groupAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// holdThread keeps the calling goroutine on its OS thread until release: Go may end an
// idle thread's life (a goroutine that exits locked takes its thread with it), and the
// parent-death signal would then kill a command that is still wanted.
func holdThread() (release func()) {
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}

// PIDNeeded tells whether recover needs a command's pid to find what is left of it:
// not on Linux, where the Mark in its children's environment finds them.
const PIDNeeded = false

// canIdentify: Linux tells a process's start time (startID).
const canIdentify = true

// startID reads the process's start time, in clock ticks since boot: field 22 of
// /proc/PID/stat (proc(5)), counted after the command name, which may hold spaces and
// parentheses and so ends at the last ')'.
func startID(pid int) (uint64, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	return parseProcStatStart(data)
}

func parseProcStatStart(data []byte) (uint64, bool) {
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return 0, false
	}
	fields := bytes.Fields(data[end+1:])
	// fields[0] is field 3 (state), so field 22 is fields[19].
	if len(fields) < 20 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(fields[19]), 10, 64)
	return v, err == nil && v > 0
}

// environMax bounds what is read of one process's environment.
const environMax = 1 << 20

// markedGroups lists the process groups in which a process whose environment carries
// MarkVar=mark is a member but not the leader: what stayed in the group of a command
// whose leader is gone (a child a killed stop script started). A marked process that
// leads its own group (a daemon a start launched with setsid, as daemons detach) is
// not a leftover of the command and is left alone, unless leaders is true: a stop's
// worker that detached the same way is still the stop. Processes this user may not
// read are skipped.
func markedGroups(mark string, leaders bool) []int {
	if mark == "" {
		return nil
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	want := []byte(MarkVar + "=" + mark + "\x00")
	var groups []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if !environHas(pid, want) {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		pgid, ok := parseProcStatPgrp(stat)
		if ok && (leaders || pgid != pid) && pgid > 0 && !slices.Contains(groups, pgid) {
			groups = append(groups, pgid)
		}
	}
	return groups
}

// environHas tells whether /proc/PID/environ holds the entry want (NAME=value\0).
func environHas(pid int, want []byte) bool {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, environMax))
	if err != nil {
		return false
	}
	return bytes.HasPrefix(data, want) || bytes.Contains(data, append([]byte{0}, want...))
}

// parseProcStatPgrp reads the process group, field 5 of /proc/PID/stat (proc(5)).
func parseProcStatPgrp(data []byte) (int, bool) {
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return 0, false
	}
	fields := bytes.Fields(data[end+1:])
	if len(fields) < 3 {
		return 0, false
	}
	v, err := strconv.Atoi(string(fields[2]))
	return v, err == nil
}
