package app

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"tokenportal/workflow"
	"tokenportal/workflow/radius"
)

// radiusClientTTL is how long an instance trusts a client lookup: every
// packet needs one, floods from unknown addresses included, so lookups are
// cached briefly (a client added or removed in the console takes effect
// within this time).
const (
	radiusClientTTL   = 10 * time.Second
	radiusClientCache = 4096
)

// radiusHandler answers the RADIUS front end (workflow/radius) with the
// service: the same second factor, limits and activities as the portal and
// validate (SPEC §11).
type radiusHandler struct {
	svc *workflow.Service

	mu      sync.Mutex
	clients map[netip.Addr]radiusCached
}

type radiusCached struct {
	client workflow.RadiusClient
	ok     bool
	until  time.Time
}

func newRadiusHandler(svc *workflow.Service) *radiusHandler {
	return &radiusHandler{svc: svc, clients: map[netip.Addr]radiusCached{}}
}

// client is the client for addr, from the cache when it is fresh.
func (h *radiusHandler) client(ctx context.Context, addr netip.Addr) (workflow.RadiusClient, bool, error) {
	now := time.Now()
	h.mu.Lock()
	c, hit := h.clients[addr]
	h.mu.Unlock()
	if hit && now.Before(c.until) {
		return c.client, c.ok, nil
	}
	rc, ok, err := h.svc.RadiusClientFor(ctx, addr)
	if err != nil {
		return rc, false, err
	}
	h.mu.Lock()
	if len(h.clients) >= radiusClientCache {
		clear(h.clients) // a flood of addresses: start again rather than grow
	}
	h.clients[addr] = radiusCached{client: rc, ok: ok, until: now.Add(radiusClientTTL)}
	h.mu.Unlock()
	return rc, ok, nil
}

func (h *radiusHandler) Client(ctx context.Context, addr netip.Addr) (radius.Client, bool, error) {
	c, ok, err := h.client(ctx, addr)
	if err != nil || !ok {
		return radius.Client{}, false, err
	}
	return radius.Client{ID: c.ID, Name: c.Name, Secret: c.Secret, RequireMessageAuthenticator: c.RequireMessageAuthenticator}, true, nil
}

func (h *radiusHandler) Access(ctx context.Context, r radius.Request) (radius.Answer, error) {
	c, ok, err := h.client(ctx, r.Source.Addr())
	if err != nil {
		return radius.Answer{}, err
	}
	if !ok || c.ID != r.Client.ID {
		return radius.Answer{Code: radius.Reject}, nil // the client changed meanwhile
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
	srv := &radius.Server{Addr: addr, Handler: newRadiusHandler(a.Service), Log: a.Log.With("component", "radius"),
		Count: a.Metrics.RadiusResult}
	return runUntil(ctx, srv.ListenAndServe, srv.Shutdown, radius.ErrServerClosed, grace, a.Log.With("server", "radius"))
}
