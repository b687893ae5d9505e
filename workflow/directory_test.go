package workflow_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"tokenportal/views/i18n"
	"tokenportal/workflow"
	"tokenportal/workflow/ldap"
	"tokenportal/workflow/ldap/slapdtest"
	"tokenportal/workflow/store/storetest"
)

// Directories against a real OpenLDAP slapd (SPEC §12): the sync, sign-in
// by bind, and failing closed. The directory's logins (user00001, …) are
// this file's alone in the package's database; the scenarios run in order.

const directoryUsers = 1_200 // more than a page (500): paging is exercised

// directoryWorld is a slapd, a service that speaks to it, a second
// resource, and a directory connected to the slapd with two groups.
type directoryWorld struct {
	*fixture
	ldap   *slapdtest.Server
	other  workflow.Resource
	dir    workflow.Directory
	portal workflow.Portal
}

func newDirectoryWorld(t *testing.T, users int, groups map[string][]int, disabled []int) *directoryWorld {
	t.Helper()
	s := slapdtest.New(t, slapdtest.Options{Users: users, Groups: groups, Disabled: disabled})
	f := newFixture(t)
	f.svc.Directories = &ldap.Client{DialTimeout: 2 * time.Second, OpTimeout: 5 * time.Second}
	other, err := f.svc.CreateResource(bg, workflow.ResourceInput{Name: unique("Citrix")}, workflow.SystemActor, workflow.Meta{})
	must(t, err)
	p, err := f.svc.SavePortal(bg, f.resource.ID, workflow.DefaultPortalInput(strings.ToLower(unique("dir"))), workflow.SystemActor, workflow.Meta{})
	must(t, err)
	w := &directoryWorld{fixture: f, ldap: s, other: other, portal: p}
	w.dir, err = f.svc.CreateDirectory(bg, workflow.DirectoryInput{Name: unique("Corp LDAP"), URL: s.URL(),
		BindDN: s.PortalDN(), BindPassword: s.PortalPassword(), BaseDN: slapdtest.PeopleDN,
		DisabledFilter: "(employeeType=disabled)",
		Groups: []workflow.DirectoryGroup{{GroupDN: s.GroupDN("vpn"), ResourceID: f.resource.ID},
			{GroupDN: s.GroupDN("citrix"), ResourceID: other.ID}},
		SyncInterval: "0"}, workflow.SystemActor, workflow.Meta{})
	must(t, err)
	return w
}

func (w *directoryWorld) sync(t *testing.T) workflow.DirectorySyncCounts {
	t.Helper()
	run, err := w.svc.SyncDirectory(bg, w.dir.ID, workflow.SystemActor, workflow.Meta{})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return run.Counts
}

func (w *directoryWorld) user(t *testing.T, login string) workflow.User {
	t.Helper()
	u, err := w.svc.Store.UserByLogin(bg, login)
	if err != nil {
		t.Fatalf("user %s: %v", login, err)
	}
	return u
}

func (w *directoryWorld) assigned(t *testing.T, resourceID int64, login string) bool {
	t.Helper()
	ok, err := w.svc.Store.IsAssigned(bg, resourceID, w.user(t, login).ID)
	must(t, err)
	return ok
}

// state is a fingerprint of everything a sync may change: the directory's
// users and their assignments.
func (w *directoryWorld) state(t *testing.T) string {
	t.Helper()
	var s string
	err := storetest.Pool(t).QueryRow(bg, `SELECT md5(coalesce(string_agg(row, ';' ORDER BY row), '')) FROM (
			SELECT concat_ws(',', u.id, u.login, u.email, u.phone, u.first_name, u.last_name, u.disabled, u.updated_at) AS row
			FROM users u WHERE u.directory_id = $1
			UNION ALL SELECT concat_ws(',', ru.user_id, ru.resource_id, ru.directory_id)
			FROM resource_users ru JOIN users u ON u.id = ru.user_id WHERE u.directory_id = $1) x`, w.dir.ID).Scan(&s)
	must(t, err)
	return s
}

