//go:build unix && !linux

package service

import "syscall"

// groupAttr puts the command in a process group of its own. There is no parent-death
// signal here: a command of a killed run lives on until recover waits for its group
// and kills it (EndLeftover).
func groupAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// PIDNeeded tells whether recover needs a command's pid to find what is left of it:
// here it does (see markedGroups).
const PIDNeeded = true

func holdThread() (release func()) { return func() {} }

// markedGroups finds nothing here: reading another process's environment is Linux's
// /proc; elsewhere a command is found by the pid written down once it started.
func markedGroups(string, bool) []int { return nil }
