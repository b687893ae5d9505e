package app

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"tokenportal/workflow"
)

// Demo is what `tokenportal dev` seeds and prints.
type Demo struct {
	AdminLogin    string `json:"admin_login"`
	AdminPassword string `json:"admin_password"`
	UserLogin     string `json:"user_login"`
	UserPassword  string `json:"user_password"`
	Resource      string `json:"resource"`
	Alias         string `json:"alias"`
	// RadiusSecret is the shared secret of the demo's RADIUS client
	// (127.0.0.1), for radclient.
	RadiusSecret string `json:"radius_secret"`
	// AdminKnown and UserKnown are false when the account existed before and
	// its password is not the one on file.
	AdminKnown bool `json:"-"`
	// AdminEnrolled: the admin has set up their authenticator already.
	AdminEnrolled bool `json:"-"`
	UserKnown     bool `json:"-"`
}

// SeedDemo creates the demo admin, resource, portal and user unless they
// exist. The generated passwords are kept in credFile (mode 0600) so a
// second run prints them again.
func SeedDemo(ctx context.Context, svc *workflow.Service, credFile string) (Demo, error) {
	d := Demo{AdminLogin: "admin", UserLogin: "demo", Resource: "Demo VPN", Alias: "demo"}
	if b, err := os.ReadFile(credFile); err == nil {
		_ = json.Unmarshal(b, &d)
	}
	d.AdminKnown, d.UserKnown = d.AdminPassword != "", d.UserPassword != ""
	if d.AdminPassword == "" {
		d.AdminPassword = workflow.GeneratePassword()
	}
	if d.UserPassword == "" {
		d.UserPassword = workflow.GeneratePassword()
	}
	if d.RadiusSecret == "" {
		d.RadiusSecret = workflow.RandomString(24, "abcdefghijkmnpqrstuvwxyz23456789")
	}
	// Write the passwords first: if seeding fails half-way, the next run
	// still knows what it created.
	if err := os.MkdirAll(filepath.Dir(credFile), 0o755); err != nil {
		return d, err
	}
	b, _ := json.MarshalIndent(d, "", "  ")
	if err := os.WriteFile(credFile, b, 0o600); err != nil {
		return d, err
	}

	st := svc.Store
	if adm, err := st.AdminByLogin(ctx, d.AdminLogin); workflow.ErrorCode(err) == workflow.CodeNotFound {
		if _, err := svc.CreateAdmin(ctx, workflow.NewAdmin{Login: d.AdminLogin, Role: workflow.RoleSuperadmin, Password: d.AdminPassword},
			workflow.SystemActor, workflow.Meta{}); err != nil {
			return d, err
		}
		d.AdminKnown = true
	} else if err != nil {
		return d, err
	} else {
		d.AdminEnrolled = adm.HasTOTP()
	}
	hash, err := svc.Hasher.Hash(d.UserPassword)
	if err != nil {
		return d, err
	}
	err = st.Tx(ctx, func(st workflow.Store) error {
		r, err := st.ResourceByName(ctx, d.Resource)
		if workflow.ErrorCode(err) == workflow.CodeNotFound {
			r = workflow.Resource{Name: d.Resource, Description: "A demo resource: sign in to its portal as the demo user."}
			if err := st.CreateResource(ctx, &r); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		u, err := st.UserByLogin(ctx, d.UserLogin)
		if workflow.ErrorCode(err) == workflow.CodeNotFound {
			now := time.Now()
			u = workflow.User{Login: d.UserLogin, FirstName: "Demo", LastName: "User", Email: "demo@example.com",
				PasswordHash: hash, PasswordChangedAt: &now, Language: "en"}
			if err := st.CreateUser(ctx, &u); err != nil {
				return err
			}
			d.UserKnown = true
		} else if err != nil {
			return err
		}
		if err := st.AssignUser(ctx, r.ID, u.ID); err != nil {
			return err
		}
		if _, err := st.PortalByAlias(ctx, d.Alias); workflow.ErrorCode(err) != workflow.CodeNotFound {
			return err // the portal exists (or the lookup failed): leave it as the admin set it
		}
		p := workflow.Portal{ResourceID: r.ID, Alias: d.Alias, Enabled: true, TokenTypes: workflow.TokenTypes,
			MaxTokensPerUser: 2, PINLength: 4, RememberDeviceDays: 30, RadiusFirstFactor: workflow.RadiusPassword}
		for _, id := range workflow.Actions {
			p.Actions = append(p.Actions, workflow.PortalAction{ID: id, Enabled: true})
		}
		return st.SavePortal(ctx, &p)
	})
	if err != nil {
		return d, err
	}
	return d, seedRadiusClient(ctx, svc, d)
}

// seedRadiusClient lets radclient on this machine ask for the demo
// resource, unless a client for 127.0.0.1 exists already.
func seedRadiusClient(ctx context.Context, svc *workflow.Service, d Demo) error {
	if _, ok, err := svc.RadiusClientFor(ctx, netip.MustParseAddr("127.0.0.1")); err != nil || ok {
		return err
	}
	r, err := svc.Store.ResourceByName(ctx, d.Resource)
	if err != nil {
		return err
	}
	_, err = svc.CreateRadiusClient(ctx, r.ID, workflow.RadiusClientInput{Name: "This machine (radclient)", Address: "127.0.0.1",
		Secret: d.RadiusSecret, RequireMessageAuthenticator: true}, workflow.SystemActor, workflow.Meta{})
	return err
}
