//go:build windows

package plexsim

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/registry"
)

// PlexKey is where PMS keeps its settings on Windows, below HKEY_CURRENT_USER.
const PlexKey = `HKCU\Software\Plex, Inc.\Plex Media Server`

const (
	prefsRequired  = false
	prefsFlagUsage = "Preferences.xml to read at start and write on shutdown (default: the values of -registry, as PMS keeps them on Windows)"
	usageLine      = "plexsim [-prefs PATH | -registry KEY] [-listen ADDR] [-addr-file PATH] [-log PATH] [-refuse-if-attr NAME] [-plextv URL]"
)

func platformFlags(fl *flag.FlagSet, o *Options) {
	fl.StringVar(&o.RegistryKey, "registry", "", "registry key whose values are the settings when -prefs is not given (default "+PlexKey+")")
}

// flagsFromEnv takes each flag not given on the command line from the environment
// variable PLEXSIM_<NAME> (-addr-file: PLEXSIM_ADDR_FILE). The windows-app manager starts
// the exe from InstallFolder without arguments, as Windows starts PMS, so a test can only
// configure the simulator through the environment the exe inherits.
func flagsFromEnv(fl *flag.FlagSet) error {
	given := map[string]bool{}
	fl.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fl.VisitAll(func(f *flag.Flag) {
		name := "PLEXSIM_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok && !given[f.Name] {
			if err := fl.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("environment variable %s: %w", name, err))
			}
		}
	})
	return errors.Join(errs...)
}

// openSettings keeps the settings in the registry, as PMS does on Windows, unless a
// Preferences.xml is named.
func openSettings(o Options) (settingsStore, string, error) {
	if o.PrefsPath != "" {
		if o.RegistryKey != "" {
			return nil, "", errors.New("plexsim: give -prefs or -registry, not both")
		}
		return openPrefsFile(o.PrefsPath)
	}
	key := o.RegistryKey
	if key == "" {
		key = PlexKey
	}
	s, err := registry.New(key, "")
	if err != nil {
		return nil, "", fmt.Errorf("plexsim: %w", err)
	}
	// PMS logs to %LOCALAPPDATA%\Plex Media Server\Logs.
	local, err := os.UserCacheDir()
	if err != nil {
		return nil, "", fmt.Errorf("plexsim: find the log directory: %w", err)
	}
	return &regSettings{s: s, types: map[string]string{}}, filepath.Join(local, "Plex Media Server"), nil
}

// regSettings is the settings as values of one registry key. It remembers each value's
// type, so a REG_DWORD read at start is written back as a REG_DWORD.
type regSettings struct {
	s     stores.Store
	types map[string]string
}

func (r *regSettings) String() string { return r.s.Target() }
func (r *regSettings) noun() string   { return "value" }

func (r *regSettings) load() (settings, bool, error) {
	st, err := r.s.Read(context.Background())
	if err != nil || !st.Exists {
		return settings{}, false, err
	}
	names := make([]string, 0, len(st.Values))
	for name := range st.Values {
		names = append(names, name)
	}
	sort.Strings(names) // the registry has no order; this keeps the log and tests stable
	var out settings
	for _, name := range names {
		v := st.Values[name]
		r.types[name] = v.Type
		out.attrs = append(out.attrs, attr{name, v.Text})
	}
	return out, true, nil
}

// save writes every value the server holds, as PMS does on its way down: a value deleted
// while it ran comes back. Values it never read are left alone.
func (r *regSettings) save(st settings) error {
	edits := make([]stores.Edit, 0, len(st.attrs))
	for _, a := range st.attrs {
		edits = append(edits, stores.Edit{Name: a.Name, Value: stores.Value{Type: r.types[a.Name], Text: a.Value}})
	}
	return r.s.Write(context.Background(), edits)
}

// The hidden window. PMS on Windows is a tray app: `taskkill /im "Plex Media Server.exe"`
// without /f posts WM_CLOSE to the process's top-level windows (Wine's taskkill does the
// same: programs/taskkill/taskkill.c, send_close_messages), and PMS saves its settings and
// exits. A message-only window would not do: EnumWindows, which taskkill uses, does not
// list those.
var (
	user32               = windows.NewLazySystemDLL("user32.dll")
	procRegisterClassExW = user32.NewProc("RegisterClassExW")
	procCreateWindowExW  = user32.NewProc("CreateWindowExW")
	procGetMessageW      = user32.NewProc("GetMessageW")
	procDispatchMessageW = user32.NewProc("DispatchMessageW")
	procDefWindowProcW   = user32.NewProc("DefWindowProcW")
	procPostQuitMessage  = user32.NewProc("PostQuitMessage")
	procPostMessageW     = user32.NewProc("PostMessageW")
)

