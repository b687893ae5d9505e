package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tokenportal/workflow"
	"tokenportal/workflow/store"
	"tokenportal/workflow/store/storetest"
)

func TestUserLoginUniqueIgnoringCase(t *testing.T) {
	ctx := context.Background()
	db := store.New(storetest.Pool(t))
	u := workflow.User{Login: "Jane.Unique"}
	if err := db.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	dup := workflow.User{Login: "jane.UNIQUE"}
	err := db.CreateUser(ctx, &dup)
	if workflow.ErrorCode(err) != workflow.CodeConflict || workflow.ErrorFieldMsgs(err)["login"].ID == "" {
		t.Fatalf("duplicate login in another case: %v", err)
	}
	got, err := db.UserByLogin(ctx, "JANE.unique")
	if err != nil || got.Login != "Jane.Unique" {
		t.Fatalf("lookup ignoring case: %+v %v", got, err)
	}
}

func TestCheckConstraintsRefuseBadEnums(t *testing.T) {
	ctx := context.Background()
	pool := storetest.Pool(t)
	bad := map[string]string{
		"admin role":       `INSERT INTO admins (login, password_hash, role) VALUES ('x-role', 'h', 'root')`,
		"token type":       `INSERT INTO tokens (serial, type) VALUES ('T-BAD-TYPE', 'yubikey')`,
		"token digits":     `INSERT INTO tokens (serial, type, secret, key_id, digits) VALUES ('T-BAD-DIGITS', 'totp', '\x00', 'k', 7)`,
		"totp w/o secret":  `INSERT INTO tokens (serial, type) VALUES ('T-NO-SECRET', 'totp')`,
		"portal alias":     `INSERT INTO portals (resource_id, alias) VALUES (1, 'Bad Alias')`,
		"user phone":       `INSERT INTO users (login, phone) VALUES ('phone-user', '0612345678')`,
		"issue lost":       `INSERT INTO user_issues (user_id, resource_id, lost, evidence_token, evidence_password, evidence_email) VALUES (1, 1, '{wallet}', 'lost', 'absent', 'absent')`,
		"user language":    `INSERT INTO users (login, language) VALUES ('lang-user', 'fr')`,
		"api key role":     `INSERT INTO api_keys (name, prefix, key_hash, role) VALUES ('k', 'p-bad', '\x00', 'god')`,
		"activity actor":   `INSERT INTO activities (actor_type, event) VALUES ('robot', 'UserLogin')`,
		"portal action id": `INSERT INTO portal_actions (resource_id, action, position) VALUES (1, 'format-disk', 1)`,
	}
	for name, sql := range bad {
		if _, err := pool.Exec(ctx, sql); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Of many concurrent sign-ins with the same TOTP step, exactly one commits it.
func TestAcceptAdminTOTPStepOnce(t *testing.T) {
	ctx := context.Background()
	db := store.New(storetest.Pool(t))
	a := workflow.Admin{Login: "replay-admin", PasswordHash: "x", Role: workflow.RoleHelpdesk}
	if err := db.CreateAdmin(ctx, &a); err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int32
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := db.AcceptAdminTOTPStep(ctx, a.ID, 12345)
			if err != nil {
				t.Error(err)
			}
			if ok {
				accepted.Add(1)
			}
		}()
	}
	wg.Wait()
	if accepted.Load() != 1 {
		t.Fatalf("%d accepted, want 1", accepted.Load())
	}
	if ok, _ := db.AcceptAdminTOTPStep(ctx, a.ID, 12344); ok {
		t.Fatal("an older step was accepted")
	}
}

func TestRateWindow(t *testing.T) {
	ctx := context.Background()
	db := store.New(storetest.Pool(t))
	now := time.Now()
	for i := 1; i <= 3; i++ {
		n, err := db.HitRate(ctx, "test-key", time.Minute, now)
		if err != nil || n != i {
			t.Fatalf("hit %d: %d %v", i, n, err)
		}
	}
	if n, _ := db.RateCount(ctx, "test-key", time.Minute, now.Add(30*time.Second)); n != 3 {
		t.Fatalf("count inside the window: %d", n)
	}
	if n, _ := db.RateCount(ctx, "test-key", time.Minute, now.Add(61*time.Second)); n != 0 {
		t.Fatalf("count after the window: %d", n)
	}
	if n, _ := db.HitRate(ctx, "test-key", time.Minute, now.Add(61*time.Second)); n != 1 {
		t.Fatalf("first hit of a new window: %d", n)
	}
}
