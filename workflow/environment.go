package workflow

import (
	"context"
	"net/netip"
	"strings"
	"time"
)

// Device is a browser remembered for a user on a resource (SPEC §4.4), as
// the manage-environment page lists it.
type Device struct {
	ID         int64
	CreatedAt  time.Time
	LastUsedAt *time.Time
	ExpiresAt  time.Time
	IP         string
	UserAgent  string
}

// SignIn is one completed sign-in of a user (a UserLogin activity).
type SignIn struct {
	At        time.Time
	IP        string
	UserAgent string
	Resource  string
}

// Environment is what the manage-environment page shows.
type Environment struct {
	Devices []Device // remembered on this resource, still valid
	SignIns []SignIn // the newest first
}

// signInsShown is how many recent sign-ins the page lists.
const signInsShown = 20

// UnknownBrowser names a user agent the parser does not recognise.
const UnknownBrowser = "Unknown browser"

// ParseUserAgent finds the browser family (Edge, Opera, Firefox, Chrome,
// Safari) and operating system (Windows, iOS, Android, macOS, Linux) in a
// User-Agent header; either is empty when unknown. Order matters: Edge and
// Opera also say "Chrome", Chrome also says "Safari", Android also says
// "Linux", and iOS browsers say "like Mac OS X".
func ParseUserAgent(ua string) (browser, os string) {
	has := func(s ...string) bool {
		for _, x := range s {
			if strings.Contains(ua, x) {
				return true
			}
		}
		return false
	}
	switch {
	case has("Edg/", "Edge/", "EdgA/", "EdgiOS/"):
		browser = "Edge"
	case has("OPR/", "Opera", "OPiOS/"):
		browser = "Opera"
	case has("Firefox/", "FxiOS/"):
		browser = "Firefox"
	case has("Chrome/", "CriOS/", "Chromium/"):
		browser = "Chrome"
	case has("Safari/") && has("Version/"):
		browser = "Safari"
	}
	switch {
	case has("Windows"):
		os = "Windows"
	case has("iPhone", "iPad", "iPod"):
		os = "iOS"
	case has("Android"):
		os = "Android"
	case has("Macintosh", "Mac OS X"):
		os = "macOS"
	case has("Linux", "X11"):
		os = "Linux"
	}
	return browser, os
}

// BrowserLabel describes a user agent for people: "Firefox on Windows",
// "Chrome", "Unknown browser on Linux".
func BrowserLabel(ua string) string {
	b, os := ParseUserAgent(ua)
	if b == "" {
		b = UnknownBrowser
	}
	if os != "" {
		return b + " on " + os
	}
	return b
}

// environmentOf is the environment of a sign-in: the address's network
// (/24 for IPv4, /48 for IPv6) and the browser family. ok is false without
// a usable address.
func environmentOf(m Meta) (prefix, browser string, ok bool) {
	a, err := netip.ParseAddr(m.IP)
	if err != nil {
		return "", "", false
	}
	a = a.Unmap()
	bits := 48
	if a.Is4() {
		bits = 24
	}
	p, err := a.WithZone("").Prefix(bits)
	if err != nil {
		return "", "", false
	}
	browser, _ = ParseUserAgent(m.UserAgent)
	if browser == "" {
		browser = UnknownBrowser
	}
	return p.String(), browser, true
}

// noteEnvironment records the environment of a sign-in through st (inside
// the sign-in's transaction) and queues the new_environment mail when the
// user signed in before, but never from this environment. The first
// environment on record (the very first sign-in, or the first after this
// feature arrived) is not news.
func (s *Service) noteEnvironment(ctx context.Context, st Store, p Portal, u User, m Meta, now time.Time) error {
	prefix, browser, ok := environmentOf(m)
	if !ok {
		return nil
	}
	fresh, known, err := st.SeeEnvironment(ctx, u.ID, prefix, browser, now)
	if err != nil {
		return Internal(err)
	}
	if !fresh || !known || u.Email == "" {
		return nil
	}
	return s.enqueue(ctx, st, Message{Channel: ChannelEmail, To: u.Email, Template: "new_environment", Lang: u.Language,
		Data: map[string]string{"login": u.Login, "resource": p.ResourceName, "ip": m.IP,
			"browser": BrowserLabel(m.UserAgent), "time": now.UTC().Format("2006-01-02 15:04 UTC")}})
}

// ManageEnvironment gathers the user's remembered devices on the portal's
// resource and their recent sign-ins.
func (s *Service) ManageEnvironment(ctx context.Context, p Portal, u User) (Environment, error) {
	devices, err := s.Store.UserDevices(ctx, u.ID, p.ResourceID, s.Now())
	if err != nil {
		return Environment{}, Internal(err)
	}
	signIns, err := s.Store.UserSignIns(ctx, u.ID, signInsShown)
	if err != nil {
		return Environment{}, Internal(err)
	}
	return Environment{Devices: devices, SignIns: signIns}, nil
}

// RevokeDevices forgets remembered devices of the user on the portal's
// resource: one (deviceID) or, with deviceID 0, all of them. The browsers
// concerned are asked for the OTP again at their next sign-in.
func (s *Service) RevokeDevices(ctx context.Context, p Portal, u User, deviceID int64, m Meta) (int, error) {
	var n int
	err := s.Store.Tx(ctx, func(st Store) error {
		ids, err := st.RevokeDevices(ctx, u.ID, p.ResourceID, deviceID, s.Now())
		if err != nil {
			return Internal(err)
		}
		if n = len(ids); n == 0 {
			return nil
		}
		return st.AddActivity(ctx, s.stamp(Activity{Actor: u.Actor(), UserID: &u.ID, ResourceID: &p.ResourceID,
			Event: EventDeviceRevoked, IP: m.IP, UserAgent: m.UserAgent, Details: map[string]any{"devices": ids}}))
	})
	if err != nil {
		return 0, err
	}
	if n == 0 && deviceID != 0 {
		return 0, Fail(CodeNotFound, M("environment.device_not_remembered"))
	}
	return n, nil
}
