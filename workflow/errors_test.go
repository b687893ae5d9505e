package workflow_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"tokenportal/views/i18n"
	"tokenportal/workflow"
	"tokenportal/workflow/store"
)

// TestUnreachableDatabaseIsUnavailable: when the database cannot be reached
// the answer is 503 "temporarily unavailable", not 500 — also for the
// errors the store passes on as they are and those wrapped by Internal.
func TestUnreachableDatabaseIsUnavailable(t *testing.T) {
	ctx := context.Background()
	// A real failure of the driver: nothing listens on the port.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	pool, err := pgxpool.New(ctx, "postgres://nobody@"+addr+"/none?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	_, refused := store.New(pool).UserByID(ctx, 1)
	if refused == nil {
		t.Fatal("a store without a server answered")
	}

	for _, tc := range []struct {
		name string
		err  error
		want workflow.Code
	}{
		{"connection refused", refused, workflow.CodeUnavailable},
		{"connection refused, wrapped by Internal", workflow.Internal(refused), workflow.CodeUnavailable},
		{"server shutting down", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, workflow.CodeUnavailable},
		{"server starting up", workflow.Internal(&pgconn.PgError{Code: "57P03"}), workflow.CodeUnavailable},
		{"connection exception", workflow.Internal(&pgconn.PgError{Code: "08006"}), workflow.CodeUnavailable},
		{"timeout", workflow.Internal(context.DeadlineExceeded), workflow.CodeUnavailable},
		{"login not recorded", workflow.ErrLoginNotRecorded, workflow.CodeUnavailable},
		{"unique violation", workflow.Internal(&pgconn.PgError{Code: "23505"}), workflow.CodeInternal},
		{"foreign error", errors.New("boom"), workflow.CodeInternal},
		{"not found", workflow.NotFound("The user"), workflow.CodeNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := workflow.ErrorCode(tc.err); got != tc.want {
				t.Fatalf("ErrorCode(%v) = %s, want %s", tc.err, got, tc.want)
			}
			fault := tc.want == workflow.CodeInternal || tc.want == workflow.CodeUnavailable
			if workflow.IsFault(tc.err) != fault {
				t.Fatalf("IsFault(%v) = %v", tc.err, !fault)
			}
			if tc.want != workflow.CodeUnavailable {
				return
			}
			if tc.err != workflow.ErrLoginNotRecorded && i18n.English(workflow.ErrorMsg(tc.err)) != "The service is temporarily unavailable. Please try again in a moment." {
				t.Fatalf("message %s", workflow.ErrorMsg(tc.err))
			}
		})
	}
}

func TestIsFaultOfNil(t *testing.T) {
	if workflow.IsFault(nil) {
		t.Fatal("IsFault(nil) is true: a success would be taken for a fault")
	}
	if !workflow.IsFault(workflow.Internal(nil)) || workflow.IsFault(workflow.ErrLoginFailed) {
		t.Fatal("IsFault misclassifies")
	}
}