const (
	wmDestroy = 0x0002
	wmClose   = 0x0010
)

// wndClassEx is WNDCLASSEXW.
type wndClassEx struct {
	size       uint32
	style      uint32
	wndProc    uintptr
	clsExtra   int32
	wndExtra   int32
	instance   windows.Handle
	icon       windows.Handle
	cursor     windows.Handle
	background windows.Handle
	menuName   *uint16
	className  *uint16
	iconSm     windows.Handle
}

// msg is MSG.
type msg struct {
	hwnd    uintptr
	message uint32
	wParam  uintptr
	lParam  uintptr
	time    uint32
	pt      struct{ x, y int32 }
	private uint32
}

// windowProc lets DefWindowProc answer WM_CLOSE (it destroys the window) and ends the
// message loop when the window is gone. One callback serves every window: NewCallback
// makes a limited number of them per process.
var windowProc = windows.NewCallback(func(hwnd, m, w, l uintptr) uintptr {
	if m == wmDestroy {
		procPostQuitMessage.Call(0)
		return 0
	}
	r, _, _ := procDefWindowProcW.Call(hwnd, m, w, l)
	return r
})

// untilWindowClosed opens the hidden window and returns a context that also ends when
// the window is closed, and a func that closes it.
func untilWindowClosed(ctx context.Context) (context.Context, func(), error) {
	ctx, cancel := context.WithCancel(ctx)
	created := make(chan error, 1)
	done := make(chan struct{})
	var hwnd uintptr
	go func() {
		defer close(done)
		defer cancel()
		// A window belongs to the thread that made it, and only that thread gets its messages.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		h, err := createWindow()
		if err != nil {
			created <- err
			return
		}
		hwnd = h
		created <- nil
		var m msg
		for {
			r, _, _ := procGetMessageW.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0)
			if int32(r) <= 0 { // 0: WM_QUIT; -1: an error, after which there is nothing to wait for
				return
			}
			procDispatchMessageW.Call(uintptr(unsafe.Pointer(&m)))
		}
	}()
	if err := <-created; err != nil {
		cancel()
		return nil, nil, err
	}
	closeWindow := func() {
		procPostMessageW.Call(hwnd, wmClose, 0, 0)
		<-done
	}
	return ctx, closeWindow, nil
}

func createWindow() (uintptr, error) {
	className, _ := windows.UTF16PtrFromString("PlexformPlexsim") // constants hold no NUL
	title, _ := windows.UTF16PtrFromString("Plex Media Server")
	var inst windows.Handle
	if err := windows.GetModuleHandleEx(0, nil, &inst); err != nil {
		return 0, fmt.Errorf("open the window: module handle: %w", err)
	}
	wc := wndClassEx{wndProc: windowProc, instance: inst, className: className}
	wc.size = uint32(unsafe.Sizeof(wc))
	// A second registration in the same process (a test calling Main twice) fails with
	// ERROR_CLASS_ALREADY_EXISTS, and the class from the first is as good.
	if r, _, err := procRegisterClassExW.Call(uintptr(unsafe.Pointer(&wc))); r == 0 && !errors.Is(err, windows.ERROR_CLASS_ALREADY_EXISTS) {
		return 0, fmt.Errorf("open the window: RegisterClassEx: %w", err)
	}
	// No WS_VISIBLE: hidden, as PMS's own window is; a top-level window (no parent), so
	// taskkill finds it.
	h, _, err := procCreateWindowExW.Call(0, uintptr(unsafe.Pointer(className)), uintptr(unsafe.Pointer(title)),
		0, 0, 0, 0, 0, 0, 0, uintptr(inst), 0)
	if h == 0 {
		return 0, fmt.Errorf("open the window: CreateWindowEx: %w (under Wine without a display, set the graphics driver to null: HKCU\\Software\\Wine\\Drivers, Graphics=null)", err)
	}
	return h, nil
}