func wantCounts(t *testing.T, got, want workflow.DirectorySyncCounts) {
	t.Helper()
	if got != want {
		t.Fatalf("sync counts %+v, want %+v", got, want)
	}
}

func TestDirectorySync(t *testing.T) {
	t.Parallel()
	vpn := make([]int, 300)
	for i := range vpn {
		vpn[i] = i + 1
	}
	w := newDirectoryWorld(t, directoryUsers, map[string][]int{"vpn": vpn, "citrix": {5, 6, 8}}, []int{1199})
	uid := slapdtest.UID

	// A user made in the product holds the login of entry 10: reported
	// and skipped, never taken over.
	local, err := w.svc.CreateUser(bg, workflow.UserInput{Login: uid(10), Email: "local@example.com"}, workflow.SystemActor, workflow.Meta{})
	must(t, err)
	// A hand-made assignment of a user the groups do not name.
	run, err := w.svc.SyncDirectory(bg, w.dir.ID, workflow.SystemActor, workflow.Meta{})
	must(t, err)
	wantCounts(t, run.Counts, workflow.DirectorySyncCounts{Created: directoryUsers - 1, Assigned: 299 + 3, Skipped: 1})
	if len(run.Problems) != 1 || !strings.Contains(run.Problems[0], "belongs to a user made in tokenportal") {
		t.Fatalf("problems %q", run.Problems)
	}
	if u := w.user(t, uid(10)); u.ID != local.ID || u.FromDirectory() || u.Email != "local@example.com" {
		t.Fatalf("the local user was taken over: %+v", u)
	}
	u1 := w.user(t, uid(1))
	if !u1.FromDirectory() || u1.ExternalID == "" || u1.Email != slapdtest.Email(1) || u1.Phone != slapdtest.Mobile(1) ||
		u1.FirstName != "Test" || u1.LastName != "User 00001" || u1.Disabled || u1.PasswordHash != "" || u1.DirectoryName != w.dir.Name {
		t.Fatalf("user 1 after the first sync: %+v", u1)
	}
	if !w.user(t, uid(1199)).Disabled {
		t.Fatal("an entry matching the disabled filter was created enabled")
	}
	if !w.assigned(t, w.resource.ID, uid(300)) || w.assigned(t, w.resource.ID, uid(301)) || !w.assigned(t, w.other.ID, uid(8)) {
		t.Fatal("group members not assigned as the groups say")
	}
	d, err := w.svc.Directory(bg, w.dir.ID)
	must(t, err)
	if d.LastSync == nil || !d.LastSync.OK || d.LastSync.Counts.Created != directoryUsers-1 {
		t.Fatalf("last sync %+v", d.LastSync)
	}
	synced := activityDetails(t, workflow.EventDirectorySynced, w.dir.Name)
	if synced["created"] != float64(directoryUsers-1) || synced["assigned"] != float64(302) {
		t.Fatalf("DirectorySynced details %v", synced)
	}

	// Nothing changed, nothing to do.
	wantCounts(t, w.sync(t), workflow.DirectorySyncCounts{Skipped: 1})

	// The directory wins for the mapped attributes.
	must(t, w.ldap.Modify(slapdtest.UserDN(2), "mail", "new.two@example.org"))
	must(t, w.ldap.Modify(slapdtest.UserDN(2), "sn", "Renamed"))
	wantCounts(t, w.sync(t), workflow.DirectorySyncCounts{Updated: 1, Skipped: 1})
	if u := w.user(t, uid(2)); u.Email != "new.two@example.org" || u.LastName != "Renamed" {
		t.Fatalf("user 2 not updated: %+v", u)
	}
	if changed := fmt.Sprint(activityDetails(t, workflow.EventUserUpdated, "directory "+w.dir.Name)["changed"]); changed != "[email last_name]" {
		t.Fatalf("the update's activity names %s as changed", changed)
	}

	// A renamed login follows its user (the stable id), tokens and all.
	before := w.user(t, uid(3))
	dn3, err := w.ldap.Rename(slapdtest.UserDN(3), "jane.three")
	must(t, err)
	// As the referential integrity of a real directory does: the group
	// names the new DN.
	must(t, w.ldap.RemoveMember("vpn", slapdtest.UserDN(3)))
	must(t, w.ldap.AddMember("vpn", dn3))
	wantCounts(t, w.sync(t), workflow.DirectorySyncCounts{Updated: 1, Skipped: 1})
	if u := w.user(t, "jane.three"); u.ID != before.ID {
		t.Fatalf("rename made another user: %d, was %d", u.ID, before.ID)
	}
	if old := activityDetails(t, workflow.EventUserUpdated, "directory "+w.dir.Name)["old_login"]; old != uid(3) {
		t.Fatalf("the rename's activity: old login %v", old)
	}

	// Removed (moved out of the base DN): disabled, never deleted; back:
	// enabled again, with what it had.
	must(t, w.ldap.Add("ou=leavers,"+slapdtest.BaseDN, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"leavers"}}))
	must(t, moveEntry(w.ldap, slapdtest.UserDN(4), "ou=leavers,"+slapdtest.BaseDN))
	wantCounts(t, w.sync(t), workflow.DirectorySyncCounts{Disabled: 1, Skipped: 1})
	u4 := w.user(t, uid(4))
	if !u4.Disabled || !u4.DirectoryDisabled || !w.assigned(t, w.resource.ID, uid(4)) {
		t.Fatalf("user 4 after leaving: %+v", u4)
	}
	must(t, moveEntry(w.ldap, "uid="+uid(4)+",ou=leavers,"+slapdtest.BaseDN, slapdtest.PeopleDN))
	wantCounts(t, w.sync(t), workflow.DirectorySyncCounts{Enabled: 1, Skipped: 1})
	if u := w.user(t, uid(4)); u.Disabled || u.ID != u4.ID {
		t.Fatalf("user 4 after coming back: %+v", u)
	}

	// The disabled filter disables; a user disabled by hand stays so when
	// the directory would enable them.
	must(t, w.ldap.Modify(slapdtest.UserDN(6), "employeeType", "disabled"))
	wantCounts(t, w.sync(t), workflow.DirectorySyncCounts{Disabled: 1, Skipped: 1})
	if reason := activityDetails(t, workflow.EventUserUpdated, "directory "+w.dir.Name)["reason"]; reason != "disabled in the directory" {
		t.Fatalf("reason %v", reason)
	}
	must(t, w.ldap.Modify(slapdtest.UserDN(6), "employeeType"))
	wantCounts(t, w.sync(t), workflow.DirectorySyncCounts{Enabled: 1, Skipped: 1})
	u7 := w.user(t, uid(7))
	in := u7.Input()
	in.Disabled = true
	_, err = w.svc.UpdateUser(bg, u7.ID, in, workflow.SystemActor, workflow.Meta{})
	must(t, err)
	wantCounts(t, w.sync(t), workflow.DirectorySyncCounts{Skipped: 1})
	if !w.user(t, uid(7)).Disabled {
		t.Fatal("the sync enabled a user disabled by hand")
	}

	// Groups: a member added is assigned, one removed unassigned; an
	// assignment made by hand stays.
	must(t, w.svc.AssignUser(bg, w.other.ID, w.user(t, uid(500)).ID, workflow.SystemActor, workflow.Meta{}))
	must(t, w.ldap.AddMember("citrix", slapdtest.UserDN(9)))
	must(t, w.ldap.RemoveMember("citrix", slapdtest.UserDN(8)))
	wantCounts(t, w.sync(t), workflow.DirectorySyncCounts{Assigned: 1, Unassigned: 1, Skipped: 1})
	if !w.assigned(t, w.other.ID, uid(9)) || w.assigned(t, w.other.ID, uid(8)) || !w.assigned(t, w.other.ID, uid(500)) {
		t.Fatal("group change not applied, or a hand-made assignment removed")
	}

	// A deleted entry whose login comes back as a new entry (a new stable
	// id) is not linked to the old user: reported, skipped.
	must(t, w.ldap.Delete(slapdtest.UserDN(11)))
	wantCounts(t, w.sync(t), workflow.DirectorySyncCounts{Disabled: 1, Skipped: 1})
	_, err = w.ldap.AddUser(11, false)
	must(t, err)
	run, err = w.svc.SyncDirectory(bg, w.dir.ID, workflow.SystemActor, workflow.Meta{})
	must(t, err)
	wantCounts(t, run.Counts, workflow.DirectorySyncCounts{Skipped: 2})
	if !strings.Contains(strings.Join(run.Problems, "\n"), uid(11)+": the login belongs to another user of this directory") {
		t.Fatalf("problems %q", run.Problems)
	}

	// A failure changes nothing: a directory that is down, a size limit,
	// a group that does not exist.
	must(t, w.ldap.Modify(slapdtest.UserDN(12), "mail", "changed.twelve@example.org"))
	fails := []struct {
		name  string
		input func(in *workflow.DirectoryInput)
		stop  bool
		want  string
	}{
		{name: "down", stop: true, want: "connect"},
		{name: "size limit", input: func(in *workflow.DirectoryInput) {
			in.BindDN, in.BindPassword = w.ldap.LimitedDN(), w.ldap.LimitedPassword()
		}, want: "limit"},
		{name: "missing group", input: func(in *workflow.DirectoryInput) {
			in.Groups = append(in.Groups, workflow.DirectoryGroup{GroupDN: "cn=nope," + slapdtest.GroupsDN, ResourceID: w.resource.ID})
		}, want: "cn=nope"},
		{name: "wrong bind password", input: func(in *workflow.DirectoryInput) { in.BindPassword = "wrong" }, want: "refused"},
	}
	for _, fc := range fails {
		state := w.state(t)
		d, err := w.svc.Directory(bg, w.dir.ID)
		must(t, err)
		if fc.input != nil {
			in := d.Input()
			fc.input(&in)
			_, err := w.svc.UpdateDirectory(bg, w.dir.ID, in, workflow.SystemActor, workflow.Meta{})
			must(t, err)
		}
		if fc.stop {
			must(t, w.ldap.Stop())
		}
		run, err := w.svc.SyncDirectory(bg, w.dir.ID, workflow.SystemActor, workflow.Meta{})
		if fc.stop {
			must(t, w.ldap.Restart())
		}
		if err == nil || workflow.ErrorCode(err) != workflow.CodeUnavailable || run.OK {
			t.Fatalf("%s: sync %+v, %v", fc.name, run, err)
		}
		if !strings.Contains(strings.ToLower(run.Error), fc.want) {
			t.Errorf("%s: error %q does not say %q", fc.name, run.Error, fc.want)
		}
		if got := w.state(t); got != state {
			t.Fatalf("%s: a failed sync changed users or assignments", fc.name)
		}
		if reason, _ := activityDetails(t, workflow.EventDirectorySyncFailed, w.dir.Name)["reason"].(string); reason != run.Error {
			t.Fatalf("%s: DirectorySyncFailed reason %q, want %q", fc.name, reason, run.Error)
		}
		d2, err := w.svc.Directory(bg, w.dir.ID)
		must(t, err)
		if d2.LastSync == nil || d2.LastSync.OK || d2.LastSync.Error != run.Error {
			t.Fatalf("%s: last sync %+v", fc.name, d2.LastSync)
		}
		if fc.input != nil { // back to the working settings
			in := d.Input()
			in.BindPassword = w.ldap.PortalPassword()
			_, err := w.svc.UpdateDirectory(bg, w.dir.ID, in, workflow.SystemActor, workflow.Meta{})
			must(t, err)
		}
	}
	wantCounts(t, w.sync(t), workflow.DirectorySyncCounts{Updated: 1, Skipped: 2})

	// One sync at a time: a claimed directory answers Conflict.
	ok, err := w.svc.Store.ClaimDirectorySync(bg, w.dir.ID, w.clock.Now(), w.clock.Now().Add(time.Minute))
	if err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if _, err := w.svc.SyncDirectory(bg, w.dir.ID, workflow.SystemActor, workflow.Meta{}); !errors.Is(err, workflow.ErrSyncRunning) {
		t.Fatalf("a second sync while one runs: %v", err)
	}
	must(t, w.svc.Store.FinishDirectorySync(bg, w.dir.ID, workflow.DirectorySyncRun{At: w.clock.Now(), OK: true}))

	// The stable id's attribute cannot change under the directory's users:
	// they would all look missing.
	bad := d.Input()
	bad.Attributes.ID = "uid"
	if _, err := w.svc.UpdateDirectory(bg, w.dir.ID, bad, workflow.SystemActor, workflow.Meta{}); workflow.ErrorFieldMsgs(err)["attributes.id"].ID != "directory.id_attribute_linked" {
		t.Fatalf("changing the id attribute of a directory with users: %v", err)
	}

	// The periodic sync (the River job's work): due sync_interval after
	// the last one, not before.
	d, err = w.svc.Directory(bg, w.dir.ID)
	must(t, err)
	din := d.Input()
	din.SyncInterval = "1m"
	_, err = w.svc.UpdateDirectory(bg, w.dir.ID, din, workflow.SystemActor, workflow.Meta{})
	must(t, err)
	if n, err := w.svc.DueDirectorySyncs(bg); err != nil || n != 0 {
		t.Fatalf("due syncs right after one: %d %v", n, err)
	}
	must(t, w.ldap.Modify(slapdtest.UserDN(13), "givenName", "Periodic"))
	w.clock.Advance(61 * time.Second)
	if n, err := w.svc.DueDirectorySyncs(bg); err != nil || n != 1 {
		t.Fatalf("due syncs a minute later: %d %v", n, err)
	}
	if u := w.user(t, uid(13)); u.FirstName != "Periodic" {
		t.Fatalf("the periodic sync did not run: %+v", u)
	}
	if n, err := w.svc.DueDirectorySyncs(bg); err != nil || n != 0 {
		t.Fatalf("due syncs right after the periodic one: %d %v", n, err)
	}

	// The same users sign in: after the sync, not in parallel with it.
	t.Run("SignIn", func(t *testing.T) { testDirectorySignIn(t, w) })
}

