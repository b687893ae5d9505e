package app

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"tokenportal/workflow"
	"tokenportal/workflow/radius"
)

// radiusHandler answers the RADIUS front end (workflow/radius) with the
// service: the same second factor, limits and activities as the portal and
// validate (SPEC §11).
type radiusHandler struct{ svc *workflow.Service }

func (h radiusHandler) Client(ctx context.Context, addr netip.Addr) (radius.Client, bool, error) {
	c, ok, err := h.svc.RadiusClientFor(ctx, addr)
	if err != nil || !ok {
		return radius.Client{}, false, err
	}
	return radius.Client{ID: c.ID, Name: c.Name, Secret: c.Secret, RequireMessageAuthenticator: c.RequireMessageAuthenticator}, true, nil
}

func (h radiusHandler) Access(ctx context.Context, r radius.Request) (radius.Answer, error) {
	c, ok, err := h.svc.RadiusClientFor(ctx, r.Source.Addr())
	if err != nil {
		return radius.Answer{}, err
	}
	if !ok || c.ID != r.Client.ID {
		// The client went away (or changed) since the packet was checked.
		return radius.Answer{Code: radius.Reject}, nil
	}
	a, err := h.svc.RadiusAccess(ctx, workflow.RadiusAccessRequest{Client: c, Login: r.UserName, Password: r.Password, State: r.State,
		NASIPAddress: r.NASIPAddress, NASIdentifier: r.NASIdentifier, CallingStationID: r.CallingStationID,
		Meta: workflow.Meta{IP: r.Source.Addr().String()}})
	if err != nil {
		return radius.Answer{}, err
	}
	out := radius.Answer{ReplyMessage: a.Message, State: a.State}
	switch a.Code {
	case workflow.RadiusAccept:
		out.Code = radius.Accept
	case workflow.RadiusChallenge:
		out.Code = radius.Challenge
	default:
		out.Code = radius.Reject
	}
	return out, nil
}

// serveRADIUS answers RADIUS on addr until ctx ends, then lets the requests
// in flight finish (at most grace).
func (a *App) serveRADIUS(ctx context.Context, addr string, grace time.Duration) error {
	srv := &radius.Server{Addr: addr, Handler: radiusHandler{a.Service}, Log: a.Log.With("component", "radius")}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		a.Log.Warn("RADIUS did not stop cleanly", "err", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, radius.ErrServerClosed) {
		return err
	}
	return nil
}
