package portal_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"tokenportal/cmd/tokenportal/app/apptest"
	"tokenportal/workflow"
)

func TestChangePhone(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	b := f.signIn(t, "")
	if p := b.Get(f.accountPath("change-phone")); inputValue(p, "phone") != f.user.Phone {
		t.Fatalf("phone page: %s", p.Text("main"))
	}

	p := b.Post(f.accountPath("change-phone"), apptest.Form("phone", "12ab"))
	wantFieldError(t, p, "phone", "international format")
	if inputValue(p, "phone") != "12ab" {
		t.Fatalf("input not kept: %q", inputValue(p, "phone"))
	}
	wantFieldError(t, b.Post(f.accountPath("change-phone"), apptest.Form("phone", "+0 12")), "phone", "international format")

	wantDone(t, b.Post(f.accountPath("change-phone"), apptest.Form("phone", "")), "/home", "phone number was removed")
	if got := f.reloadUser(t).Phone; got != "" {
		t.Fatalf("phone %q", got)
	}
	wantDone(t, b.Post(f.accountPath("change-phone"), apptest.Form("phone", "+31 6 1234 5678")), "/home", "+31612345678")
	if got := f.reloadUser(t).Phone; got != "+31612345678" {
		t.Fatalf("phone %q", got)
	}
	// The same number again changes nothing and writes nothing.
	wantDone(t, b.Post(f.accountPath("change-phone"), apptest.Form("phone", "0031 6 12345678")), "/home", "Nothing changed")
	if n := f.events(t)["UserPhoneChange"]; n != 2 {
		t.Fatalf("%d UserPhoneChange", n)
	}

	// An SMS token needs its number.
	f.giveToken(t, "sms", nil)
	wantFieldError(t, b.Post(f.accountPath("change-phone"), apptest.Form("phone", " ")), "phone", "SMS token needs a phone number")
	if f.reloadUser(t).Phone == "" {
		t.Fatal("removed the number of an SMS token")
	}
}

func TestChangeLogin(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ctx := context.Background()
	other, err := f.env.Svc.CreateUser(ctx, workflow.UserInput{Login: tag("Other.User"), Password: userPassword}, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	b := f.signIn(t, "")
	page := b.Get(f.accountPath("change-login"))
	if !strings.Contains(page.Text(".notice.warning"), "may no longer recognise you") || page.Doc.Find(`input[name="new_login"]`).Length() != 1 {
		t.Fatalf("change-login page: %s", page.Text("main"))
	}

	for _, c := range []struct{ name, login, want string }{
		{"empty", " ", "Enter your new login"},
		{"bad characters", "-jane doe", "letters, digits"},
		{"too long", strings.Repeat("j", 129), "1 to 128"},
		{"unchanged", f.user.Login, "already your login"},
		{"another user's in another case", strings.ToUpper(other.Login), "already taken"},
		{"the password", f.password, "must not be your password"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := b.Post(f.accountPath("change-login"), apptest.Form("new_login", c.login))
			wantFieldError(t, p, "new_login", c.want)
			if inputValue(p, "new_login") != c.login {
				t.Fatalf("input not kept: %q", inputValue(p, "new_login"))
			}
		})
	}
	if f.events(t)["UserLoginChange"] != 0 {
		t.Fatal("a refused login was recorded as changed")
	}

	newLogin := tag("Jane.Renamed")
	wantDone(t, b.Post(f.accountPath("change-login"), apptest.Form("new_login", newLogin)), "/home", "Your login is now "+newLogin)
	// The session is keyed by the user, not the login: it goes on.
	if p := b.Get(f.path("/home")); !strings.HasSuffix(p.URL.Path, "/home") || !strings.Contains(p.Text(".who"), newLogin) {
		t.Fatalf("session after the change: %s %q", p.URL.Path, p.Text(".who"))
	}
	// Only the case of one's own login may change too.
	wantDone(t, b.Post(f.accountPath("change-login"), apptest.Form("new_login", strings.ToLower(newLogin))), "/home", "Your login is now")
	if n := f.events(t)["UserLoginChange"]; n != 2 {
		t.Fatalf("%d UserLoginChange", n)
	}
	b.Post(f.path("/logout"), nil)
	failedLogin(t, loginWith(t, f, f.env.Browser(), f.user.Login, f.password))
	f.user.Login = newLogin // any case signs in
	f.signIn(t, "")
}

func TestChangeName(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	b := f.signIn(t, "")
	if p := b.Get(f.accountPath("change-name")); inputValue(p, "first_name") != "Jane" || inputValue(p, "last_name") != "Doe" {
		t.Fatalf("name page: %s", p.Text("main"))
	}
	long := strings.Repeat("ä", 101)
	p := b.Post(f.accountPath("change-name"), apptest.Form("first_name", long, "last_name", "Doe"))
	wantFieldError(t, p, "first_name", "at most 100 characters")
	if inputValue(p, "first_name") != long || inputValue(p, "last_name") != "Doe" {
		t.Fatal("input not kept")
	}
	wantFieldError(t, b.Post(f.accountPath("change-name"), apptest.Form("first_name", "Jane", "last_name", "Doe\nSmith")), "last_name", "one line")
	if f.events(t)["UserNameChange"] != 0 {
		t.Fatal("a refused name was recorded")
	}

	wantDone(t, b.Post(f.accountPath("change-name"), apptest.Form("first_name", "  Janet ", "last_name", strings.Repeat("ß", 100))), "/home", "name was saved")
	u := f.reloadUser(t)
	if u.FirstName != "Janet" || u.LastName != strings.Repeat("ß", 100) {
		t.Fatalf("name %q %q", u.FirstName, u.LastName)
	}
	wantDone(t, b.Post(f.accountPath("change-name"), apptest.Form("first_name", "Janet", "last_name", u.LastName)), "/home", "Nothing changed")
	if n := f.events(t)["UserNameChange"]; n != 1 {
		t.Fatalf("%d UserNameChange", n)
	}
	if p := b.Get(f.path("/home")); p.Status != http.StatusOK || !strings.Contains(p.Text("h1"), "Janet") {
		t.Fatalf("home: %s", p.Text("h1"))
	}
}
