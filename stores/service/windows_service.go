package service

import "github.com/plexform/plexform/stores"

// The windows-service manager: a Windows service (Plex wrapped by NSSM or PmsService),
// driven through the service control manager (windows_service_windows.go); elsewhere
// every call fails (windows_app_other.go).
func init() {
	Register(Manager{Name: "windows-service", Doc: "a Windows service", Fields: []string{"unit"}, Needs: []string{"unit"},
		Open: func(cfg Config) (stores.Service, error) {
			if err := need(cfg, "a service name (unit)", cfg.Unit); err != nil {
				return nil, err
			}
			return NewWindowsService(cfg.Unit), nil
		}})
}
