//go:build !windows

package discover

import "errors"

// liveWindows answers only when plexform runs elsewhere with GOOS set to windows (tests):
// every lookup fails, so discovery falls back to the caller's key and %LOCALAPPDATA%.
func liveWindows() WindowsHost { return notWindows{} }

var errNotWindows = errors.New("the registry and service control manager are read only on Windows")

type notWindows struct{}

func (notWindows) Caller() (string, error)                       { return "", errNotWindows }
func (notWindows) LocalAppDataPath(string) (string, bool, error) { return "", false, errNotWindows }
func (notWindows) LocalAppData(string) (string, error)           { return "", errNotWindows }
func (notWindows) Services() ([]WindowsService, error)           { return nil, errNotWindows }
func (notWindows) SID(string) (string, error)                    { return "", errNotWindows }
