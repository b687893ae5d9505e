package portal_test

import (
	"context"
	"strings"
	"testing"

	"tokenportal/workflow"
)

// The home page of a directory user notes which of their details the
// directory keeps (SPEC §12).
func TestHomeShowsManagedFields(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	b := f.signIn(t, "")
	if p := b.Get(f.path("/home")); strings.Contains(p.Text("main"), "managed by") {
		t.Fatalf("a local user's details say managed: %s", p.Text("main"))
	}
	d, err := f.env.Svc.CreateDirectory(ctx, workflow.DirectoryInput{Name: tag("Corp LDAP "), URL: "ldap://127.0.0.1:1",
		BindDN: "cn=x,dc=example,dc=org", BindPassword: "bind-secret", BaseDN: "dc=example,dc=org", Attributes: workflow.DirectoryAttributes{Phone: "-"}},
		workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	// Linked while signed in, as a sync would have taken the user over.
	if _, err := f.env.App.Pool.Exec(ctx, "UPDATE users SET directory_id = $1, external_id = 'x' WHERE id = $2", d.ID, f.user.ID); err != nil {
		t.Fatal(err)
	}
	p := b.Get(f.path("/home"))
	details := p.Text(`section[aria-labelledby="contact-title"]`)
	note := "(managed by " + d.Name + ")"
	if strings.Count(details, note) != 3 { // login, name, email; not the unmapped phone
		t.Fatalf("details: %s", details)
	}
	if phone := p.Doc.Find(`section[aria-labelledby="contact-title"] dd`).Last().Text(); strings.Contains(phone, "managed") {
		t.Fatalf("the unmapped phone says managed: %s", phone)
	}
}
