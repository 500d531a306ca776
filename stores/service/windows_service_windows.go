//go:build windows

package service

import (
	"context"
	"fmt"

	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"
)

// WindowsService is a Windows service (Plex wrapped by NSSM or PmsService), driven
// through the service control manager.
type WindowsService struct{ Name string }

// NewWindowsService returns the manager for the service with this (key) name.
func NewWindowsService(name string) *WindowsService { return &WindowsService{Name: name} }

func (s *WindowsService) Describe() string { return "windows-service " + s.Name }

func (s *WindowsService) open() (*mgr.Mgr, *mgr.Service, error) {
	m, err := mgr.Connect()
	if err != nil {
		return nil, nil, fmt.Errorf("connect to the service control manager: %w", err)
	}
	service, err := m.OpenService(s.Name)
	if err != nil {
		m.Disconnect()
		return nil, nil, err
	}
	return m, service, nil
}

func (s *WindowsService) with(doing string, f func(*mgr.Service) error) error {
	m, service, err := s.open()
	if err != nil {
		return wrap(s, doing, err)
	}
	defer m.Disconnect()
	defer service.Close()
	return wrap(s, doing, f(service))
}

// Running is true only for SERVICE_RUNNING and false only for SERVICE_STOPPED; the
// pending states are transitions, so a stopping Plex never reads as stopped.
func (s *WindowsService) Running(context.Context) (bool, error) {
	var st svc.Status
	err := s.with("read the state of", func(service *mgr.Service) (err error) {
		st, err = service.Query()
		return err
	})
	if err != nil {
		return false, err
	}
	switch st.State {
	case svc.Running:
		return true, nil
	case svc.Stopped:
		return false, nil
	}
	return false, &TransitionError{Service: s.Describe(), State: stateNames[st.State]}
}

var stateNames = map[svc.State]string{
	svc.StartPending:    "start pending",
	svc.StopPending:     "stop pending",
	svc.ContinuePending: "continue pending",
	svc.PausePending:    "pause pending",
	svc.Paused:          "paused",
}

func (s *WindowsService) Stop(context.Context) error {
	return s.with("stop", func(service *mgr.Service) error {
		st, err := service.Query()
		if err == nil && st.State == svc.Stopped {
			return nil
		}
		_, err = service.Control(svc.Stop)
		return err
	})
}

func (s *WindowsService) Start(context.Context) error {
	return s.with("start", func(service *mgr.Service) error {
		st, err := service.Query()
		if err == nil && st.State != svc.Stopped {
			return nil
		}
		return service.Start()
	})
}
