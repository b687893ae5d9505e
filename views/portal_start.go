package views

import "context"

type startLinkKey struct{}

// WithStartLink returns ctx in which the error page links to href as the
// start page instead of the console's sign-in ("/"): a portal's pages point
// to the portal's start. An empty href shows no link at all (an unknown
// portal must not send people to the console).
func WithStartLink(ctx context.Context, href string) context.Context {
	return context.WithValue(ctx, startLinkKey{}, href)
}

// startLink is where the error page's start link goes: "/" unless ctx
// says otherwise.
func startLink(ctx context.Context) string {
	if s, ok := ctx.Value(startLinkKey{}).(string); ok {
		return s
	}
	return "/"
}
