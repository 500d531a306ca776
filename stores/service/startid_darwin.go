package service

import "golang.org/x/sys/unix"

// canIdentify: macOS tells a process's start time (startID).
const canIdentify = true

// startID is the process's start time in microseconds, from kinfo_proc's p_starttime
// (sysctl kern.proc.pid, as ps(1) reads it).
func startID(pid int) (uint64, bool) {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil || kp.Proc.P_pid != int32(pid) {
		return 0, false
	}
	t := kp.Proc.P_starttime
	return uint64(t.Sec)*1_000_000 + uint64(t.Usec), true
}
