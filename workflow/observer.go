package workflow

// Observer hears the outcomes operators count (SPEC §16 metrics). The core
// and its adapters report through it; cmd/tokenportal/app counts with
// Prometheus. Its methods must be cheap and never block.
type Observer interface {
	// Validated is the answer of the validate API.
	Validated(result bool)
	// SignIn is a sign-in of area (SignInPortal, SignInAdmin) completed, or
	// refused: every failure the sign-in throttle counts (a wrong step, and a
	// failed re-authentication or step-up, which count like sign-ins).
	SignIn(area string, ok bool)
}

// Sign-in areas, as Observer.SignIn names them.
const (
	SignInPortal = "portal"
	SignInAdmin  = "admin"
)

type nopObserver struct{}

func (nopObserver) Validated(bool)      {}
func (nopObserver) SignIn(string, bool) {}

// Observe is the Service's Observer, or one that counts nothing.
func (s *Service) Observe() Observer {
	if s.Observer == nil {
		return nopObserver{}
	}
	return s.Observer
}
