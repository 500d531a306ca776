//go:build !windows

package service

import (
	"context"
	"errors"
)

// errNotWindows is what the Windows managers answer elsewhere.
var errNotWindows = errors.New("the windows-app and windows-service managers work only on Windows")

func processRunning(string) (bool, error) { return false, errNotWindows }
func launchUnelevated(string) error       { return errNotWindows }
func installFolder() (string, error)      { return "", errNotWindows }

// NewWindowsService returns a service whose every call fails: the service control
// manager exists only on Windows.
func NewWindowsService(name string) *WindowsService { return &WindowsService{Name: name} }

// WindowsService is a Windows service (Plex wrapped by NSSM or PmsService).
type WindowsService struct{ Name string }

func (s *WindowsService) Describe() string { return "windows-service " + s.Name }
func (s *WindowsService) Running(ctx context.Context) (bool, error) {
	return false, wrap(s, "read the state of", errNotWindows)
}
func (s *WindowsService) Stop(ctx context.Context) error  { return wrap(s, "stop", errNotWindows) }
func (s *WindowsService) Start(ctx context.Context) error { return wrap(s, "start", errNotWindows) }