// signIn runs the portal's first steps for login with password.
func (w *directoryWorld) signIn(login, password string) error {
	m := workflow.Meta{IP: "198.51.100.7"}
	f, err := w.svc.LoginStart(bg, w.portal, login, m)
	if err != nil {
		return err
	}
	_, err = w.svc.LoginFirstFactor(bg, w.portal, f, password, "", m)
	return err
}

// testDirectorySignIn: the password of a directory's user is a bind as
// them, at every use (portal, RADIUS, restore access), never stored, and
// fails closed when the directory is down.
func testDirectorySignIn(t *testing.T, w *directoryWorld) {
	uid, pw := slapdtest.UID, slapdtest.Password
	login := uid(20)
	if err := w.signIn(login, pw(20)); err != nil {
		t.Fatalf("sign-in with the directory password: %v", err)
	}
	for _, wrong := range []string{"wrong", "", pw(21), strings.ToUpper(pw(20))} {
		if err := w.signIn(login, wrong); !errors.Is(err, workflow.ErrLoginFailed) {
			t.Fatalf("password %q: %v", wrong, err)
		}
	}
	if n := w.user(t, login).FailedLogins; n != 4 {
		t.Fatalf("failed logins %d, want 4", n)
	}
	// Another entry's DN or a filter in the login finds nobody.
	for _, odd := range []string{"*", uid(20) + ")(uid=*", slapdtest.UserDN(20)} {
		if err := w.signIn(odd, pw(20)); !errors.Is(err, workflow.ErrLoginFailed) {
			t.Fatalf("login %q: %v", odd, err)
		}
	}
	// A password changed in the directory applies at the next sign-in.
	must(t, w.ldap.SetPassword(slapdtest.UserDN(20), "Changed in the directory 1"))
	if err := w.signIn(login, pw(20)); !errors.Is(err, workflow.ErrLoginFailed) {
		t.Fatalf("the old password after a change in the directory: %v", err)
	}
	if err := w.signIn(login, "Changed in the directory 1"); err != nil {
		t.Fatalf("the new password: %v", err)
	}
	// An entry deleted and made again with the same login is another
	// person: before any sync notices, their password does not open the
	// old user's account.
	must(t, w.ldap.Delete(slapdtest.UserDN(25)))
	_, err := w.ldap.AddUser(25, false)
	must(t, err)
	if err := w.signIn(uid(25), pw(25)); !errors.Is(err, workflow.ErrLoginFailed) {
		t.Fatalf("a re-created entry signed in as the old user: %v", err)
	}
	// A renamed user signs in with the new login (found by stable id).
	if err := w.signIn("jane.three", pw(3)); err != nil {
		t.Fatalf("renamed user: %v", err)
	}
	// A directory's user gets no emailed sign-in code instead.
	must(t, w.svc.SendRequestedCode(bg, workflow.CodeRequest{Purpose: workflow.PurposeLogin, ResourceID: w.resource.ID, Login: uid(21)}))
	var codes int
	must(t, storetest.Pool(t).QueryRow(bg, `SELECT count(*) FROM one_time_codes WHERE user_id = $1`, w.user(t, uid(21)).ID).Scan(&codes))
	if codes != 0 {
		t.Fatal("an emailed sign-in code was made for a directory user")
	}

	// RADIUS: the first factor is the same bind.
	in := workflow.DefaultPortalInput(w.portal.Alias)
	in.RadiusAllowWithoutToken = true
	p, err := w.svc.SavePortal(bg, w.resource.ID, in, workflow.SystemActor, workflow.Meta{})
	must(t, err)
	w.portal = p
	addr := radiusHost("10.0")
	_, err = w.svc.CreateRadiusClient(bg, w.resource.ID, workflow.RadiusClientInput{Name: "VPN", Address: addr, Secret: radiusSecret,
		RequireMessageAuthenticator: true}, workflow.SystemActor, workflow.Meta{})
	must(t, err)
	client, _, err := w.svc.RadiusClientFor(bg, mustNetwork(t, addr).Addr())
	must(t, err)
	ask := func(login, password string) workflow.RadiusAnswer {
		a, err := w.svc.RadiusAccess(bg, workflow.RadiusAccessRequest{Client: client, Login: login, Password: password,
			Meta: workflow.Meta{IP: addr}})
		must(t, err)
		return a
	}
	wantCode(t, ask(uid(22), pw(22)), workflow.RadiusAccept)
	wantCode(t, ask(uid(22), "wrong"), workflow.RadiusReject)

	// Restore access: the password proof is the same bind.
	rf, err := w.svc.RestoreStart(bg, w.portal, uid(23), []string{workflow.LostToken}, workflow.Meta{IP: "198.51.100.8"})
	must(t, err)
	rf, err = w.svc.RestoreProve(bg, w.portal, rf, workflow.RestoreProofs{Password: pw(23)}, workflow.Meta{IP: "198.51.100.8"})
	must(t, err)
	if rf.Password != workflow.EvidenceVerified {
		t.Fatalf("restore password proof %q, want verified", rf.Password)
	}
	// A forgotten password: the request is recorded without a new one,
	// and the helpdesk is told to reset it in the directory.
	rf, err = w.svc.RestoreStart(bg, w.portal, uid(23), []string{workflow.LostPassword}, workflow.Meta{IP: "198.51.100.8"})
	must(t, err)
	rf, err = w.svc.RestoreProve(bg, w.portal, rf, workflow.RestoreProofs{}, workflow.Meta{IP: "198.51.100.8"})
	must(t, err)
	_, err = w.svc.RestoreFinish(bg, w.portal, rf, workflow.RestoreChoice{Password: "A new and long passphrase 7"}, workflow.Meta{IP: "198.51.100.8"})
	must(t, err)
	var issueID int64
	must(t, storetest.Pool(t).QueryRow(bg, `SELECT id FROM user_issues WHERE user_id = $1 AND status = 'open'`, w.user(t, uid(23)).ID).Scan(&issueID))
	is, err := w.svc.Store.IssueByID(bg, issueID)
	must(t, err)
	if is.NewPasswordHash != "" || is.UserDirectory != w.dir.Name {
		t.Fatalf("issue of a directory user: new password %q, directory %q", is.NewPasswordHash, is.UserDirectory)
	}
	if effects := english(workflow.PlanIssue(is, nil).Describe(is)); !strings.Contains(effects, "reset it in the directory") {
		t.Fatalf("the confirmation does not say where the password is reset: %s", effects)
	}

	// The directory down: every password use fails closed, and the users
	// do not pay for the outage with failed sign-ins.
	must(t, w.ldap.Stop())
	defer func() { must(t, w.ldap.Restart()) }()
	failed := w.user(t, uid(24)).FailedLogins
	if err := w.signIn(uid(24), pw(24)); !errors.Is(err, workflow.ErrLoginFailed) {
		t.Fatalf("sign-in with the directory down: %v", err)
	}
	if n := w.user(t, uid(24)).FailedLogins; n != failed {
		t.Fatalf("failed logins %d after an outage, want %d", n, failed)
	}
	if reason := activityDetails(t, workflow.EventUserLoginAttempt, uid(24))["reason"]; reason != "directory unreachable" {
		t.Fatalf("UserLoginAttempt reason %v", reason)
	}
	wantCode(t, ask(uid(22), pw(22)), workflow.RadiusReject)
	if reason := activityDetails(t, workflow.EventRadiusReject, uid(22))["reason"]; reason != "directory unreachable" {
		t.Fatalf("RadiusReject reason %v", reason)
	}
}

// moveEntry moves an entry under another parent (its stable id stays).
func moveEntry(s *slapdtest.Server, dn, parent string) error {
	conn, err := s.Conn()
	if err != nil {
		return err
	}
	defer conn.Close()
	rdn, _, _ := strings.Cut(dn, ",")
	return conn.ModifyDN(goldap.NewModifyDNRequest(dn, rdn, true, parent))
}

// activityDetails are the details of the newest activity of event whose
// actor or directory is name.
func activityDetails(t *testing.T, event, name string) map[string]any {
	t.Helper()
	var details map[string]any
	err := storetest.Pool(t).QueryRow(bg, `SELECT details FROM activities
		WHERE event = $1 AND (actor_name = $2 OR details->>'directory' = $2) ORDER BY id DESC LIMIT 1`, event, name).Scan(&details)
	if err != nil {
		t.Fatalf("no %s of %s: %v", event, name, err)
	}
	return details
}

// english is messages in English, one after the other.
func english(ms []workflow.Msg) string {
	var out []string
	for _, m := range ms {
		out = append(out, i18n.English(m))
	}
	return strings.Join(out, " ")
}
